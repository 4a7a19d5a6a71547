using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// The pipes splice(2) moves data through, shared by every relay of the process: a direction holds
/// one only while bytes move and gives it back empty, so an idle connection costs its two sockets
/// and no pipe (DESIGN.md §3), and ten thousand connections fit in a 20 000-descriptor limit. A
/// few idle pipes are kept for the next burst; when none can be made (the descriptor limit), the
/// caller moves its bytes through memory instead.
/// </summary>
internal static class SplicePipes
{
    /// <summary>How much a pipe holds (F_SETPIPE_SZ; memory is used only while it is full).</summary>
    public const int Size = 1 << 20;
    private const int F_SETPIPE_SZ = 1031;
    // Kept for reuse: enough for the bursts of a busy process, few enough to cost little.
    private const int MaxIdle = 16;

    private static readonly (int Read, int Write)[] Idle = new (int, int)[MaxIdle];
    private static readonly Lock Gate = new();
    private static int _idle;

    /// <summary>An empty pipe, or false when the process can make no more (EMFILE, ENFILE).</summary>
    public static bool TryRent(out (int Read, int Write) pipe)
    {
        lock (Gate)
        {
            if (_idle > 0)
            {
                pipe = Idle[--_idle];
                return true;
            }
        }
        try
        {
            pipe = Posix.Pipe(Posix.O_NONBLOCK);
        }
        catch (PosixException)
        {
            pipe = default;
            return false;
        }
        Libc.Fcntl(pipe.Write, F_SETPIPE_SZ, Size); // best effort: the default 64 KiB pipe works too
        return true;
    }

    /// <summary>Takes back a pipe that is empty; one that may hold bytes must be closed with <see cref="Close"/>.</summary>
    public static void Return((int Read, int Write) pipe)
    {
        lock (Gate)
        {
            if (_idle < MaxIdle)
            {
                Idle[_idle++] = pipe;
                return;
            }
        }
        Close(pipe);
    }

    /// <summary>Gives a pipe back after a burst: reused when the burst emptied it, closed when a failure may have left bytes in it.</summary>
    public static void Release((int Read, int Write) pipe, bool empty)
    {
        if (empty) Return(pipe);
        else Close(pipe);
    }

    public static void Close((int Read, int Write) pipe)
    {
        Posix.Close(pipe.Read);
        Posix.Close(pipe.Write);
    }
}
