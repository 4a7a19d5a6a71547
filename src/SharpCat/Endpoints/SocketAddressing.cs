using System.Runtime.CompilerServices;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpCat.Catalog;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// Host, port and family for the IP addresses: IP literals (IPv6 in brackets or bare), names
/// through the resolver, service names through the services database, the family chosen by the
/// address keyword (TCP4/TCP6), the <c>pf</c> option, or <c>-4</c>/<c>-6</c>, and socat's
/// notation for socket addresses in messages (<c>AF=2 127.0.0.1:80</c>).
/// </summary>
internal static class SocketAddressing
{
    /// <summary>
    /// The family an address asks for: fixed by its keyword, else pf=, else -4/-6 (for an address
    /// that <paramref name="listens"/>, the listening default first), else none.
    /// </summary>
    public static AddressFamily Family(OpenRequest request, int keywordVersion, bool listens = false)
    {
        if (keywordVersion == 4) return AddressFamily.InterNetwork;
        if (keywordVersion == 6) return AddressFamily.InterNetworkV6;
        if (request.Options.Find("protocol-family") is { Value: string pf } o)
            return IpFamilyCheck.PfVersion(request.Address.Name, o.Spelling, pf) == 4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        int preferred = listens && request.Relay.ListenIpVersion != 0 ? request.Relay.ListenIpVersion : request.Relay.PreferredIpVersion;
        return preferred switch
        {
            4 => AddressFamily.InterNetwork,
            6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unspecified,
        };
    }

    /// <summary>
    /// Resolves a host to one address of the wanted family (IPv4 first when none is wanted, as socat
    /// 1.7.4). A family that is only a preference (<paramref name="strict"/> false: -4/-6 or
    /// SOCAT_PREFERRED_RESOLVE_IP, not the address type or pf=) puts that family first and falls back
    /// to the other, as socat does. With a <paramref name="lookup"/> (socat 1.8's ai-* or res-* options
    /// given) the lookup is getaddrinfo's own with its flags and resolver settings.
    /// </summary>
    // Pooled (both): one of these runs per connection; with fork, its box would be garbage each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<IPAddress> ResolveAsync(string host, AddressFamily family, CancellationToken ct, bool strict = true, NameLookup? lookup = null) =>
        (await ResolveAllAsync(host, family, ct, strict, lookup).ConfigureAwait(false))[0];

