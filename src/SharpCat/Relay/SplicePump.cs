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
/// which holds no buffer; when the receiving peer is slow (the pipe cannot be emptied), the
/// bytes waiting in the pipe go through a rented buffer and .NET's send, which can wait.
/// </summary>
internal sealed class SplicePump(OpenedEndpoint source, OpenedEndpoint sink, ActivityClock clock)
{
    private const int F_SETPIPE_SZ = 1031, PipeSize = 1 << 20;
    // What goes through memory when the sink is full: small, as it only waits for room.
    private const int WakeChunk = 4096;
    private const int EPIPE = 32, ECONNRESET = 104;

    /// <summary>True when this direction can be spliced: socket to socket, nothing to look at the bytes.</summary>
    public static bool Applies(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive) =>
        !tapsActive
        && source.Channel is SocketChannel { IsDatagram: false }
        && sink.Channel is SocketChannel { IsDatagram: false }
        && source.ReadBehaviour is { LineTerminator: LineTerminator.Raw, ReadBytes: null, Escape: null, IgnoreEof: false }
        && sink.WriteBehaviour is { LineTerminator: LineTerminator.Raw, CoolWrite: false };

    public async Task RunAsync(CancellationToken ct)
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
        int pipeRead = -1, pipeWrite = -1;
        try
        {
            while (true)
            {
                if (pipeWrite < 0)
                {
                    // The pipe comes with the first data: an idle connection holds none (a 1 MiB
                    // pipe costs the kernel about 10 KiB of bookkeeping even when empty).
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
                    (pipeRead, pipeWrite) = Posix.Pipe(Posix.O_NONBLOCK);
                    Libc.Fcntl(pipeWrite, F_SETPIPE_SZ, PipeSize); // best effort: the default 64 KiB pipe works too
                }
                nint n = Posix.Splice(inFd, pipeWrite, PipeSize);
                if (n > 0)
                {
                    clock.BeginWrite();
                    try
                    {
                        await DrainAsync(pipeRead, outFd, to, n, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        clock.EndWrite();
                    }
                    // Less than asked for: the socket is most likely empty, and the readiness wait
                    // checks that itself; skipping the splice that would say EAGAIN saves a
                    // syscall per message on interactive traffic.
                    if (n < PipeSize) await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
                    continue;
                }
                if (n == 0) return; // EOF
                int errno = Posix.Errno;
                if (errno == Posix.EINTR) continue;
                if (errno == Posix.EAGAIN)
                {
                    // Wait until readable: a zero-byte receive holds no buffer.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
                    continue;
                }
                if (errno == ECONNRESET)
                {
                    Log.Warn($"read({inFd}, {PipeSize}): {Posix.StrError(errno)}");
                    return;
                }
                throw new PosixException($"splice({inFd}, {pipeWrite}, {PipeSize})", errno);
            }
        }
        finally
        {
            if (pipeRead >= 0) Posix.Close(pipeRead);
            if (pipeWrite >= 0) Posix.Close(pipeWrite);
        }
    }

    private static async ValueTask DrainAsync(int pipeRead, int outFd, Socket to, nint pending, CancellationToken ct)
    {
        while (pending > 0)
        {
            nint m = Posix.Splice(pipeRead, outFd, pending);
            if (m > 0) { pending -= m; continue; }
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
                try
                {
                    int sent = 0;
                    while (sent < r) sent += await to.SendAsync(buffer.AsMemory(sent, r - sent), SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    throw new PosixException($"write({outFd}, {r})", e.NativeErrorCode);
                }
                pending -= r;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
