using SharpCat.Catalog;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// An SSL_CTX made from the OPENSSL options, for TLS or DTLS, client or server: versions, cipher,
/// certificate and key, DH parameters and verification. Every file is checked here, before
/// anything connects or listens. The caller frees it (SSL objects keep their own reference).
/// </summary>
internal static class OpenSslContext
{
    // The version names socat's min-version/max-version take, by protocol.
    private static readonly Dictionary<string, int> TlsVersions = new(StringComparer.Ordinal)
    {
        ["SSL3"] = 0x300, ["TLS1"] = 0x301, ["TLS1.0"] = 0x301, ["TLS1.1"] = 0x302, ["TLS1.2"] = 0x303, ["TLS1.3"] = 0x304,
    };

    private static readonly Dictionary<string, int> DtlsVersions = new(StringComparer.Ordinal)
    {
        ["DTLS1"] = 0xFEFF, ["DTLS1.0"] = 0xFEFF, ["DTLS1.2"] = 0xFEFD,
    };

    /// <summary>The versions allowed when the options name none (for TLS, 1.2 and up, as .NET allowed before).</summary>
    public static (string Min, string Max) DefaultVersions(bool dtls) => dtls ? ("DTLS1", "DTLS1.2") : ("TLS1.2", "TLS1.3");

    public static nint Create(OptionSet options, bool server, bool dtls)
    {
        nint method;
        try
        {
            method = (server, dtls) switch
            {
                (false, false) => TLS_client_method(),
                (true, false) => TLS_server_method(),
                (false, true) => DTLS_client_method(),
                (true, true) => DTLS_server_method(),
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // The first call into libssl loads it: a system without OpenSSL 3 learns it here (the
            // runtime's message lists every path it probed; one line says what to do).
            Diagnostics.Log.Debug(e.Message);
            throw new SharpCatException("the TLS addresses need OpenSSL 3 (libssl.so.3), which could not be loaded: install libssl3");
        }
        nint context = SSL_CTX_new(method);
        if (context == 0) throw new SharpCatException($"SSL_CTX_new(): {Errors()}");
        try
        {
            var (min, max) = DefaultVersions(dtls);
            SetVersion(context, dtls, "min-proto-version", options.Text("openssl-min-proto-version") ?? (dtls ? null : min), SSL_CTRL_SET_MIN_PROTO_VERSION);
            SetVersion(context, dtls, "max-proto-version", options.Text("openssl-max-proto-version"), SSL_CTRL_SET_MAX_PROTO_VERSION);
            if (!dtls)
            {
                // A peer that closes TCP without close_notify ends the stream, not an error.
                SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
                // Read what the socket has, not a record header and then its body: half the reads.
                SSL_CTX_ctrl(context, SSL_CTRL_SET_READ_AHEAD, 1, 0);
            }
            TlsSharedOptions.Apply(context, options);
            if (options.Text("openssl-certificate") is { } certFile)
            {
                // The files were checked with the address (TlsFiles), before anything opened.
                string keyFile = options.Text("openssl-key") ?? certFile;
                if (SSL_CTX_use_certificate_chain_file(context, certFile) != 1)
                    throw new SharpCatException($"cert \"{certFile}\": {Errors()}");
                if (SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(context) != 1)
                    throw new SharpCatException($"cert \"{certFile}\", key \"{keyFile}\": {Errors()} (the key must be the certificate's, in PEM)");
            }
            if (options.Text("openssl-dhparam") is { } dhFile) SetDhParameters(context, dhFile);
            bool verify = TlsSharedOptions.Verifies(options);
            string? caFile = options.Text("openssl-cafile"), caPath = options.Text("openssl-capath");
            if (caFile is not null || caPath is not null)
            {
                if (SSL_CTX_load_verify_locations(context, caFile, caPath) != 1)
                    throw new SharpCatException($"cafile/capath: {Errors()}");
            }
            else if (verify) SSL_CTX_set_default_verify_paths(context);
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

    private static void SetVersion(nint context, bool dtls, string option, string? text, int control)
    {
        if (text is null) return;
        string key = text.ToUpperInvariant().Replace("V", "").Replace("_", ".");
        if (!(dtls ? DtlsVersions : TlsVersions).TryGetValue(key, out int version))
            throw new SharpCatException(dtls ? $"{option}={text}: not a DTLS version (DTLS1 or DTLS1.2)"
                : $"{option}={text}: not a TLS version (SSL3, TLS1, TLS1.1, TLS1.2 or TLS1.3)");
        if (SSL_CTX_ctrl(context, control, version, 0) != 1) throw new SharpCatException($"{option}={text}: {Errors()}");
    }

    /// <summary>dhparams: Diffie-Hellman parameters in PEM for the DHE cipher suites.</summary>
    private static void SetDhParameters(nint context, string file)
    {
        nint bio = BIO_new_file(file, "r");
        if (bio == 0) throw new SharpCatException($"dhparams \"{file}\": {Errors()}");
        nint parameters;
        try { parameters = PEM_read_bio_Parameters(bio, 0); }
        finally { BIO_free(bio); }
        if (parameters == 0)
        {
            ERR_clear_error();
            throw new SharpCatException($"dhparams \"{file}\": no DH PARAMETERS found in it");
        }
        if (SSL_CTX_set0_tmp_dh_pkey(context, parameters) != 1)
        {
            EVP_PKEY_free(parameters);
            throw new SharpCatException($"dhparams \"{file}\": {Errors()}");
        }
    }
}
