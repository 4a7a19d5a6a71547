using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
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
internal sealed class DtlsChannel : IChannel
{
    private readonly DatagramChannel _udp;
    private readonly Lock _gate = new();
    private readonly string? _expectedName;
    private readonly bool _client, _verifying;
    private readonly Catalog.OptionSet _options;
    private nint _ssl;

    private DtlsChannel(DatagramChannel udp, nint ssl, bool client, bool verifying, string? expectedName, Catalog.OptionSet options)
    {
        _options = options;
        _verifying = verifying;
        _udp = udp;
        _ssl = ssl;
        _client = client;
        _expectedName = expectedName;
    }

    /// <summary>
    /// Binds a new SSL object of <paramref name="context"/> to the socket; a client checks the
    /// peer's name against <paramref name="expectedName"/> (when verifying) and sends <paramref name="sni"/>.
    /// <paramref name="verifying"/>: the context checks the peer's certificate, so a failed check
    /// is the reason to report (OpenSSL records the check's result even when it is not enforced).
    /// </summary>
    public static unsafe DtlsChannel Create(nint context, DatagramChannel udp, Catalog.OptionSet options, bool client, bool verifying,
        string? expectedName, string? sni)
    {
        int fd = udp.ReadFd;
        nint ssl = SSL_new(context);
        if (ssl == 0) throw new SharpCatException($"SSL_new(): {Errors()}");
        try
        {
            nint bio = BIO_new_dgram(fd, BIO_NOCLOSE);
            if (bio == 0) throw new SharpCatException($"BIO_new_dgram(): {Errors()}");
            SSL_set_bio(ssl, bio, bio);
            // The socket is connected: the BIO must send without an address and take only the peer.
            var peer = udp.Socket.RemoteEndPoint!.Serialize();
            byte* address = stackalloc byte[peer.Size];
            for (int i = 0; i < peer.Size; i++) address[i] = peer[i];
            BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, (nint)address);
            Posix.SetFl(fd, Posix.GetFl(fd) | Posix.O_NONBLOCK);
            if (client)
            {
                SSL_set_connect_state(ssl);
                if (expectedName is not null)
                {
                    bool isIp = System.Net.IPAddress.TryParse(expectedName, out _);
                    int ok = isIp ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), expectedName) : SSL_set1_host(ssl, expectedName);
                    if (ok != 1) throw new SharpCatException($"commonname \"{expectedName}\": {Errors()}");
                }
                if (sni is not null)
                {
                    nint name = Marshal.StringToCoTaskMemUTF8(sni);
                    try { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, name); }
                    finally { Marshal.FreeCoTaskMem(name); }
                }
            }
            else SSL_set_accept_state(ssl);
            return new DtlsChannel(udp, ssl, client, verifying, expectedName, options);
        }
        catch
        {
            SSL_free(ssl);
            throw;
        }
    }

    /// <summary>Runs the handshake to its end, resending lost flights on OpenSSL's timer; nothing is relayed before it succeeds.</summary>
    public async ValueTask HandshakeAsync(CancellationToken ct)
    {
        string call = _client ? "SSL_connect" : "SSL_accept";
        while (true)
        {
            int error;
            TimeSpan? timer;
            lock (_gate)
            {
                ERR_clear_error();
                FailedCertificate = null;
                int rc = SSL_do_handshake(_ssl);
                if (rc == 1) break;
                error = SSL_get_error(_ssl, rc);
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(Failure(call, error, handshake: true));
                timer = Timer();
            }
            if (!await WaitAsync(error == SSL_ERROR_WANT_WRITE, timer, call, ct).ConfigureAwait(false))
                lock (_gate)
                    if ((int)SSL_ctrl(_ssl, DTLS_CTRL_HANDLE_TIMEOUT, 0, 0) < 0)
                        throw new SharpCatException($"{call}(): handshake timed out (no answer from the peer)");
        }
        LogSession();
    }

    /// <summary>DTLSv1_get_timeout: how long until OpenSSL wants to resend; null when no timer runs.</summary>
    private unsafe TimeSpan? Timer()
    {
        long* tv = stackalloc long[2];
        if ((int)SSL_ctrl(_ssl, DTLS_CTRL_GET_TIMEOUT, 0, (nint)tv) != 1) return null;
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

    /// <summary>Why a call failed: the certificate check with its reason and subject, the socket's error, or OpenSSL's reasons.</summary>
    private string Failure(string call, int error, bool handshake = false)
    {
        int errno = Marshal.GetLastPInvokeError();
        long verify = handshake && _verifying ? SSL_get_verify_result(_ssl) : 0;
        if (verify != 0)
        {
            var der = TakeCertificate(SSL_get1_peer_certificate(_ssl)) ?? FailedCertificate;
            var certificate = der is null ? null : X509CertificateLoader.LoadCertificate(der);
            ERR_clear_error();
            if (verify is X509_V_ERR_HOSTNAME_MISMATCH or X509_V_ERR_IP_ADDRESS_MISMATCH && certificate is not null)
                return $"certificate name mismatch: expected \"{_expectedName}\", the certificate is for {TlsEndpoints.Names(certificate)}";
            string reason = Text(X509_verify_cert_error_string(verify)) ?? $"error {verify}";
            return certificate is null ? $"certificate verify failed: {reason}" : $"certificate verify failed: {reason}, subject {certificate.Subject}";
        }
        if (error == SSL_ERROR_SYSCALL)
        {
            string queued = Errors();
            return $"{call}(): {(errno != 0 ? Posix.StrError(errno) : queued == "unknown error" ? "unexpected end of file" : queued)}";
        }
        return $"{call}(): {TlsSharedOptions.Reason(Errors(), _options, "DTLS1", "DTLS1.2")}";
    }

    private void LogSession()
    {
        lock (_gate)
        {
            string? subject = TakeCertificate(SSL_get1_peer_certificate(_ssl)) is { } der ? X509CertificateLoader.LoadCertificate(der).Subject : null;
            TlsSharedOptions.LogSession(Text(SSL_get_version(_ssl)) ?? "DTLS", Text(SSL_CIPHER_get_name(SSL_get_current_cipher(_ssl))) ?? "unknown", subject);
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
            lock (_gate)
            {
                if (_ssl == 0) return 0;
                ERR_clear_error();
                int rc = Read(buffer.Span);
                if (rc > 0) return rc;
                error = SSL_get_error(_ssl, rc);
                if (error == SSL_ERROR_ZERO_RETURN) return 0; // the peer's close_notify: end of file
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(Failure("SSL_read", error));
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
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_ssl == 0, this);
                ERR_clear_error();
                int rc = Write(data.Span);
                if (rc > 0) return; // a DTLS record goes whole or not at all
                error = SSL_get_error(_ssl, rc);
                if (error is not (SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE)) throw new SharpCatException(Failure("SSL_write", error));
            }
            await WaitAsync(error == SSL_ERROR_WANT_WRITE, null, "SSL_write", ct).ConfigureAwait(false);
        }
    }

    private unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer) return SSL_read(_ssl, p, buffer.Length);
    }

    private unsafe int Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) return SSL_write(_ssl, p, data.Length);
    }

    /// <summary>Sends close_notify: the peer's read ends; this side goes on reading until the peer's.</summary>
    public ValueTask ShutdownWriteAsync()
    {
        lock (_gate)
            if (_ssl != 0 && SSL_shutdown(_ssl) < 0)
                Log.Debug($"SSL_shutdown(): {Errors()}");
        return ValueTask.CompletedTask;
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => _udp.Variables;

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_ssl != 0) SSL_free(_ssl);
            _ssl = 0;
        }
        return _udp.DisposeAsync();
    }
}
