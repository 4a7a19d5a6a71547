using System.Buffers;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// The zero-copy direction for everything but socket to socket (that is <see cref="SplicedConnection"/>):
/// pipes (stdio in a shell pipeline, PIPE, a FIFO), stream sockets and regular files in any
/// combination (a file sink not opened for appending). With a pipe on one side one splice(2)
/// moves the bytes straight from source to sink; between a socket and a file, or two files, they
/// go through a pipe borrowed from <see cref="SplicePipes"/> for the burst. Either way they never
/// pass through user memory.
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
    private const int SpliceChunk = SplicePipes.Size;

    /// <summary>True when this direction can be spliced here: no socket-to-socket, nothing to look at the bytes.</summary>
    public static bool Applies(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive)
    {
        if (!BytesUntouched(source, sink, tapsActive)) return false;
        var from = KindOf(source.Channel, read: true);
        var to = KindOf(sink.Channel, read: false);
        if (from == End.Other || to == End.Other || (from == End.Socket && to == End.Socket)) return false;
        // splice(2) refuses a sink opened with O_APPEND (EINVAL).
        return to != End.File || (Posix.GetFl(sink.Channel.WriteFd) & Posix.O_APPEND) == 0;
    }

    /// <summary>
    /// Nothing between source and sink looks at or changes the bytes (no tap, line ending, byte
    /// limit, escape, ignoreeof or cool-write): what any zero-copy direction needs.
    /// </summary>
    public static bool BytesUntouched(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive) =>
        !tapsActive
        && source.ReadBehaviour is { LineTerminator: LineTerminator.Raw, ReadBytes: null, Escape: null, IgnoreEof: false }
        && sink.WriteBehaviour is { LineTerminator: LineTerminator.Raw, CoolWrite: false };

    /// <summary>True when this direction can be spliced with no pipe of the relay's: a pipe is on one side.</summary>
    public static bool SplicesDirectly(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive) =>
        Applies(source, sink, tapsActive) && (IsPipe(source.Channel, read: true) || IsPipe(sink.Channel, read: false));

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

    private static bool IsPipe(IChannel channel, bool read) => KindOf(channel, read) == End.Pipe;

    /// <summary>
    /// Moves everything from <paramref name="source"/> to <paramref name="sink"/>. With
    /// <paramref name="alone"/> (no other direction runs, so the caller only waits for this one)
    /// it starts on the caller's thread: a two-file relay (<c>-u</c>) then never starts the
    /// thread pool's threads.
    /// </summary>
    public static async Task RunAsync(OpenedEndpoint source, OpenedEndpoint sink, ActivityClock clock, DirectionTally tally, CancellationToken ct,
        bool alone = false)
    {
        // Off the caller's thread: a file source never waits, and must not hold up the other direction.
        if (!alone) await new ThreadPoolHop();
        int inFd = source.Channel.ReadFd, outFd = sink.Channel.WriteFd;
        // A pipe or tty is made non-blocking by FdStream when it is opened; a socket here, or
        // splice(2) would block a pool thread.
        (source.Channel as SocketChannel)?.MakeNonBlocking();
        (sink.Channel as SocketChannel)?.MakeNonBlocking();
        bool direct = IsPipe(source.Channel, read: true) || IsPipe(sink.Channel, read: false);
        Log.Debug($"{source.Name} to {sink.Name}: splicing fd {inFd} to fd {outFd} {(direct ? "directly" : "through a pipe")}");
        bool splice = true, warned = false;
        // Where a splice that would block waits (made at the first wait).
        SpliceWaits? waits = null;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (splice)
                {
                    Burst burst;
                    if (direct) burst = SpliceDirect(source, sink, inFd, outFd, clock, tally);
                    else if (SplicePipes.TryRent(out var pipe))
                    {
                        bool empty = false;
                        try
                        {
                            burst = await SpliceThroughAsync(source, sink, inFd, outFd, pipe, clock, tally, ct).ConfigureAwait(false);
                            empty = true;
                        }
                        finally
                        {
                            SplicePipes.Release(pipe, empty);
                        }
                    }
                    else
                    {
                        if (!warned) Log.Warn($"no pipe for splice (descriptor limit): fd {inFd} -> fd {outFd} goes through memory while none can be made");
                        warned = true;
                        burst = Burst.Failed;
                    }
                    if (burst == Burst.EndOfFile) return;
                    // Through a pipe of ours only the source says EAGAIN here (a full sink is waited for in the burst).
                    if (burst == Burst.Blocked && (waits ??= new SpliceWaits(inFd, outFd)).WaitAsync(sinkCanBeFull: direct, ct) is { } ready)
                    {
                        await ready.ConfigureAwait(false);
                        continue;
                    }
                }
                // The source is empty or the sink full (or the splice failed: the channels report why).
                int moved = await WakeAsync(source, sink, clock, tally, ct).ConfigureAwait(false);
                if (moved == 0) return;
                // A short read found the source drained: the next one waits for it, without a splice
                // that would only say EAGAIN (a syscall per message on interactive traffic).
                splice = moved == WakeChunk;
            }
        }
        finally
        {
            waits?.Dispose();
        }
    }

    // Blocked: the source is empty or the sink full; Failed: the channels are to say why.
    private enum Burst { Blocked, Failed, EndOfFile }

    /// <summary>Splices source to sink until one of them holds it back, or the source ends.</summary>
    private static Burst SpliceDirect(OpenedEndpoint source, OpenedEndpoint sink, int inFd, int outFd, ActivityClock clock, DirectionTally tally)
    {
        while (true)
        {
            nint n = Posix.Splice(inFd, outFd, SpliceChunk);
            if (n > 0)
            {
                Moved(source, sink, n, clock, tally);
                continue;
            }
            if (n == 0) return Burst.EndOfFile;
            if (Stopped(inFd, outFd) is { } stop) return stop;
        }
    }

    /// <summary>Splices source into the pipe and the pipe into the sink, until the source holds it back or ends.</summary>
    private static async ValueTask<Burst> SpliceThroughAsync(OpenedEndpoint source, OpenedEndpoint sink, int inFd, int outFd,
        (int Read, int Write) pipe, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        while (true)
        {
            nint n = Posix.Splice(inFd, pipe.Write, SplicePipes.Size);
            if (n == 0) return Burst.EndOfFile;
            if (n < 0)
            {
                if (Stopped(inFd, pipe.Write) is { } stop) return stop;
                continue;
            }
            while (n > 0)
            {
                nint m = Posix.Splice(pipe.Read, outFd, n);
                if (m > 0)
                {
                    n -= m;
                    Moved(source, sink, m, clock, tally);
                    continue;
                }
                if (m < 0 && Stopped(pipe.Read, outFd) is null) continue;
                // The sink is full (or failed): what the pipe holds goes through memory, where the
                // channel's write waits for room (or reports the failure as the copying pump would).
                byte[] buffer = ArrayPool<byte>.Shared.Rent(WakeChunk);
                try
                {
                    int r = Posix.Read(pipe.Read, buffer.AsSpan(0, (int)Math.Min(WakeChunk, n)));
                    await WriteAsync(source, sink, buffer.AsMemory(0, r), clock, tally, ct).ConfigureAwait(false);
                    n -= r;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>How a failed splice ends the burst; null to try again at once (EINTR).</summary>
    private static Burst? Stopped(int inFd, int outFd)
    {
        int errno = Posix.Errno;
        if (errno == Posix.EINTR) return null;
        if (errno == Posix.EAGAIN) return Burst.Blocked;
        // A reset or a sink gone is left to the channels to report as they do.
        Log.Debug($"splice({inFd}, {outFd}): {Posix.StrError(errno)}; reading through memory");
        return Burst.Failed;
    }

    /// <summary>A splice moved <paramref name="n"/> bytes: the clock, the tally and the log hear of it.</summary>
    internal static void Moved(OpenedEndpoint source, OpenedEndpoint sink, nint n, ActivityClock clock, DirectionTally tally)
    {
        clock.Touch();
        tally.Wrote(n);
        Log.Info($"transferred {n} bytes from {source.Name} to {sink.Name}");
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
            await WriteAsync(source, sink, buffer.AsMemory(0, n), clock, tally, ct).ConfigureAwait(false);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask WriteAsync(OpenedEndpoint source, OpenedEndpoint sink, ReadOnlyMemory<byte> data, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        clock.BeginWrite();
        try
        {
            await sink.Channel.WriteAsync(data, ct).ConfigureAwait(false);
        }
        finally
        {
            clock.EndWrite();
        }
        tally.Wrote(data.Length);
        Log.Info($"transferred {data.Length} bytes from {source.Name} to {sink.Name}");
    }
}
