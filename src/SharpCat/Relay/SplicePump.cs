using System.Buffers;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// The zero-copy direction (DESIGN.md §1.5, §8): socket → pipe → socket with splice(2), so the
/// bytes never enter user memory. Used when both ends are stream sockets and no tap (dumps, line
/// endings, byte limit, escape) needs to see the data. Readiness comes from a zero-byte receive,
/// which holds no buffer; the pipe is borrowed from <see cref="SplicePipes"/> for each burst. When
/// the receiving peer is slow (the pipe cannot be emptied), or no pipe can be had, the bytes go
/// through a rented buffer and .NET's send, which can wait.
/// </summary>
internal static class SplicePump
{
    // What goes through memory when the sink is full: small, as it only waits for room.
    private const int WakeChunk = 4096;
    // What goes through memory per read when no pipe can be had.
    private const int CopyChunk = 64 * 1024;
    private const int ECONNRESET = 104;

    /// <summary>True when this direction can be spliced: socket to socket, nothing to look at the bytes.</summary>
    public static bool Applies(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive) =>
        !tapsActive
        // Byte streams only: splice(2) has no SOCK_SEQPACKET (so-type=5) side.
        && source.Channel is SocketChannel { Socket.SocketType: SocketType.Stream }
        && sink.Channel is SocketChannel { Socket.SocketType: SocketType.Stream }
        && source.ReadBehaviour is { LineTerminator: LineTerminator.Raw, ReadBytes: null, Escape: null, IgnoreEof: false }
        && sink.WriteBehaviour is { LineTerminator: LineTerminator.Raw, CoolWrite: false };

    private enum Burst { Drained, EndOfFile }

    // Static, its state in the arguments: an idle direction keeps one state machine and no object beside it.
    public static async Task RunAsync(OpenedEndpoint source, OpenedEndpoint sink, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        await new ThreadPoolHop();
        var from = ((SocketChannel)source.Channel).Socket;
        var to = ((SocketChannel)sink.Channel).Socket;
        int inFd = source.Channel.ReadFd, outFd = sink.Channel.WriteFd;
        // splice(2) blocks on a socket that is in blocking mode, whatever its flags say, and .NET
        // makes a socket non-blocking only at its first async operation: make sure now, or each
        // idle direction would hold a pool thread.
        Posix.SetFl(inFd, Posix.GetFl(inFd) | Posix.O_NONBLOCK);
        Posix.SetFl(outFd, Posix.GetFl(outFd) | Posix.O_NONBLOCK);
        bool warned = false;
        while (true)
        {
            // Wait until readable: a zero-byte receive holds no buffer, and no pipe is held meanwhile.
            // (Awaited here, not through the channel's wait: an idle connection then holds no
            // async state of ours, only the socket's own.)
            try
            {
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // A reset already there when the wait began is consumed by its recv(2).
                Reset(source);
                return;
            }
            Burst burst;
            if (SplicePipes.TryRent(out var pipe))
            {
                bool empty = false;
                try
                {
                    burst = await SpliceAsync(source, inFd, outFd, pipe, to, clock, tally, ct).ConfigureAwait(false);
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
                burst = await CopyAsync(source, inFd, outFd, to, clock, tally, ct).ConfigureAwait(false);
            }
            if (burst == Burst.EndOfFile) return;
        }
    }

    /// <summary>Splices what the socket holds, until it would block (the pipe is then empty) or ends.</summary>
    private static async ValueTask<Burst> SpliceAsync(OpenedEndpoint source, int inFd, int outFd, (int Read, int Write) pipe, Socket to,
        ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        while (true)
        {
            nint n = Posix.Splice(inFd, pipe.Write, SplicePipes.Size);
            if (n > 0)
            {
                await DrainAsync(pipe.Read, outFd, to, n, clock, tally, ct).ConfigureAwait(false);
                // Less than asked for: the socket is most likely empty, and the readiness wait
                // checks that itself; skipping the splice that would say EAGAIN saves a syscall per
                // message on interactive traffic.
                if (n < SplicePipes.Size) return Burst.Drained;
                continue;
            }
            if (n == 0) return Burst.EndOfFile;
            int errno = Posix.Errno;
            if (errno == Posix.EINTR) continue;
            if (errno == Posix.EAGAIN) return Burst.Drained;
            if (errno == ECONNRESET) return Reset(source);
            throw new PosixException($"splice({inFd}, {pipe.Write}, {SplicePipes.Size})", errno);
        }
    }

    /// <summary>One read through memory, for when no pipe can be had.</summary>
    private static async ValueTask<Burst> CopyAsync(OpenedEndpoint source, int inFd, int outFd, Socket to, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyChunk);
        try
        {
            int n = Posix.TryRead(inFd, buffer.AsSpan(0, CopyChunk));
            if (n == 0) return Burst.EndOfFile;
            if (n == -Posix.EAGAIN) return Burst.Drained;
            if (n == -ECONNRESET) return Reset(source);
            if (n < 0) throw new PosixException($"read({inFd}, {CopyChunk})", -n);
            await SendAsync(to, outFd, buffer.AsMemory(0, n), clock, tally, ct).ConfigureAwait(false);
            return Burst.Drained;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Burst Reset(OpenedEndpoint source)
    {
        ((SocketChannel)source.Channel).NoteReset(SplicePipes.Size);
        return Burst.EndOfFile;
    }

    private static async ValueTask DrainAsync(int pipeRead, int outFd, Socket to, nint pending, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        clock.BeginWrite();
        try
        {
            while (pending > 0)
            {
                nint m = Posix.Splice(pipeRead, outFd, pending);
                if (m > 0) { pending -= m; tally.Wrote(m); continue; }
                int errno = Posix.Errno;
                if (errno == Posix.EINTR) continue;
                if (errno != Posix.EAGAIN) throw new PosixException($"write({outFd}, {pending})", errno);
                // The peer is slow, and .NET has no wait for writability: a few bytes go through memory,
                // where send can wait, and splicing resumes once they are out.
                Log.Debug($"fd {outFd} is not writable: waiting with a send of {Math.Min(WakeChunk, pending)} bytes");
                byte[] buffer = ArrayPool<byte>.Shared.Rent(WakeChunk);
                try
                {
                    int r = Posix.Read(pipeRead, buffer.AsSpan(0, (int)Math.Min(WakeChunk, pending)));
                    await SendAsync(to, outFd, buffer.AsMemory(0, r), clock, tally, ct).ConfigureAwait(false);
                    pending -= r;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        finally
        {
            clock.EndWrite();
        }
    }

    private static async ValueTask SendAsync(Socket to, int outFd, ReadOnlyMemory<byte> data, ActivityClock clock, DirectionTally tally, CancellationToken ct)
    {
        clock.BeginWrite();
        try
        {
            int sent = 0;
            while (sent < data.Length) sent += await to.SendAsync(data[sent..], SocketFlags.None, ct).ConfigureAwait(false);
            tally.Wrote(sent);
        }
        catch (SocketException e)
        {
            throw new PosixException($"write({outFd}, {data.Length})", e.NativeErrorCode);
        }
        finally
        {
            clock.EndWrite();
        }
    }
}
