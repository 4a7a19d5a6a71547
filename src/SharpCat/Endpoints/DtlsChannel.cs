using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// DTLS over a connected UDP socket, through libssl: OpenSSL reads and writes the socket itself
/// (a datagram BIO, so each record is one datagram and the path MTU is the kernel's), the socket
/// is non-blocking, and this class waits for readiness between calls. One SSL object is not safe
/// for two threads at once, so every call into it holds a lock; the waits do not. One read is one
/// record and one write sends one, as a datagram address.
/// </summary>
internal sealed class DtlsChannel : ISecureChannel
{
    private readonly DatagramChannel _udp;
    private readonly OpenSslSession _session;

    private DtlsChannel(DatagramChannel udp, OpenSslSession session)
    {
        _udp = udp;
        _session = session;
    }

    /// <summary>Binds a new session of <paramref name="context"/> to the connected socket (see <see cref="OpenSslSession.Create"/>).</summary>
    public static unsafe DtlsChannel Create(nint context, DatagramChannel udp, Catalog.OptionSet options, bool client, bool verifying,
        string? expectedName, string? sni)
    {
        int fd = udp.ReadFd;
        var session = OpenSslSession.Create(context, options, dtls: true, client, verifying, expectedName, sni);
        try
        {
            nint bio = BIO_new_dgram(fd, BIO_NOCLOSE);
            if (bio == 0) throw new SharpCatException($"BIO_new_dgram(): {Errors()}");
            SSL_set_bio(session.Ssl, bio, bio);
            // The socket is connected: the BIO must send without an address and take only the peer.
            var peer = udp.Socket.RemoteEndPoint!.Serialize();
            byte* address = stackalloc byte[peer.Size];
            for (int i = 0; i < peer.Size; i++) address[i] = peer[i];
            BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, (nint)address);
            Posix.SetFl(fd, Posix.GetFl(fd) | Posix.O_NONBLOCK);
            return new DtlsChannel(udp, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs the handshake to its end, resending lost flights on OpenSSL's timer; nothing is relayed before it succeeds.</summary>
    public async ValueTask HandshakeAsync(CancellationToken ct)
    {
        string call = _session.HandshakeCall;
        while (true)
        {
            int error;
            TimeSpan? timer;
            lock (_session.Gate)
            {
                ERR_clear_error();
                FailedCertificate = null;
                int rc = SSL_do_handshake(_session.Ssl);
                if (rc == 1) break;
                error = SSL_get_error(_session.Ssl, rc);
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(_session.Failure(call, error, handshake: true));
                timer = Timer();
            }
            if (!await WaitAsync(error == SSL_ERROR_WANT_WRITE, timer, call, ct).ConfigureAwait(false))
                lock (_session.Gate)
                    if ((int)SSL_ctrl(_session.Ssl, DTLS_CTRL_HANDLE_TIMEOUT, 0, 0) < 0)
                        throw new SharpCatException($"{call}(): handshake timed out (no answer from the peer)");
        }
        _session.Established();
    }

    /// <summary>DTLSv1_get_timeout: how long until OpenSSL wants to resend; null when no timer runs.</summary>
    private unsafe TimeSpan? Timer()
    {
        long* tv = stackalloc long[2];
        if ((int)SSL_ctrl(_session.Ssl, DTLS_CTRL_GET_TIMEOUT, 0, (nint)tv) != 1) return null;
        return TimeSpan.FromSeconds(tv[0]) + TimeSpan.FromMicroseconds(tv[1]);
    }

    /// <summary>
    /// Waits until the socket is readable (or writable), false when <paramref name="limit"/> passed
    /// first. A pending socket error (ICMP port unreachable) ends the wait with its message.
    /// </summary>
    private async ValueTask<bool> WaitAsync(bool writable, TimeSpan? limit, string call, CancellationToken ct)
    {
        if (writable)
        {
            // A UDP socket is short of send buffer only for moments; wait for it on a pool thread.
            int ms = limit is { } l ? (int)Math.Ceiling(l.TotalMilliseconds) : -1;
            return await Task.Run(() => Posix.PollEvents(_udp.ReadFd, 4 /* POLLOUT */, ms) != 0, ct).ConfigureAwait(false);
        }
        using var timeout = limit is { } t ? CancellationTokenSource.CreateLinkedTokenSource(ct) : null;
        timeout?.CancelAfter(limit!.Value);
        try
        {
            // A zero-byte peek: the datagram stays for OpenSSL to read.
            await _udp.Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, timeout?.Token ?? ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (SocketException e)
        {
            throw new SharpCatException($"{call}(): {Posix.StrError(e.NativeErrorCode)}");
        }
    }

    public bool IsDatagram => true;

    public int ReadFd => _udp.ReadFd;

    public int WriteFd => _udp.ReadFd;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            int error;
            lock (_session.Gate)
            {
                if (_session.Ssl == 0) return 0;
                ERR_clear_error();
                int rc = Read(buffer.Span);
                if (rc > 0) return rc;
                error = SSL_get_error(_session.Ssl, rc);
                if (error == SSL_ERROR_ZERO_RETURN) return 0; // the peer's close_notify: end of file
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(_session.Failure("SSL_read", error));
            }
            await WaitAsync(error == SSL_ERROR_WANT_WRITE, null, "SSL_read", ct).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.IsEmpty) return;
        while (true)
        {
            int error;
            lock (_session.Gate)
            {
                ObjectDisposedException.ThrowIf(_session.Ssl == 0, this);
                ERR_clear_error();
                int rc = Write(data.Span);
                if (rc > 0) return; // a DTLS record goes whole or not at all
                error = SSL_get_error(_session.Ssl, rc);
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(_session.Failure("SSL_write", error));
            }
            await WaitAsync(error == SSL_ERROR_WANT_WRITE, null, "SSL_write", ct).ConfigureAwait(false);
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

    /// <summary>Sends close_notify: the peer's read ends; this side goes on reading until the peer's.</summary>
    public ValueTask ShutdownWriteAsync()
    {
        lock (_session.Gate)
            if (_session.Ssl != 0 && SSL_shutdown(_session.Ssl) < 0)
                Log.Debug($"SSL_shutdown(): {Errors()}");
        return ValueTask.CompletedTask;
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => _session.AfterTransport(_udp.Variables);

    public ValueTask DisposeAsync()
    {
        _session.Dispose();
        return _udp.DisposeAsync();
    }
}
