using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// TLS over a TCP connection through libssl. OpenSSL reads the non-blocking socket itself (this
/// class waits for readability between reads, without a buffer) and encrypts into a memory BIO
/// whose bytes this class sends with the socket's own async calls, so a full peer holds a writer
/// back as on a plain socket and no thread waits. Sends go out in the order OpenSSL produced them
/// (one sender at a time drains the output). Half-close sends close_notify and then shuts the
/// socket's sending side; a peer that closes TCP without close_notify ends the stream too.
/// Nagle is off until the first application write has gone out (<see cref="TlsNagle"/>).
/// </summary>
internal sealed class TlsChannel : ISecureChannel
{
    private const int RecordRoom = 16 * 1024 + 512; // one TLS record and its overhead
    private const int ECONNRESET = 104;
    private readonly SocketChannel _tcp;
    private readonly Socket _socket;
    private readonly OpenSslSession _session;
    private readonly nint _output; // the memory BIO OpenSSL encrypts into, owned by the SSL object
    private readonly SemaphoreSlim _sending = new(1, 1);
    private TlsNagle? _nagle; // until the first application write

    private TlsChannel(SocketChannel tcp, OpenSslSession session, nint output, TlsNagle? nagle)
    {
        _tcp = tcp;
        _socket = tcp.Socket;
        _session = session;
        _output = output;
        _nagle = nagle;
    }

    public System.Net.EndPoint? LocalEndPoint => ((IChannel)_tcp).LocalEndPoint;

    public System.Net.EndPoint? RemoteEndPoint => ((IChannel)_tcp).RemoteEndPoint;

    /// <summary>A session of <paramref name="context"/> over the connection (see <see cref="OpenSslSession.Create"/>); the handshake comes next.</summary>
    public static TlsChannel Create(nint context, SocketChannel tcp, Catalog.OptionSet options, bool client, bool verifying, string? expectedName, string? sni)
    {
        var session = OpenSslSession.Create(context, options, dtls: false, client, verifying, expectedName, sni);
        Native.Posix.SetFl(tcp.ReadFd, Native.Posix.GetFl(tcp.ReadFd) | Native.Posix.O_NONBLOCK);
        nint input = BIO_new_socket(tcp.ReadFd, BIO_NOCLOSE), output = BIO_new(BIO_s_mem());
        if (input == 0 || output == 0)
        {
            if (input != 0) BIO_free(input);
            if (output != 0) BIO_free(output);
            session.Dispose();
            throw new SharpCatException($"BIO_new(): {Errors()}");
        }
        SSL_set_bio(session.Ssl, input, output);
        return new TlsChannel(tcp, session, output, TlsNagle.Hold(tcp.Socket, options, client));
    }

    /// <summary>Runs the handshake to its end; nothing is relayed before it succeeds.</summary>
    public async ValueTask HandshakeAsync(CancellationToken ct)
    {
        string call = _session.HandshakeCall;
        while (true)
        {
            int rc;
            string? failure = null;
            lock (_session.Gate)
            {
                ERR_clear_error();
                FailedCertificate = null;
                rc = SSL_do_handshake(_session.Ssl);
                int error = rc == 1 ? 0 : SSL_get_error(_session.Ssl, rc);
                if (rc != 1 && error != SSL_ERROR_WANT_READ) failure = _session.Failure(call, error, handshake: true);
            }
            // Also after a failure: the alert that tells the peer why goes out first.
            try
            {
                await FlushAsync(ct).ConfigureAwait(false);
            }
            catch (SharpCatException) when (failure is not null)
            {
            }
            if (failure is not null) throw new SharpCatException(failure);
            if (rc == 1) break;
            await WaitReadableAsync(ct).ConfigureAwait(false);
        }
        _session.Established();
    }

    public bool IsDatagram => false;

    public int ReadFd => _tcp.ReadFd;

