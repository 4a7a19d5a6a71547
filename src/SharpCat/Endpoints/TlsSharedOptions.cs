using SharpCat.Catalog;
using SharpCat.Diagnostics;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// What TLS and DTLS share beyond the context: <c>cipher</c> (an OpenSSL cipher string, read by
/// libssl itself as in socat) and <c>compress</c> (OpenSSL 3 never compresses, which both of
/// socat's values, auto and none, then mean), which side verifies, the SNI name, a handshake
/// failure's reason and the session's notice lines.
/// </summary>
internal static class TlsSharedOptions
{
    /// <summary>Sets <c>cipher=</c> on an OpenSSL context.</summary>
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
    /// The name a client sends as SNI: snihost, else the name it checks; none with no-sni, and
    /// never an IP address (which SNI cannot carry).
    /// </summary>
    public static string? Sni(OptionSet options, string name)
    {
        if (options.Flag("openssl-no-sni")) return null;
        string sni = options.Text("openssl-snihost") ?? name;
        return System.Net.IPAddress.TryParse(sni, out _) ? null : sni;
    }

    /// <summary>
    /// Whether this side checks the peer's certificate: unless <c>verify=0</c>, on both sides, as
    /// in socat: a server then requires a client certificate and checks it (against cafile/capath,
    /// or the system's roots), and, given <c>commonname</c>, the name in it.
    /// </summary>
    public static bool Verifies(OptionSet options) => options.Flag("openssl-verify", fallback: true);

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

    /// <summary>
    /// A handshake failure's reason in OpenSSL's words; a version mismatch also names the versions
    /// this side allowed.
    /// </summary>
    public static string Reason(string reason, OptionSet options, string defaultMin, string defaultMax)
    {
        if (reason.Contains("protocol version", StringComparison.OrdinalIgnoreCase) || reason.Contains("unsupported protocol", StringComparison.OrdinalIgnoreCase)
            || reason.Contains("no protocols available", StringComparison.OrdinalIgnoreCase))
        {
            string min = options.Text("openssl-min-proto-version") ?? defaultMin, max = options.Text("openssl-max-proto-version") ?? defaultMax;
            reason += min.Equals(max, StringComparison.OrdinalIgnoreCase) ? $" (this side allows {min} only)" : $" (this side allows {min} to {max})";
        }
        return reason;
    }
}
