using System.Runtime.InteropServices;
using SharpCat.Catalog;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// One SSL object of a TLS or DTLS connection and what both channels do with it alike: the
/// client's name check and SNI, the reason a call failed, the session's notice lines. An SSL object
/// is not safe for two threads at once, so every call into it holds <see cref="Gate"/> (and no
/// wait for the network does).
/// </summary>
internal sealed class OpenSslSession : IDisposable
{
    private readonly OptionSet _options;
    private readonly bool _dtls, _verifying;
    private readonly string? _expectedName;

    private OpenSslSession(nint ssl, OptionSet options, bool dtls, bool client, bool verifying, string? expectedName)
    {
        Ssl = ssl;
        _options = options;
        _dtls = dtls;
        IsClient = client;
        _verifying = verifying;
        _expectedName = expectedName;
    }

    /// <summary>Held around every call into <see cref="Ssl"/>.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The SSL object; 0 once disposed.</summary>
    public nint Ssl { get; private set; }

    public bool IsClient { get; }

    /// <summary>The handshake's name in messages, as socat's: SSL_connect or SSL_accept.</summary>
    public string HandshakeCall => IsClient ? "SSL_connect" : "SSL_accept";

    /// <summary>
    /// A new SSL object of <paramref name="context"/>, without its BIOs (the channel sets them). It
    /// checks the peer's name against <paramref name="expectedName"/> (when verifying; a server's
    /// commonname checks the client's certificate), and a client sends <paramref name="sni"/>. <paramref name="verifying"/>: the context checks the peer's
    /// certificate, so a failed check is the reason to report (OpenSSL records the check's result
    /// even when it does not enforce it).
    /// </summary>
    public static OpenSslSession Create(nint context, OptionSet options, bool dtls, bool client, bool verifying, string? expectedName, string? sni)
    {
        nint ssl = SSL_new(context);
        if (ssl == 0) throw new SharpCatException($"SSL_new(): {Errors()}");
        var session = new OpenSslSession(ssl, options, dtls, client, verifying, expectedName);
        try
        {
            if (client) SSL_set_connect_state(ssl);
            else SSL_set_accept_state(ssl);
            // The name is part of the chain check on either side: a server checks a client's too.
            if (expectedName is not null)
            {
                bool bracketed = expectedName.Length > 2 && expectedName[0] == '[' && expectedName[^1] == ']';
                string bare = bracketed ? expectedName[1..^1] : expectedName;
                bool isIp = System.Net.IPAddress.TryParse(bare, out _);
                int ok = isIp ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), bare) : SSL_set1_host(ssl, bare);
                if (ok != 1) throw new SharpCatException($"commonname \"{expectedName}\": {Errors()}");
                // socat compares names as strings: "[::1]" is also matched by a certificate named
                // "[::1]" (its common name or a DNS entry), besides one with the address ::1.
                if (bracketed && isIp) NamesAsWritten[ssl] = expectedName;
            }
            if (client && sni is not null)
            {
                nint name = Marshal.StringToCoTaskMemUTF8(sni);
                try { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, name); }
                finally { Marshal.FreeCoTaskMem(name); }
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why a call failed: the certificate check with its reason and subject (in a handshake), the
    /// socket's error, or OpenSSL's reasons. Called under <see cref="Gate"/> right after the call.
    /// </summary>
    public string Failure(string call, int error, bool handshake = false)
    {
        int errno = Marshal.GetLastPInvokeError();
        long verify = handshake && _verifying ? SSL_get_verify_result(Ssl) : 0;
        if (verify != 0)
        {
            var der = TakeCertificate(SSL_get1_peer_certificate(Ssl)) ?? FailedCertificate;
            var certificate = der is null ? null : Native.CertificateText.Describe(der);
            ERR_clear_error();
            if (verify is X509_V_ERR_HOSTNAME_MISMATCH or X509_V_ERR_IP_ADDRESS_MISMATCH && certificate is { } named)
                return $"certificate name mismatch: expected \"{_expectedName}\", the certificate is for {named.Names}";
            string reason = Text(X509_verify_cert_error_string(verify)) ?? $"error {verify}";
            return certificate is { } c ? $"certificate verify failed: {reason}, subject {c.Subject}" : $"certificate verify failed: {reason}";
        }
        if (error == SSL_ERROR_SYSCALL)
        {
            string queued = Errors();
            return $"{call}(): {(errno != 0 ? Native.Posix.StrError(errno) : queued == "unknown error" ? "unexpected end of file" : queued)}";
        }
        var (min, max) = OpenSslContext.DefaultVersions(_dtls);
        return $"{call}(): {TlsSharedOptions.Reason(Errors(), _options, min, max)}";
    }

    private bool _established;
    private List<KeyValuePair<string, string>>? _variables;

    /// <summary>
    /// What socat tells a child program about the session (without the SOCAT_ prefix):
    /// OPENSSL_CIPHER, OPENSSL_PROTO_VERSION and the peer certificate's OPENSSL_X509_* values.
    /// Read from the session when first asked (only a child program's start asks), once the
    /// handshake is done; a connection without a child pays nothing for them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Variables
    {
        get
        {
            lock (Gate)
            {
                if (_variables is not null || !_established || Ssl == 0) return _variables;
                _variables = [new("OPENSSL_CIPHER", Cipher), new("OPENSSL_PROTO_VERSION", Version)];
                nint peer = SSL_get1_peer_certificate(Ssl);
                if (peer == 0) return _variables;
                try { Native.CertificateText.Export(peer, _verifying, _expectedName, _variables); }
                finally { X509_free(peer); }
                return _variables;
            }
        }
    }

    private string Version => Text(SSL_get_version(Ssl)) ?? "unknown";

    private string Cipher => Text(SSL_CIPHER_get_name(SSL_get_current_cipher(Ssl))) ?? "unknown";

    /// <summary>Once the handshake is done: the session's notice lines (version, cipher, peer), when notices are shown.</summary>
    public void Established()
    {
        lock (Gate)
        {
            _established = true;
            if (!Diagnostics.Log.IsEnabled(Diagnostics.Severity.Notice)) return;
            string? subject = null;
            nint peer = SSL_get1_peer_certificate(Ssl);
            if (peer != 0)
            {
                try { subject = Native.CertificateText.Subject(peer); }
                finally { X509_free(peer); }
            }
            TlsSharedOptions.LogSession(Version, Cipher, subject);
        }
    }

    /// <summary>A channel's own variables followed by the session's.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? AfterTransport(IReadOnlyList<KeyValuePair<string, string>>? transport) =>
        transport is null ? Variables : Variables is null ? transport : [.. transport, .. Variables];

    public void Dispose()
    {
        lock (Gate)
        {
            if (Ssl != 0)
            {
                NamesAsWritten.TryRemove(Ssl, out _);
                SSL_free(Ssl);
            }
            Ssl = 0;
        }
    }
}
