using SharpCat.Endpoints;

namespace SharpCat.Relay;

/// <summary>
/// The first address when the second one forks: as in socat, whose parent opened it before
/// listening and whose children all inherit it, it is opened once and every relay uses it. Reads
/// and writes are taken one at a time (socat's children race for the descriptor the same way).
/// A relay's end is a child's end: a socket is shut down both ways unless <c>end-close</c>, and
/// nothing is closed; the listener closes the address when it ends.
/// </summary>
internal sealed class SharedChannel(IChannel inner, SemaphoreSlim reading, SemaphoreSlim writing) : IChannel
{
    /// <summary>The address opened once, handed to each relay through its own <see cref="SharedChannel"/>.</summary>
    internal sealed class Owner(OpenedEndpoint opened, List<LockFile> locks) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _reading = new(1), _writing = new(1);

        public OpenedEndpoint ForRelay() => opened with { Channel = new SharedChannel(opened.Channel, _reading, _writing) };

        public async ValueTask DisposeAsync()
        {
            await opened.Channel.DisposeAsync().ConfigureAwait(false);
            foreach (var l in locks) l.Dispose();
            _reading.Dispose();
            _writing.Dispose();
        }
    }

    public bool IsDatagram => inner.IsDatagram;

    public bool CanRead => inner.CanRead;

    public bool CanWrite => inner.CanWrite;

    public int ReadFd => inner.ReadFd;

    public int WriteFd => inner.WriteFd;

    public Task? Completion => inner.Completion;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => inner.Variables;

    public bool WasReset => inner.WasReset;

    public void AbortOnClose() => inner.AbortOnClose();

    public string Describe() => inner.Describe();

    public System.Net.EndPoint? LocalEndPoint => inner.LocalEndPoint;

    public System.Net.EndPoint? RemoteEndPoint => inner.RemoteEndPoint;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        await reading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        }
        finally
        {
            reading.Release();
        }
    }

    public ValueTask WaitWritableAsync(CancellationToken ct) => inner.WaitWritableAsync(ct);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(data, ct).ConfigureAwait(false);
        }
        finally
        {
            writing.Release();
        }
    }

    // A socket's (or TLS session's) shutdown is the connection's, seen by every relay, as a socat
    // child's shutdown(2) is; for anything else a child would close only its own copy.
    public ValueTask ShutdownWriteAsync() =>
        inner is SocketChannel or TlsChannel ? inner.ShutdownWriteAsync() : ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (inner is SocketChannel { EndClose: false } socket) socket.ShutdownBoth();
        return ValueTask.CompletedTask;
    }
}
