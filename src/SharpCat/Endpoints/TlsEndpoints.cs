using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// OPENSSL (client; alias SSL) and OPENSSL-LISTEN (server; alias SSL-LISTEN) over TCP with .NET's
/// SslStream. Verification is on by default on both sides: a client checks the server's chain
/// (against cafile/capath, or the system's roots) and its name (commonname, else the host); a
/// server given a CA requires and checks a client certificate. Nothing is relayed before the
/// handshake succeeds, and a failure names the reason and the certificate.
/// </summary>
internal static class TlsEndpoints
{
    public static async ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        RefuseDhParameters(options);
        var ciphers = TlsSharedOptions.Policy(options); // a bad cipher string fails before anything connects
        string host = request.Parameters[0];
        var tcp = await TcpEndpoints.ConnectToAsync(request, host, SocketAddressing.Port(request.Parameters[1], "tcp"), 0, ct).ConfigureAwait(false);
        var socket = tcp.Socket;
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            string expectedName = options.Text("openssl-commonname") ?? host.Trim('[', ']');
            string? failure = null;
            var auth = new SslClientAuthenticationOptions
            {
                // SNI: snihost, else the name checked; none with no-sni (and never for an IP literal).
                TargetHost = options.Flag("openssl-no-sni") ? "" : options.Text("openssl-snihost") ?? expectedName,
                EnabledSslProtocols = Protocols(options),
                CipherSuitesPolicy = ciphers,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    Verify(options, certificate, expectedName, requireCertificate: true, out failure),
            };
            if (LoadCertificate(options) is { } own) auth.ClientCertificates = [own];
            try
            {
                await tls.AuthenticateAsClientAsync(auth, ct).ConfigureAwait(false);
            }
            catch (AuthenticationException e)
            {
                throw new SharpCatException(failure ?? $"SSL_connect(): {Reason(e, options)}");
            }
            catch (IOException e)
            {
                throw new SharpCatException($"SSL_connect(): {Reason(e, options)}");
            }
            LogSession(tls);
            return new TlsChannel(tls, socket);
        }
        catch
        {
            tls.Dispose();
            await tcp.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        RefuseDhParameters(options);
        // The certificate is checked before anything listens: a bad file is an error at start.
        var certificate = LoadCertificate(options)
            ?? throw new SharpCatException("OPENSSL-LISTEN: option cert is required (the server's certificate and key)");
        var ciphers = TlsSharedOptions.Policy(options);
        var tcp = await TcpEndpoints.Listen(request, ct).ConfigureAwait(false);
        return new TlsListener(tcp, options, certificate, ciphers);
    }

    /// <summary>A TLS server over a TCP listener: each accepted connection is handshaken before it is handed out.</summary>
    private sealed class TlsListener(IListener tcp, OptionSet options, X509Certificate2 certificate, CipherSuitesPolicy? ciphers) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = (SocketChannel)await tcp.AcceptAsync(ct).ConfigureAwait(false);
                try
                {
                    return await HandshakeAsync(accepted, ct).ConfigureAwait(false);
                }
                catch (SharpCatException e) when (options.Flag("fork"))
                {
                    // With fork a failed handshake ends that connection only.
                    Log.Error(e.Message);
                }
            }
        }

        private async Task<IChannel> HandshakeAsync(SocketChannel accepted, CancellationToken ct)
        {
            var socket = accepted.Socket;
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            bool requireClient = TlsSharedOptions.Verifies(options, server: true);
            string? failure = null;
            var auth = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = requireClient,
                EnabledSslProtocols = Protocols(options),
                CipherSuitesPolicy = ciphers,
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    !requireClient || Verify(options, cert, expectedName: null, requireCertificate: true, out failure),
            };
            try
            {
                await tls.AuthenticateAsServerAsync(auth, ct).ConfigureAwait(false);
                LogSession(tls);
                return new TlsChannel(tls, socket) { Transport = accepted };
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                tls.Dispose();
                await accepted.DisposeAsync().ConfigureAwait(false);
                throw new SharpCatException(failure ?? $"SSL_accept(): {Reason(e, options)}");
            }
        }

        public ValueTask DisposeAsync() => tcp.DisposeAsync();
    }

    /// <summary>SslStream has no way to take DH parameters: refused rather than ignored.</summary>
    private static void RefuseDhParameters(OptionSet options)
    {
        if (options.Has("openssl-dhparam"))
            throw new SharpCatException("dhparams is not supported on OPENSSL and OPENSSL-LISTEN (.NET's TLS chooses its own Diffie-Hellman groups); the DTLS addresses take it");
    }

    private static void LogSession(SslStream tls) =>
        TlsSharedOptions.LogSession(ProtocolName(tls.SslProtocol), TlsSharedOptions.OpenSslName(tls.NegotiatedCipherSuite), tls.RemoteCertificate?.Subject);

    private static string ProtocolName(SslProtocols p) => p switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => p.ToString(),
    };

    /// <summary>min-proto-version/max-proto-version: TLS1.2 or TLS1.3 (the versions .NET offers).</summary>
    private static SslProtocols Protocols(OptionSet options)
    {
        int min = Version(options.Text("openssl-min-proto-version") ?? "TLS1.2", "min-proto-version");
        int max = Version(options.Text("openssl-max-proto-version") ?? "TLS1.3", "max-proto-version");
        if (min > max) throw new SharpCatException("min-proto-version is above max-proto-version");
        var p = SslProtocols.None;
        if (min <= 2 && max >= 2) p |= SslProtocols.Tls12;
        if (max >= 3) p |= SslProtocols.Tls13;
        return p;
    }

    private static int Version(string text, string option) => text.ToUpperInvariant().Replace("V", "").Replace("_", ".") switch
    {
        "TLS1.2" => 2,
        "TLS1.3" => 3,
        "TLS1" or "TLS1.0" or "TLS1.1" or "SSL3" or "SSL2" => throw new SharpCatException($"{option}={text}: this build speaks TLS 1.2 and 1.3 only"),
        _ => throw new SharpCatException($"{option}={text}: unknown protocol version (TLS1.2 or TLS1.3)"),
    };

    /// <summary>cert (PEM with the key, or the key in key=); null when not given.</summary>
    private static X509Certificate2? LoadCertificate(OptionSet options)
    {
        if (options.Text("openssl-certificate") is not { } certFile) return null;
        string keyFile = options.Text("openssl-key") ?? certFile;
        try
        {
            using var loaded = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // A key from PEM lives in memory only; SslStream on Linux wants it exportable as PKCS#12.
            return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        }
        catch (FileNotFoundException e)
        {
            throw new SharpCatException($"cert \"{e.FileName}\": No such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new SharpCatException($"cert \"{certFile}\" or key \"{keyFile}\": Permission denied");
        }
        catch (CryptographicException e)
        {
            throw new SharpCatException($"cert \"{certFile}\", key \"{keyFile}\": {e.Message} (the key must be the certificate's, in PEM)");
        }
    }

    /// <summary>
    /// The peer's certificate against cafile/capath (or the system's roots) and, for a client, the
    /// expected name; false with the reason in <paramref name="failure"/>.
    /// </summary>
    private static bool Verify(OptionSet options, X509Certificate? presented, string? expectedName, bool requireCertificate, out string? failure)
    {
        failure = null;
        if (!options.Flag("openssl-verify", fallback: true)) return true;
        if (presented is null)
        {
            failure = "certificate verify failed: the peer sent no certificate";
            return !requireCertificate;
        }
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var roots = Roots(options);
        if (roots.Count > 0)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        }
        if (!chain.Build(certificate))
        {
            failure = $"certificate verify failed: {ChainReason(chain, certificate)}, subject {certificate.Subject}";
            return false;
        }
        if (expectedName is not null && !certificate.MatchesHostname(expectedName))
        {
            failure = $"certificate name mismatch: expected \"{expectedName}\", the certificate is for {Names(certificate)}";
            return false;
        }
        return true;
    }

    private static X509Certificate2Collection Roots(OptionSet options)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            if (options.Text("openssl-cafile") is { } file) roots.ImportFromPemFile(file);
            if (options.Text("openssl-capath") is { } dir)
                foreach (string f in Directory.EnumerateFiles(dir))
                    try { roots.ImportFromPemFile(f); } catch (CryptographicException) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharpCatException($"cafile/capath: {e.Message}");
        }
        return roots;
    }

    private static string ChainReason(X509Chain chain, X509Certificate2 certificate)
    {
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            return DateTime.Now > certificate.NotAfter ? "certificate has expired" : "certificate is not yet valid";
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            return certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData)
                ? "self-signed certificate" : "unable to get local issuer certificate";
        return string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }

    internal static string Names(X509Certificate2 certificate)
    {
        var names = new List<string> { certificate.GetNameInfo(X509NameType.SimpleName, false) };
        foreach (var ext in certificate.Extensions)
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        return string.Join(", ", names.Distinct().Select(n => $"\"{n}\""));
    }

    /// <summary>The innermost exception's message: OpenSSL's own reason, under .NET's wrappers.</summary>
    private static string Reason(Exception e, OptionSet options)
    {
        while (e.InnerException is { } inner) e = inner;
        return TlsSharedOptions.Reason(e.Message, options, "TLS1.2", "TLS1.3");
    }
}
