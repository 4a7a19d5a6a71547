using System.Buffers;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// The zero-copy direction when one end is a pipe (stdio in a shell pipeline, PIPE, a FIFO): one
/// splice(2) moves the bytes straight from the source to the sink, with no pipe of our own between
/// them and no pass through user memory. The other end may be a pipe, a stream socket or a regular
/// file (a file source, or a file sink not opened for appending).
/// <para>
/// splice says EAGAIN both when the source is empty and when the sink is full, and a pipe has no
/// readiness wait that reads nothing. So each EAGAIN is answered with one small read through the
/// channel, which waits for the source, and one write, which waits for the sink: whichever was
/// the cause, the direction then moves on, and the channels' own end-of-file, reset and error
/// handling applies as in <see cref="Pump"/>.
/// </para>
/// </summary>
internal static class DirectSplicePump
{
    // One wake-up's worth through memory: a page, so that the bulk still goes by splice, and an
    // idle pipe source holds less than the copying pump's buffer.
    private const int WakeChunk = 4096;
    // A pipe gives at most what it holds; a socket or file source at most this per call.
    private const int SpliceChunk = 1 << 20;

    /// <summary>True when this direction can be spliced directly: a pipe on one side, nothing to look at the bytes.</summary>
    public static bool Applies(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive)
    {
        if (tapsActive
            || source.ReadBehaviour is not { LineTerminator: LineTerminator.Raw, ReadBytes: null, Escape: null, IgnoreEof: false }
            || sink.WriteBehaviour is not { LineTerminator: LineTerminator.Raw, CoolWrite: false })
            return false;
        var from = KindOf(source.Channel, read: true);
        var to = KindOf(sink.Channel, read: false);
        if (from == End.Other || to == End.Other || (from != End.Pipe && to != End.Pipe)) return false;
        // splice(2) refuses a sink opened with O_APPEND (EINVAL).
        return to != End.File || (Posix.GetFl(sink.Channel.WriteFd) & Posix.O_APPEND) == 0;
    }

    private enum End { Other, Pipe, Socket, File }

    private static End KindOf(IChannel channel, bool read) => channel switch
    {
        SocketChannel { Socket.SocketType: SocketType.Stream } => End.Socket,
        FdChannel fd => (read ? fd.ReadFileType : fd.WriteFileType) switch
        {
            Posix.S_IFIFO => End.Pipe,
            Posix.S_IFREG => End.File,
            _ => End.Other,
        },
        _ => End.Other,
    };

    public static async Task RunAsync(OpenedEndpoint source, OpenedEndpoint sink, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        // Off the caller's thread: a file source never waits, and must not hold up the other direction.
        await new ThreadPoolHop();
        int inFd = source.Channel.ReadFd, outFd = sink.Channel.WriteFd;
        // A socket is made non-blocking by .NET only at its first async operation; a pipe or tty by
        // FdStream when it is opened. Until then splice(2) would block a pool thread.
        if (source.Channel is SocketChannel) Posix.SetFl(inFd, Posix.GetFl(inFd) | Posix.O_NONBLOCK);
        if (sink.Channel is SocketChannel) Posix.SetFl(outFd, Posix.GetFl(outFd) | Posix.O_NONBLOCK);
        Log.Debug($"{source.Name} to {sink.Name}: splicing fd {inFd} to fd {outFd} directly");
        bool splice = true;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (splice)
            {
                nint n = Posix.Splice(inFd, outFd, SpliceChunk);
                if (n > 0)
                {
                    clock.Touch();
                    tally.Wrote(n);
                    Log.Info($"transferred {n} bytes from {source.Name} to {sink.Name}");
                    continue;
                }
                if (n == 0) return;
                int errno = Posix.Errno;
                if (errno == Posix.EINTR) continue;
                // Anything but EAGAIN (a reset, a sink gone) is left to the channels to report as they do.
                if (errno != Posix.EAGAIN) Log.Debug($"splice({inFd}, {outFd}): {Posix.StrError(errno)}; reading through memory");
            }
            int moved = await WakeAsync(source, sink, clock, tally, ct).ConfigureAwait(false);
            if (moved == 0) return;
            // A short read found the source drained: the next one waits for it, without a splice
            // that would only say EAGAIN (a syscall per message on interactive traffic).
            splice = moved == WakeChunk;
        }
    }

    /// <summary>One read and write through memory: waits for whichever side held the splice back. 0 at end of file.</summary>
    private static async ValueTask<int> WakeAsync(OpenedEndpoint source, OpenedEndpoint sink, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        // A socket waits without a buffer (an idle connection holds none); a pipe has no such wait.
        await source.Channel.WaitReadableAsync(ct).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(WakeChunk);
        try
        {
            int n = await source.Channel.ReadAsync(buffer.AsMemory(0, WakeChunk), ct).ConfigureAwait(false);
            if (n == 0) return 0;
            clock.Touch();
            clock.BeginWrite();
            try
            {
                await sink.Channel.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            finally
            {
                clock.EndWrite();
            }
            tally.Wrote(n);
            Log.Info($"transferred {n} bytes from {source.Name} to {sink.Name}");
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
