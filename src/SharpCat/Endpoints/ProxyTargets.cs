using System.Text;
using SharpCat.Catalog;
using SharpCat.Diagnostics;

namespace SharpCat.Endpoints;

/// <summary>
/// What a proxy request carries, checked with the address before anything connects: the target's
/// name goes into a length-prefixed field (SOCKS5), a NUL-terminated one (SOCKS4A) or a request line
/// (HTTP CONNECT), so it must fit in 255 bytes and hold no control character or space, which would
/// cut the field short or inject a header (DESIGN.md §4b). socat sends whatever it was given.
/// </summary>
internal static class ProxyTargets
{
    private const int MaxName = 255;

    /// <summary>The proxy server's port option and its default, per address type.</summary>
    private static readonly Dictionary<string, (string Option, string Default)> ServerPorts = new(StringComparer.Ordinal)
    {
        ["socks4"] = ("socksport", "1080"), ["socks4a"] = ("socksport", "1080"), ["proxy"] = ("proxyport", "8080"),
        ["socks5-connect"] = ("socksport", "1080"), ["socks5-listen"] = ("socksport", "1080"),
        // The WebSocket addresses through these proxies (WebSockets/WebSocketEndpoints).
        ["ws-proxy"] = ("proxyport", "8080"), ["ws-socks5"] = ("socksport", "1080"),
        ["wss-proxy"] = ("proxyport", "8080"), ["wss-socks5"] = ("socksport", "1080"),
    };

    public static void Check(ResolvedAddress address)
    {
        var p = address.Spec.Parameters;
        // SOCKS5 may give the server's port before the target: server[:socks-port]:host:port.
        Carried(address, "host name", p[^2]);
        Carried(address, "port", p[^1]);
        SocketAddressing.Port(p[^1], "tcp");
        var (option, fallback) = ServerPorts[address.Kind.Keyword];
        SocketAddressing.Port(p.Count == 4 ? p[1] : address.Options.Text(option) ?? fallback, "tcp");
        if (!address.Kind.Keyword.Contains("socks5", StringComparison.Ordinal)) return;
        foreach (string field in (string[])["socksuser", "sockspass"])
            if (address.Options.Find(field) is { Value: string v } o && Encoding.UTF8.GetByteCount(v) > MaxName)
                throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" is longer than {MaxName} bytes ({Encoding.UTF8.GetByteCount(v)}), which SOCKS5 cannot carry");
    }

    private static void Carried(ResolvedAddress address, string what, string text)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes == 0) throw new SharpCatException($"{address.Name}: empty {what}");
        if (bytes > MaxName)
            throw new SharpCatException($"{address.Name}: {what} {Shown.Token(text)} is longer than {MaxName} bytes, which the proxy protocol cannot carry");
        foreach (char c in text)
        {
            if (c is > ' ' and < '\x7f') continue;
            string which = c == ' ' ? "a space" : c > '\x7f' ? $"a non-ASCII character ({c})" : $"a control character ({Shown.Escape(c)})";
            throw new SharpCatException($"{address.Name}: {what} {Shown.Token(text)} contains {which}, which the proxy protocol cannot carry");
        }
    }
}
