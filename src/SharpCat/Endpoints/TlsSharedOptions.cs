using System.Net.Security;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// What TLS and DTLS share: handshake failure reasons, and the OPENSSL options that read the same
/// on both: <c>cipher</c> (an OpenSSL cipher
/// string, expanded by libssl itself so that "HIGH:!aNULL" means exactly what it means to socat)
/// and <c>compress</c> (OpenSSL 3 never compresses, which both of socat's values, auto and none,
/// then mean).
/// </summary>
internal static class TlsSharedOptions
{
    /// <summary>
    /// The suites of <c>cipher=</c> for SslStream: the TLS 1.2 suites the string selects (libssl's
    /// own expansion, by IANA name) and, as socat leaves them, the default TLS 1.3 suites. Null
    /// without the option.
    /// </summary>
    public static CipherSuitesPolicy? Policy(OptionSet options)
    {
        CheckCompress(options);
        if (options.Text("openssl-cipherlist") is not { } list) return null;
        if (OperatingSystem.IsWindows()) throw new SharpCatException("cipher= needs OpenSSL");
        nint context = SSL_CTX_new(TLS_method());
        if (context == 0) throw new SharpCatException($"SSL_CTX_new(): {Errors()}");
        nint ssl = 0;
        try
        {
            Apply(context, options);
            ssl = SSL_new(context);
            nint stack = SSL_get_ciphers(ssl);
            var suites = new List<TlsCipherSuite>();
            for (int i = 0; i < OPENSSL_sk_num(stack); i++)
                if (Enum.TryParse(Text(SSL_CIPHER_standard_name(OPENSSL_sk_value(stack, i))), out TlsCipherSuite suite))
                    suites.Add(suite);
            if (suites.Count == 0) throw new SharpCatException($"cipher=\"{list}\": no cipher this build can use");
            return new CipherSuitesPolicy(suites);
        }
        finally
        {
            if (ssl != 0) SSL_free(ssl);
            SSL_CTX_free(context);
        }
    }

    /// <summary>Sets <c>cipher=</c> on an OpenSSL context (DTLS, or the expansion above).</summary>
    public static void Apply(nint context, OptionSet options)
    {
        CheckCompress(options);
        if (options.Text("openssl-cipherlist") is { } list && SSL_CTX_set_cipher_list(context, list) != 1)
            throw new SharpCatException($"cipher=\"{list}\": {Errors()}");
    }

    private static void CheckCompress(OptionSet options)
    {
        if (options.Text("openssl-compress") is { } value && !value.Equals("none", StringComparison.OrdinalIgnoreCase) && !value.Equals("auto", StringComparison.OrdinalIgnoreCase))
            throw new SharpCatException($"compress=\"{value}\": \"auto\" or \"none\"");
    }

    /// <summary>
    /// Whether this side checks the peer's certificate: a client unless <c>verify=0</c>, a server
    /// only when given a CA to check client certificates against (and then it requires one).
    /// </summary>
    public static bool Verifies(OptionSet options, bool server) =>
        options.Flag("openssl-verify", fallback: true) && (!server || options.Has("openssl-cafile") || options.Has("openssl-capath"));

    /// <summary>
    /// The session's notice lines, in socat's words and order: version, cipher (by OpenSSL's
    /// name), compression and expansion (OpenSSL 3 has none), and the peer's subject.
    /// </summary>
    public static void LogSession(string version, string cipher, string? peerSubject)
    {
        Log.Notice($"SSL proto version used: {version}");
        Log.Notice($"SSL connection using {cipher}");
        Log.Notice($"SSL connection compression \"none\"");
        Log.Notice($"SSL connection expansion \"none\"");
        if (peerSubject is not null) Log.Notice($"SSL peer certificate subject: {peerSubject}");
    }

    /// <summary>OpenSSL's name of a suite that .NET names by its IANA name ("ECDHE-RSA-AES128-GCM-SHA256").</summary>
    public static string OpenSslName(TlsCipherSuite suite)
    {
        string iana = suite.ToString();
        return OpenSslNames.Value.TryGetValue(iana, out string? name) ? name : iana;
    }

    private static readonly Lazy<Dictionary<string, string>> OpenSslNames = new(() =>
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        nint context = SSL_CTX_new(TLS_method());
        if (context == 0) return names;
        nint ssl = 0;
        try
        {
            if (SSL_CTX_set_cipher_list(context, "ALL:COMPLEMENTOFALL") != 1) return names;
            ssl = SSL_new(context);
            if (ssl == 0) return names;
            nint stack = SSL_get_ciphers(ssl);
            for (int i = 0; i < OPENSSL_sk_num(stack); i++)
            {
                nint cipher = OPENSSL_sk_value(stack, i);
                if (Text(SSL_CIPHER_standard_name(cipher)) is { } standard && Text(SSL_CIPHER_get_name(cipher)) is { } openssl)
                    names[standard] = openssl;
            }
            return names;
        }
        finally
        {
            if (ssl != 0) SSL_free(ssl);
            SSL_CTX_free(context);
            ERR_clear_error();
        }
    });

    /// <summary>
    /// A handshake failure's reason, OpenSSL's words without the error code prefix; a version
    /// mismatch also names the versions this side allowed.
    /// </summary>
    public static string Reason(string reason, OptionSet options, string defaultMin, string defaultMax)
    {
        reason = System.Text.RegularExpressions.Regex.Replace(reason, @"^error:[0-9A-Fa-f]+:[^:]*:[^:]*:", "");
        if (reason.Contains("protocol version", StringComparison.OrdinalIgnoreCase) || reason.Contains("unsupported protocol", StringComparison.OrdinalIgnoreCase)
            || reason.Contains("no protocols available", StringComparison.OrdinalIgnoreCase))
        {
            string min = options.Text("openssl-min-proto-version") ?? defaultMin, max = options.Text("openssl-max-proto-version") ?? defaultMax;
            reason += min.Equals(max, StringComparison.OrdinalIgnoreCase) ? $" (this side allows {min} only)" : $" (this side allows {min} to {max})";
        }
        return reason;
    }
}