    public int WriteFd => _tcp.ReadFd;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => _session.AfterTransport(_tcp.Variables);

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            int rc, error;
            bool pendingOutput;
            lock (_session.Gate)
            {
                if (_session.Ssl == 0) return 0;
                if (_tcp.TakeUnreportedReset(buffer.Length)) return 0;
                ERR_clear_error();
                rc = Read(buffer.Span);
                error = rc > 0 ? 0 : SSL_get_error(_session.Ssl, rc);
                pendingOutput = BIO_ctrl(_output, BIO_CTRL_PENDING, 0, 0) > 0;
                if (error == SSL_ERROR_SYSCALL && Marshal.GetLastPInvokeError() == ECONNRESET)
                {
                    _tcp.NoteReset(buffer.Length);
                    return 0;
                }
                if (rc <= 0 && error is not (SSL_ERROR_WANT_READ or SSL_ERROR_ZERO_RETURN))
                    throw new SharpCatException(_session.Failure("SSL_read", error));
            }
            // Reading can make OpenSSL answer (a key update): the answer goes out now.
            if (pendingOutput) await FlushAsync(ct).ConfigureAwait(false);
            if (rc > 0) return rc;
            if (error == SSL_ERROR_ZERO_RETURN) return 0; // close_notify, or the connection's end without it
            await WaitReadableAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.IsEmpty) return;
        lock (_session.Gate)
        {
            ObjectDisposedException.ThrowIf(_session.Ssl == 0, this);
            ERR_clear_error();
            // Into a memory BIO a write never waits: it is whole, or it failed.
            int rc = Write(data.Span);
            if (rc <= 0) throw new SharpCatException(_session.Failure("SSL_write", SSL_get_error(_session.Ssl, rc)));
        }
        await FlushAsync(ct).ConfigureAwait(false);
        if (_nagle is { } nagle)
        {
            nagle.Release();
            _nagle = null;
        }
    }

    /// <summary>
    /// Sends what OpenSSL has produced. One sender at a time takes it out and sends it, so the
    /// bytes leave in the order they were made even when the reader and the writer both flush.
    /// </summary>
    private async ValueTask FlushAsync(CancellationToken ct)
    {
        await _sending.WaitAsync(ct).ConfigureAwait(false);
        byte[]? chunk = null;
        try
        {
            while (true)
            {
                int n;
                lock (_session.Gate)
                {
                    if (BIO_ctrl(_output, BIO_CTRL_PENDING, 0, 0) <= 0) return;
                    chunk ??= ArrayPool<byte>.Shared.Rent(RecordRoom);
                    n = BioRead(_output, chunk);
                }
                if (n <= 0) return;
                try
                {
                    await _socket.SendAsync(chunk.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    throw new Native.PosixException($"write({_tcp.WriteFd}, {n})", e.NativeErrorCode);
                }
            }
        }
        finally
        {
            if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk);
            _sending.Release();
        }
    }

    /// <summary>
    /// Waits until the socket has something for OpenSSL to read (a zero-byte receive: no buffer is
    /// held while a connection idles). A socket error ends the wait; the read that follows reports it.
    /// </summary>
    private ValueTask WaitReadableAsync(CancellationToken ct) => _tcp.WaitReadableAsync(ct);

    private unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer) return SSL_read(_session.Ssl, p, buffer.Length);
    }

    private unsafe int Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) return SSL_write(_session.Ssl, p, data.Length);
    }

    private static unsafe int BioRead(nint bio, Span<byte> buffer)
    {
        fixed (byte* p = buffer) return BIO_read(bio, p, buffer.Length);
    }

    /// <summary>close_notify, then the socket's half-close, so the peer sees both ends of the stream.</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        lock (_session.Gate)
        {
            // A TLS 1.3 client still reading the server's session tickets is "in init": OpenSSL
            // refuses close_notify then, and the TCP half-close alone ends the stream.
            if (_session.Ssl != 0 && SSL_in_init(_session.Ssl) == 0 && SSL_shutdown(_session.Ssl) < 0)
                Log.Debug($"SSL_shutdown(): {Errors()}");
        }
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or SharpCatException)
        {
            Log.Debug($"shutdown after close_notify: {e.Message}");
        }
    }

    public bool WasReset => _tcp.WasReset;

    public void AbortOnClose() => _tcp.AbortOnClose();

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public async ValueTask DisposeAsync()
    {
        _session.Dispose();
        await _tcp.DisposeAsync().ConfigureAwait(false);
        _sending.Dispose();
    }
}
