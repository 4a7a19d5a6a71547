using System.Buffers;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// TLS over a TCP connection through libssl with memory BIOs: OpenSSL encrypts into one buffer
/// and decrypts from another, and this class moves the bytes with the socket's own async calls,
/// so a full peer holds a writer back as on a plain socket and no thread waits. Sends go out in
/// the order OpenSSL produced them (one sender at a time drains the output). Half-close sends
/// close_notify and then shuts the socket's sending side; a peer that closes TCP without
/// close_notify ends the stream too.
/// </summary>
internal sealed class TlsChannel : ISecureChannel
{
    private const int RecordRoom = 16 * 1024 + 512; // one TLS record and its overhead
    private const int FillSize = 64 * 1024;         // what one receive may hand to OpenSSL
    private readonly SocketChannel _tcp;
    private readonly Socket _socket;
    private readonly OpenSslSession _session;
    private readonly nint _input, _output; // memory BIOs owned by the SSL object
    private readonly SemaphoreSlim _sending = new(1, 1);
    private volatile bool _shutDown;
    private bool _moreWaiting; // the last receive filled its buffer: more is likely there already

    private TlsChannel(SocketChannel tcp, OpenSslSession session, nint input, nint output)
    {
        _tcp = tcp;
        _socket = tcp.Socket;
        _session = session;
        _input = input;
        _output = output;
    }

    /// <summary>A session of <paramref name="context"/> over the connection (see <see cref="OpenSslSession.Create"/>); the handshake comes next.</summary>
    public static TlsChannel Create(nint context, SocketChannel tcp, Catalog.OptionSet options, bool client, bool verifying, string? expectedName, string? sni)
    {
        var session = OpenSslSession.Create(context, options, dtls: false, client, verifying, expectedName, sni);
        nint input = BIO_new(BIO_s_mem()), output = BIO_new(BIO_s_mem());
        if (input == 0 || output == 0)
        {
            if (input != 0) BIO_free(input);
            if (output != 0) BIO_free(output);
            session.Dispose();
            throw new SharpCatException($"BIO_new(): {Errors()}");
        }
        SSL_set_bio(session.Ssl, input, output);
        return new TlsChannel(tcp, session, input, output);
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
            if (!await FillAsync(ct).ConfigureAwait(false)) throw new SharpCatException($"{call}(): unexpected end of file (the peer closed the connection)");
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
                ERR_clear_error();
                rc = Read(buffer.Span);
                error = rc > 0 ? 0 : SSL_get_error(_session.Ssl, rc);
                pendingOutput = BIO_ctrl(_output, BIO_CTRL_PENDING, 0, 0) > 0;
                if (rc <= 0 && error is not (SSL_ERROR_WANT_READ or SSL_ERROR_ZERO_RETURN))
                    throw new SharpCatException(_session.Failure("SSL_read", error));
            }
            // Reading can make OpenSSL answer (a key update): the answer goes out now.
            if (pendingOutput) await FlushAsync(ct).ConfigureAwait(false);
            if (rc > 0) return rc;
            if (error == SSL_ERROR_ZERO_RETURN) return 0; // the peer's close_notify
            if (!await FillAsync(ct).ConfigureAwait(false))
            {
                if (!_shutDown) Log.Info("SSL_read(): the peer closed the connection without close_notify: end of file");
                return 0;
            }
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
    /// Waits for bytes from the peer and hands them to OpenSSL; false at the connection's end. A
    /// wait holds no buffer (a zero-byte receive first), so an idle connection costs none; while
    /// data streams in, the receives go straight on.
    /// </summary>
    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        byte[]? chunk = null;
        try
        {
            if (!_moreWaiting) await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
            chunk = ArrayPool<byte>.Shared.Rent(FillSize);
            int n = await _socket.ReceiveAsync(chunk.AsMemory(0, FillSize), SocketFlags.None, ct).ConfigureAwait(false);
            _moreWaiting = n == FillSize;
            if (n == 0) return false;
            lock (_session.Gate)
            {
                if (_session.Ssl == 0) return false;
                BioWrite(_input, chunk.AsSpan(0, n));
            }
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            Log.Warn($"read({_tcp.ReadFd}): Connection reset by peer");
            return false;
        }
        catch (SocketException e)
        {
            throw new Native.PosixException($"read({_tcp.ReadFd})", e.NativeErrorCode);
        }
        finally
        {
            if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk);
        }
    }

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

    private static unsafe void BioWrite(nint bio, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) BIO_write(bio, p, data.Length);
    }

    /// <summary>close_notify, then the socket's half-close, so the peer sees both ends of the stream.</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        _shutDown = true;
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

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public async ValueTask DisposeAsync()
    {
        _session.Dispose();
        await _tcp.DisposeAsync().ConfigureAwait(false);
        _sending.Dispose();
    }
}