    /// <summary>
    /// Every address a host resolves to that the address may use, in the order to try them: the
    /// wanted family's first (IPv4's when none is wanted), then, where the family is only a
    /// preference, the other's. A literal is itself.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<IPAddress[]> ResolveAllAsync(string host, AddressFamily family, CancellationToken ct, bool strict = true, NameLookup? lookup = null)
    {
        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var literal))
        {
            if (!strict) return [literal];
            if (family == AddressFamily.InterNetworkV6 && literal.AddressFamily == AddressFamily.InterNetwork)
                return [literal.MapToIPv6()];
            if (family == AddressFamily.InterNetwork && literal.AddressFamily == AddressFamily.InterNetworkV6)
                throw new SharpCatException($"getaddrinfo(\"{bare}\", \"NULL\", {{1,2,1,6}}, {{}}): Address family for hostname not supported (IPv4 is required here)");
            return [literal];
        }
        if (!IsHostName(bare)) throw new SharpCatException($"invalid host name \"{bare}\"");
        var asked = strict ? family : AddressFamily.Unspecified;
        IPAddress[] found;
        if (lookup is { Resolver: { } resolver })
        {
            found = [.. await ResolverState.ResolveAsync(bare, LinuxFamily(asked), 1, 6, lookup.Flags, resolver, ct).ConfigureAwait(false)];
        }
        else if (lookup is not null)
        {
            found = [.. await Task.Run(() => AddrInfo.Resolve(bare, LinuxFamily(asked), 1, 6, lookup.Flags), ct).ConfigureAwait(false)];
        }
        else
        {
            try
            {
                found = await Dns.GetHostAddressesAsync(bare, asked, ct).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new SharpCatException($"getaddrinfo(\"{bare}\", \"NULL\", {{1,{LinuxFamily(asked)},1,6}}, {{}}): {e.Message}");
            }
        }
        var first = family == AddressFamily.InterNetworkV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var ordered = found.Where(a => a.AddressFamily == first)
            .Concat(found.Where(a => a.AddressFamily != first && (!strict || family == AddressFamily.Unspecified || a.AddressFamily == family)))
            .Distinct().ToArray();
        return ordered.Length > 0 ? ordered : throw new SharpCatException($"getaddrinfo(\"{bare}\"): no address of the requested family");
    }

    /// <summary>The family's number as Linux and socat's messages give it (.NET numbers AF_INET6 23).</summary>
    public static int LinuxFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => 2,
        AddressFamily.InterNetworkV6 => 10,
        _ => 0,
    };

    /// <summary>
    /// Whether the address itself fixes the IP version (its keyword or pf=), so that name resolution
    /// must keep to it; otherwise -4/-6 and SOCAT_PREFERRED_RESOLVE_IP only say which comes first.
    /// </summary>
    public static bool FamilyIsFixed(OpenRequest request, int keywordVersion) => keywordVersion != 0 || request.Options.Has("protocol-family");

    /// <summary>
    /// The local address a listening or receiving socket binds to without a bind= host: the
    /// wildcard (IPv6's for IPv6, and under <c>-0</c>, <see cref="RelayOptions.ListenOnBothIpVersions"/>,
    /// when nothing names a version, so that the dual-stack socket serves both; IPv4's otherwise),
    /// or with ai-passive=0 the loopback address (getaddrinfo's answer for no host without
    /// AI_PASSIVE, which socat 1.8 binds to).
    /// </summary>
    public static IPAddress Unbound(OpenRequest request, AddressFamily family)
    {
        bool loopback = request.Options.Find("ai-passive")?.Value is false;
        return family == AddressFamily.InterNetworkV6 || (family == AddressFamily.Unspecified && request.Relay.ListenOnBothIpVersions)
            ? loopback ? IPAddress.IPv6Loopback : IPAddress.IPv6Any
            : loopback ? IPAddress.Loopback : IPAddress.Any;
    }

    /// <summary>RFC 1123 host names: dot-separated labels of letters, digits and hyphens (underscores tolerated), 1-63 bytes each.</summary>
    private static bool IsHostName(string name) =>
        name.Length is > 0 and <= 253
        && name.TrimEnd('.').Split('.').All(label => label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && label[0] != '-' && label[^1] != '-');

    /// <summary>A port number (C notation, 0-65535) or a service name from the services database.</summary>
    public static unsafe int Port(string text, string protocol)
    {
        if (text.Length > 0 && char.IsAsciiDigit(text[0]))
        {
            if (OptionValueParser.TryParseC(text, out long n) && n is >= 0 and <= 65535) return (int)n;
            throw new SharpCatException($"invalid port \"{text}\" (0 to 65535, or a service name)");
        }
        // A C string ends at NUL: "www\0x" would be looked up as "www". No service name holds one.
        int? netOrder = null;
        if (!text.Contains('\0'))
        {
            lock (Posix.LookupGate)
            {
                nint serv = Libc.GetServByName(text, protocol);
                if (serv != 0) netOrder = *(int*)(serv + 16);
            }
        }
        if (netOrder is null) throw new SharpCatException($"unknown service \"{text}\" for {protocol}");
        return (ushort)IPAddress.NetworkToHostOrder((short)netOrder.Value);
    }

    /// <summary>socat's notation: <c>AF=2 127.0.0.1:80</c>, <c>AF=10 [::1]:80</c>, <c>AF=1 "/tmp/sock"</c>.</summary>
    public static string Format(EndPoint? ep) => ep switch
    {
        IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetwork => $"AF=2 {ip.Address}:{ip.Port}",
        IPEndPoint ip => $"AF=10 [{Expanded(ip.Address)}]:{ip.Port}",
        UnixDomainSocketEndPoint u => $"AF=1 \"{FormatUnixPath(u)}\"",
        null => "AF=0 (unknown)",
        _ => ep.ToString() ?? "",
    };

    private static string FormatUnixPath(UnixDomainSocketEndPoint u)
    {
        string s = u.ToString();
        if (s.Length == 0) return "<anon>";
        // .NET shows an abstract name with a leading '@'; socat writes it as \0.
        return s[0] is '\0' or '@' ? "\\0" + s[1..] : s;
    }

    /// <summary>
    /// What socat exports about a passive socket's connection: the peer's address (and port, which
    /// raw IP has not: <paramref name="ports"/> false), and with a <paramref name="local"/> end
    /// (LISTEN addresses) its own.
    /// </summary>
    public static List<KeyValuePair<string, string>> PassiveVariables(EndPoint? peer, EndPoint? local, bool ports = true)
    {
        var variables = new List<KeyValuePair<string, string>>(4);
        Add("PEER", peer);
        Add("SOCK", local);
        return variables;

        void Add(string prefix, EndPoint? ep)
        {
            switch (ep)
            {
                case IPEndPoint ip:
                    variables.Add(new($"{prefix}ADDR", AddressText(ip.Address)));
                    if (ports) variables.Add(new($"{prefix}PORT", ip.Port.ToString()));
                    break;
                case UnixDomainSocketEndPoint u:
                    variables.Add(new($"{prefix}ADDR", FormatUnixPath(u)));
                    break;
            }
        }
    }

    /// <summary>Whether the socket's peers have ports socat tells a child program about: all but raw IP's.</summary>
    public static bool HasPorts(Socket socket) => socket.SocketType != SocketType.Raw;

    /// <summary>An address as socat's environment variables give it: IPv4 dotted, IPv6 in full in brackets.</summary>
    public static string AddressText(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Expanded(address)}]" : address.ToString();

    /// <summary>socat writes IPv6 addresses in full, without zero compression.</summary>
    private static string Expanded(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        return string.Join(':', Enumerable.Range(0, 8).Select(i => $"{b[2 * i]:x2}{b[2 * i + 1]:x2}"));
    }

    /// <summary>The sockaddr length socat prints beside an address: 16, 28, or 2 + the path.</summary>
    public static int SockAddrLength(EndPoint ep) => ep switch
    {
        IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetwork => 16,
        IPEndPoint => 28,
        UnixDomainSocketEndPoint u => 2 + System.Text.Encoding.UTF8.GetByteCount(u.ToString()),
        _ => 0,
    };

    /// <summary>Parses socat's <c>range=</c>: <c>addr/bits</c> or <c>addr:mask</c>, IPv6 in brackets; addr may be a host name.</summary>
    public static (IPAddress Network, int Bits) ParseRange(string text)
    {
        string t = text;
        int bits;
        int slash = t.LastIndexOf('/');
        IPAddress? mask = null;
        if (slash > 0)
        {
            if (!int.TryParse(t[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out bits))
                throw new SharpCatException($"range \"{text}\": invalid prefix length");
            t = t[..slash];
        }
        else
        {
            int colon = t.StartsWith('[') ? t.IndexOf("]:", StringComparison.Ordinal) + 1 : t.IndexOf(':');
            if (colon <= 0) throw new SharpCatException($"range \"{text}\": expected address/bits or address:mask");
            if (!IPAddress.TryParse(t[(colon + 1)..].Trim('[', ']'), out mask))
                throw new SharpCatException($"range \"{text}\": invalid mask");
            t = t[..colon];
            bits = MaskBits(mask);
        }
        string bare = t.Trim('[', ']');
        if (!IPAddress.TryParse(bare, out var network))
        {
            // As socat: the address may be a name, looked up once when the address opens: IPv6 when
            // bracketed, else IPv4 (range=localhost:255.255.255.255, test.sh's FDLEAK).
            var family = t.StartsWith('[') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            try
            {
                network = ResolveAsync(bare, family, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            catch (SharpCatException e)
            {
                throw new SharpCatException($"range \"{text}\": {e.Message}");
            }
        }
        int max = network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (bits < 0 || bits > max) throw new SharpCatException($"range \"{text}\": prefix length out of 0..{max}");
        return (network, bits);
    }

    private static int MaskBits(IPAddress mask)
    {
        int bits = 0;
        foreach (byte b in mask.GetAddressBytes()) bits += System.Numerics.BitOperations.PopCount(b);
        return bits;
    }

    /// <summary>True when the peer lies in the range (an IPv4-mapped IPv6 peer counts as IPv4).</summary>
    public static bool InRange(IPAddress peer, (IPAddress Network, int Bits) range)
    {
        if (peer.IsIPv4MappedToIPv6 && range.Network.AddressFamily == AddressFamily.InterNetwork) peer = peer.MapToIPv4();
        if (peer.AddressFamily != range.Network.AddressFamily) return false;
        byte[] a = peer.GetAddressBytes(), n = range.Network.GetAddressBytes();
        int bits = range.Bits;
        for (int i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            int m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((a[i] & m) != (n[i] & m)) return false;
        }
        return true;
    }
}
