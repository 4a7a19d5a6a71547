using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;

namespace SharpCat.Endpoints;

/// <summary>
/// The IP version an address asks for, checked against the addresses it names before anything is
/// opened. socat's getaddrinfo fails on <c>TCP:127.0.0.1:80,pf=ip6</c> ("Address family for
/// hostname not supported"); mapping the IPv4 address into IPv6 would connect over IPv4 against
/// what was asked, so such a command line is refused, naming both sides of the contradiction.
/// </summary>
internal static class IpFamilyCheck
{
    private static readonly Dictionary<string, int> PfNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ip4"] = 4, ["ipv4"] = 4, ["inet"] = 4, ["inet4"] = 4, ["2"] = 4,
        ["ip6"] = 6, ["ipv6"] = 6, ["inet6"] = 6, ["10"] = 6,
    };

    /// <summary>The version <c>pf=</c> names (4 or 6); an error naming the option for any other value.</summary>
    public static int PfVersion(string addressName, string spelling, string value) =>
        PfNames.TryGetValue(value, out int v) ? v
            : throw new SharpCatException($"{addressName}: option \"{spelling}\": unknown protocol family \"{value}\" (ip4 or ip6)");

    public static void Check(ResolvedAddress address)
    {
        var kind = address.Kind;
        // SOCKET-* addresses take any family by number; only the IP address types are checked here.
        if ((kind.Groups & (OptionGroups.Ip4 | OptionGroups.Ip6)) == 0 || kind.Keyword.StartsWith("socket-", StringComparison.Ordinal)) return;
        // An inherited descriptor takes IP options as socket options, but nothing is looked up there.
        if (Array.IndexOf(DescriptorKinds, kind.Keyword) >= 0
            && address.Options.All.FirstOrDefault(o => o.Def.Name.StartsWith("ai-", StringComparison.Ordinal) || o.Def.Name.StartsWith("res-", StringComparison.Ordinal)) is { } ai)
            throw new SharpCatException($"{address.Name}: option \"{ai.Spelling}\" sets name resolution, which this address type does not do");
        int keywordVersion = KeywordVersion(kind.Keyword);
        var pf = address.Options.Find("protocol-family");
        int pfVersion = pf is null ? 0 : PfVersion(address.Name, pf.Spelling, (string)pf.Value!);
        if (keywordVersion != 0 && pfVersion != 0 && keywordVersion != pfVersion)
            throw new SharpCatException($"{address.Name}: option \"{pf!.Spelling}={pf.Value}\" contradicts the address type, which is IPv{keywordVersion} only");
        int wanted = keywordVersion != 0 ? keywordVersion : pfVersion;
        if (wanted == 0) return;
        string because = keywordVersion != 0 ? $"{address.Name} is IPv{wanted} only" : $"option \"{pf!.Spelling}={pf.Value}\" asks for IPv{wanted}";
        // ai-v4mapped asks getaddrinfo to map an IPv4 address into IPv6 on purpose.
        bool mapped = wanted == 6 && address.Options.Flag("ai-v4mapped");
        if (ConnectedHost(address) is { } host && !mapped) CheckLiteral(address.Name, $"\"{host}\"", host, wanted, because);
        if (address.Options.Find("bind") is { Value: string bind } b)
            CheckLiteral(address.Name, $"option \"{b.Spelling}={bind}\"", TcpEndpoints.SplitHostPort(bind).Host, wanted, because);
    }

    private static void CheckLiteral(string addressName, string shown, string host, int wanted, string because)
    {
        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (!IPAddress.TryParse(bare, out var ip)) return;
        int version = ip.AddressFamily == AddressFamily.InterNetwork ? 4 : 6;
        if (version != wanted) throw new SharpCatException($"{addressName}: {shown} is an IPv{version} address, but {because}");
    }

    private static readonly string[] Protocols = ["tcp", "udp", "sctp", "ip", "udplite", "dccp"];

    private static readonly string[] DescriptorKinds = ["stdio", "stdin", "stdout", "stderr", "fd"];

    /// <summary>TCP4-CONNECT → 4, UDP6-LISTEN → 6, TCP or SOCKS4 → 0.</summary>
    private static int KeywordVersion(string keyword)
    {
        int dash = keyword.IndexOf('-');
        string head = dash < 0 ? keyword : keyword[..dash];
        if (head.Length < 3 || Array.IndexOf(Protocols, head[..^1]) < 0) return 0;
        return head[^1] switch { '4' => 4, '6' => 6, _ => 0 };
    }

    /// <summary>The host this address connects to: a proxy's server, or the address's own host.</summary>
    private static string? ConnectedHost(ResolvedAddress address)
    {
        var names = address.Kind.Parameters;
        int i = Array.FindIndex(names, n => n.EndsWith("-server", StringComparison.Ordinal));
        if (i < 0) i = Array.IndexOf(names, "host");
        return i >= 0 && i < address.Spec.Parameters.Count ? address.Spec.Parameters[i] : null;
    }
}
