using System.Net.Security;
using System.Net.Sockets;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// A TLS connection as a channel: reads and writes go through SslStream; half-close sends TLS's
/// close_notify and then shuts the socket's sending side, so the peer sees both ends of the stream.
/// </summary>
internal sealed class TlsChannel(SslStream tls, Socket socket) : IChannel
{
    private bool _disposed;

    public bool IsDatagram => false;

    public int ReadFd { get; } = (int)socket.Handle;

    public int WriteFd => ReadFd;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            return await tls.ReadAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            Diagnostics.Log.Warn($"read({ReadFd}, {buffer.Length}): Connection reset by peer");
            return 0;
        }
        catch (IOException e) when (_shutDown)
        {
            // After our half-close a peer that took it without close_notify may end with an alert.
            Diagnostics.Log.Info($"SSL_read() after shutdown: {e.Message}: end of file");
            return 0;
        }
        catch (IOException e)
        {
            throw new SharpCatException($"SSL_read(): {e.Message}", e);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await tls.WriteAsync(data, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SharpCatException($"SSL_write(): {e.Message}", e);
        }
    }

    private volatile bool _shutDown;

    public async ValueTask ShutdownWriteAsync()
    {
        _shutDown = true;
        // close_notify is best effort (OpenSSL may refuse it as "shutdown while in init" on a TLS 1.3
        // client while the server's post-handshake messages are pending); the TCP half-close is what
        // the peer's EOF rests on.
        try { await tls.ShutdownAsync().ConfigureAwait(false); }
        catch (Exception e) { Diagnostics.Log.Debug($"SSL_shutdown(): {e.Message}"); }
        try { socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    /// <summary>The TCP connection under the TLS session, which tells a child program what it knows.</summary>
    public IChannel? Transport { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => Transport?.Variables;

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        tls.Dispose();
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
