using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// OPENSSL-DTLS-CLIENT:host:port and OPENSSL-DTLS-SERVER:port: DTLS over UDP through libssl
/// (see <see cref="DtlsChannel"/>). The server takes its first peer as UDP-LISTEN does (with
/// fork, each peer in turn), then handshakes. Verification is as for OPENSSL: on by default, a
/// client checks the chain and the name, a server given a CA requires a client certificate.
/// </summary>
internal static class DtlsEndpoints
{
    public static async ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        nint context = NewContext(options, server: false);
        try
        {
            var udp = (DatagramChannel)await UdpEndpoints.Connect(request, ct).ConfigureAwait(false);
            DtlsChannel? dtls = null;
            try
            {
                bool verify = TlsSharedOptions.Verifies(options, server: false);
                string name = options.Text("openssl-commonname") ?? request.Parameters[0].Trim('[', ']');
                string? sni = options.Flag("openssl-no-sni") ? null : options.Text("openssl-snihost") ?? name;
                if (sni is not null && System.Net.IPAddress.TryParse(sni, out _)) sni = null; // never an IP literal
                dtls = DtlsChannel.Create(context, udp, options, client: true, verify, verify ? name : null, sni);
                await dtls.HandshakeAsync(ct).ConfigureAwait(false);
                return dtls;
            }
            catch
            {
                if (dtls is not null) await dtls.DisposeAsync().ConfigureAwait(false);
                else await udp.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            SSL_CTX_free(context); // each SSL object holds its own reference
        }
    }

    public static async ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        if (!request.Options.Has("openssl-certificate"))
            throw new SharpCatException("OPENSSL-DTLS-SERVER: option cert is required (the server's certificate and key)");
        // The context (certificate, key, CA) is made before anything listens: a bad file is an error at start.
        nint context = NewContext(request.Options, server: true);
        try
        {
            return new DtlsListener(await UdpEndpoints.Listen(request, ct).ConfigureAwait(false), context, request.Options);
        }
        catch
        {
            SSL_CTX_free(context);
            throw;
        }
    }

    private sealed class DtlsListener(IListener udp, nint context, OptionSet options) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = (DatagramChannel)await udp.AcceptAsync(ct).ConfigureAwait(false);
                DtlsChannel? dtls = null;
                try
                {
                    dtls = DtlsChannel.Create(context, accepted, options, client: false, TlsSharedOptions.Verifies(options, server: true), expectedName: null, sni: null);
                    await dtls.HandshakeAsync(ct).ConfigureAwait(false);
                    return dtls;
                }
                catch (Exception e)
                {
                    if (dtls is not null) await dtls.DisposeAsync().ConfigureAwait(false);
                    else await accepted.DisposeAsync().ConfigureAwait(false);
                    // With fork a failed handshake ends that peer only.
                    if (e is not SharpCatException || !options.Flag("fork")) throw;
                    Log.Error(e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await udp.DisposeAsync().ConfigureAwait(false);
            SSL_CTX_free(context);
        }
    }

    /// <summary>An SSL_CTX with the OPENSSL options: versions, cipher, certificate and key, DH parameters, verification.</summary>
    private static nint NewContext(OptionSet options, bool server)
    {
        nint context = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
        if (context == 0) throw new SharpCatException($"SSL_CTX_new(): {Errors()}");
        try
        {
            SetVersion(context, options, "openssl-min-proto-version", SSL_CTRL_SET_MIN_PROTO_VERSION);
            SetVersion(context, options, "openssl-max-proto-version", SSL_CTRL_SET_MAX_PROTO_VERSION);
            TlsSharedOptions.Apply(context, options);
            if (options.Text("openssl-certificate") is { } certFile)
            {
                string keyFile = options.Text("openssl-key") ?? certFile;
                Readable("cert", certFile);
                Readable("key", keyFile);
                if (SSL_CTX_use_certificate_chain_file(context, certFile) != 1)
                    throw new SharpCatException($"cert \"{certFile}\": {Errors()}");
                if (SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(context) != 1)
                    throw new SharpCatException($"cert \"{certFile}\", key \"{keyFile}\": {Errors()} (the key must be the certificate's, in PEM)");
            }
            if (options.Text("openssl-dhparam") is { } dhFile) SetDhParameters(context, dhFile);
            bool verify = TlsSharedOptions.Verifies(options, server);
            string? caFile = options.Text("openssl-cafile"), caPath = options.Text("openssl-capath");
            if (caFile is not null) Readable("cafile", caFile);
            if (caFile is not null || caPath is not null)
            {
                if (SSL_CTX_load_verify_locations(context, caFile, caPath) != 1)
                    throw new SharpCatException($"cafile/capath: {Errors()}");
            }
            else if (!server && verify) SSL_CTX_set_default_verify_paths(context);
            int mode = !verify ? SSL_VERIFY_NONE : server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER;
            unsafe { SSL_CTX_set_verify(context, mode, (nint)(delegate* unmanaged<int, nint, int>)&NoteFailedCertificate); }
            return context;
        }
        catch
        {
            SSL_CTX_free(context);
            throw;
        }
    }

    /// <summary>min-proto-version/max-proto-version for DTLS: DTLS1 (1.0) or DTLS1.2.</summary>
    private static void SetVersion(nint context, OptionSet options, string option, int control)
    {
        if (options.Text(option) is not { } text) return;
        int version = text.ToUpperInvariant().Replace("V", "").Replace("_", ".") switch
        {
            "DTLS1" or "DTLS1.0" => 0xFEFF,
            "DTLS1.2" => 0xFEFD,
            _ => throw new SharpCatException($"{option["openssl-".Length..]}={text}: not a DTLS version (DTLS1 or DTLS1.2)"),
        };
        if (SSL_CTX_ctrl(context, control, version, 0) != 1) throw new SharpCatException($"{option["openssl-".Length..]}={text}: {Errors()}");
    }

    /// <summary>dhparams: Diffie-Hellman parameters in PEM for the DHE cipher suites.</summary>
    private static void SetDhParameters(nint context, string file)
    {
        Readable("dhparams", file);
        nint bio = BIO_new_file(file, "r");
        if (bio == 0) throw new SharpCatException($"dhparams \"{file}\": {Errors()}");
        nint parameters;
        try { parameters = PEM_read_bio_Parameters(bio, 0); }
        finally { BIO_free(bio); }
        if (parameters == 0) throw new SharpCatException($"dhparams \"{file}\": {Errors()} (expected DH PARAMETERS in PEM)");
        if (SSL_CTX_set0_tmp_dh_pkey(context, parameters) != 1)
        {
            EVP_PKEY_free(parameters);
            throw new SharpCatException($"dhparams \"{file}\": {Errors()}");
        }
    }

    /// <summary>A file option names a file this process can read, with the message the TLS addresses give.</summary>
    internal static void Readable(string option, string path)
    {
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SharpCatException($"{option} \"{path}\": No such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new SharpCatException($"{option} \"{path}\": Permission denied");
        }
    }
}
