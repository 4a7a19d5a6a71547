using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// STALL (socat 1.8.1): an address that never gives data or end of file, and never takes data.
/// As in socat it reads from a pipe whose writing end it keeps open and nobody writes, and writes
/// to a pipe filled to the brim that nobody reads; and since it never becomes writable, the relay
/// never reads the other address for it (<see cref="IChannel.WaitWritableAsync"/>), so what comes
/// from there stays with its sender, as under socat's loop.
/// </summary>
internal static class StallEndpoints
{
    public static ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        bool read = (request.Access & Access.Read) != 0, write = (request.Access & Access.Write) != 0;
        var fds = new List<int>(4);
        try
        {
            FdStream? reader = null, writer = null;
            int keptWriteEnd = -1, keptReadEnd = -1;
            if (read)
            {
                var (r, w) = OwnedPipe(fds, "reading");
                keptWriteEnd = w;
                Prepare(r, request);
            }
            if (write)
            {
                var (r, w) = OwnedPipe(fds, "writing");
                keptReadEnd = r;
                Prepare(w, request);
                Fill(w);
            }
            if (read) reader = new FdStream(fds[0], owns: true);
            if (write) writer = new FdStream(fds[^1], owns: true);
            var channel = new FdChannel(reader, writer) { Shutdown = FdOptions.ShutdownMode(request.Options) };
            channel.OnClose(() =>
            {
                if (keptWriteEnd >= 0) Posix.Close(keptWriteEnd);
                if (keptReadEnd >= 0) Posix.Close(keptReadEnd);
            });
            Log.Notice(read && write ? "reading from stall pipe, writing to nothing" : read ? "reading from stall pipe" : "writing to nothing");
            return ValueTask.FromResult<IChannel>(new StallChannel(channel));
        }
        catch
        {
            foreach (int fd in fds) Posix.Close(fd);
            throw;
        }
    }

    /// <summary>The address's FD and FIFO options on the end the relay uses, as socat applies them.</summary>
    private static void Prepare(int fd, OpenRequest request)
    {
        FdOptions.ApplyFdPhase(fd, request.Options);
        FdOptions.ApplyLatePhase(fd, request.Options);
    }

    /// <summary>
    /// Writes zeros until the pipe takes no more. After the address's options, so that a pipe size
    /// (f-setpipe-sz) is full too; socat fills the pipe first and enlarges it after, leaving room.
    /// </summary>
    private static void Fill(int fd)
    {
        int flags = Posix.GetFl(fd);
        Posix.SetFl(fd, flags | Posix.O_NONBLOCK);
        var zeros = new byte[65536];
        while (Posix.TryWrite(fd, zeros) > 0) { }
        Posix.SetFl(fd, flags);
    }

    /// <summary>The pipes' channel, never writable.</summary>
    private sealed class StallChannel(FdChannel inner) : IChannel
    {
        public bool IsDatagram => false;

        public bool CanRead => inner.CanRead;

        public bool CanWrite => inner.CanWrite;

        public int ReadFd => inner.ReadFd;

        public int WriteFd => inner.WriteFd;

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct) => inner.ReadAsync(buffer, ct);

        public ValueTask WaitReadableAsync(CancellationToken ct) => ((IChannel)inner).WaitReadableAsync(ct);

        /// <summary>Never: the pipe is full and nobody reads it.</summary>
        public ValueTask WaitWritableAsync(CancellationToken ct) => new(Task.Delay(Timeout.Infinite, ct));

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => inner.WriteAsync(data, ct);

        public ValueTask ShutdownWriteAsync() => inner.ShutdownWriteAsync();

        public string Describe() => inner.Describe();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    // A pipe whose ends the stall holds, closed with the others when it ends or fails.
    private static (int Read, int Write) OwnedPipe(List<int> fds, string what)
    {
        Log.Info($"creating pipe for stalled {what}");
        var (r, w) = Posix.Pipe();
        fds.Add(r);
        fds.Add(w);
        return (r, w);
    }
}
