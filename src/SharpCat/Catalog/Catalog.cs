using System.Collections.Frozen;

namespace SharpCat.Catalog;

/// <summary>Lookups over the generated address table, by keyword or alias, case-insensitively.</summary>
internal static partial class AddressCatalog
{
    // Built on first use: a static initializer here could run before the generated tables' ones.
    private static FrozenDictionary<string, AddressKind>? _byName;

    private static FrozenDictionary<string, AddressKind> ByName => _byName ??= BuildIndex();

    private static FrozenDictionary<string, AddressKind> BuildIndex()
    {
        var d = new Dictionary<string, AddressKind>(StringComparer.OrdinalIgnoreCase);
        foreach (var k in AllKinds) d[k.Keyword] = k;
        foreach (var (alias, keyword) in Aliases.Concat(ExtraAliases)) d[alias] = d[keyword];
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Addresses of later socat versions (1.8): SOCKS5 clients (the socks port may come before the
    /// target, <c>server:[socks-port:]host:port</c>, so the optional parameter is counted, not placed),
    /// SOCKETPAIR, ACCEPT-FD, POSIXMQ-*, UDP-Lite and DCCP; 1.8.1's STALL and TEXT; and SharpCat's WebSocket addresses.
    /// </summary>
    private static readonly AddressKind[] ExtraKinds =
    [
        new("socks5-connect", ["socks-server", "host", "port"], ["socks-port"], Socks5Groups),
        new("socks5-listen", ["socks-server", "listen-host", "listen-port"], ["socks-port"], Socks5Groups),
        // socat 1.8's help shows SOCKETPAIR:<filename>, but it takes no parameter.
        new("socketpair", [], [], OptionGroups.Fd | OptionGroups.Socket),
        // socat 1.8's SHELL: SYSTEM's command run by $SHELL (or shell=) instead of /bin/sh.
        new("shell", ["shell-command"], [], OptionGroups.Fd | OptionGroups.Fifo | OptionGroups.Socket | OptionGroups.Exec | OptionGroups.Fork
            | OptionGroups.Termios | OptionGroups.Pty | OptionGroups.Parent | OptionGroups.Unix | OptionGroups.Shell),
        // socat 1.8.1's: a dead end, and a string as input.
        new("stall", [], [], OptionGroups.Fd | OptionGroups.Fifo),
        new("text", ["string"], [], OptionGroups.Fd | OptionGroups.Fifo),
        new("accept-fd", ["fdnum"], [], OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Child | OptionGroups.Retry | OptionGroups.Range
            | OptionGroups.Unix | OptionGroups.Ip4 | OptionGroups.Ip6 | OptionGroups.Udp | OptionGroups.Tcp | OptionGroups.Sctp),
        new("posixmq-bidirectional", ["mqname"], [], PosixMqGroups),
        new("posixmq-read", ["mqname"], [], PosixMqGroups),
        new("posixmq-receive", ["mqname"], [], PosixMqGroups | OptionGroups.Child),
        new("posixmq-send", ["mqname"], [], PosixMqGroups | OptionGroups.Child),
        new("posixmq-write", ["mqname"], [], PosixMqGroups | OptionGroups.Child),
        // socat 1.8's UDP-Lite: UDP's six forms with another protocol, in the UDP and UDPLITE groups.
        new("udplite-connect", ["host", "port"], [], UdpLite | Ip46),
        new("udplite-listen", ["port"], [], UdpLite | Ip46 | OptionGroups.Listen | OptionGroups.Child | OptionGroups.Range),
        new("udplite-sendto", ["host", "port"], [], UdpLite | Ip46),
        new("udplite-datagram", ["host", "port"], [], UdpLite | Ip46 | OptionGroups.Range),
        new("udplite-recvfrom", ["port"], [], UdpLite | Ip46 | OptionGroups.Child | OptionGroups.Range),
        new("udplite-recv", ["port"], [], UdpLite | Ip46 | OptionGroups.Range),
        new("udplite4-connect", ["host", "port"], [], UdpLite | OptionGroups.Ip4),
        new("udplite4-listen", ["port"], [], UdpLite | OptionGroups.Ip4 | OptionGroups.Listen | OptionGroups.Child | OptionGroups.Range),
        new("udplite4-sendto", ["host", "port"], [], UdpLite | OptionGroups.Ip4),
        new("udplite4-datagram", ["host", "port"], [], UdpLite | OptionGroups.Ip4 | OptionGroups.Range),
        new("udplite4-recvfrom", ["port"], [], UdpLite | OptionGroups.Ip4 | OptionGroups.Child | OptionGroups.Range),
        new("udplite4-recv", ["port"], [], UdpLite | OptionGroups.Ip4 | OptionGroups.Range),
        new("udplite6-connect", ["host", "port"], [], UdpLite | OptionGroups.Ip6),
        new("udplite6-listen", ["port"], [], UdpLite | OptionGroups.Ip6 | OptionGroups.Listen | OptionGroups.Child | OptionGroups.Range),
        new("udplite6-sendto", ["host", "port"], [], UdpLite | OptionGroups.Ip6),
        new("udplite6-datagram", ["host", "port"], [], UdpLite | OptionGroups.Ip6 | OptionGroups.Range),
        new("udplite6-recvfrom", ["port"], [], UdpLite | OptionGroups.Ip6 | OptionGroups.Child | OptionGroups.Range),
        new("udplite6-recv", ["port"], [], UdpLite | OptionGroups.Ip6 | OptionGroups.Range),
        // socat 1.8's DCCP: connected and listening as TCP, in the DCCP group.
        new("dccp-connect", ["host", "port"], [], DccpConnect | Ip46),
        new("dccp-listen", ["port"], [], DccpListen | Ip46),
        new("dccp4-connect", ["host", "port"], [], DccpConnect | OptionGroups.Ip4),
        new("dccp4-listen", ["port"], [], DccpListen | OptionGroups.Ip4),
        new("dccp6-connect", ["host", "port"], [], DccpConnect | OptionGroups.Ip6),
        new("dccp6-listen", ["port"], [], DccpListen | OptionGroups.Ip6),
        // SharpCat's WebSocket addresses: TCP's and OPENSSL's groups, and the WEBSOCKET group.
        new("ws-connect", ["host", "port"], [], TcpConnect | OptionGroups.Websocket),
        new("ws-listen", ["port"], [], TcpListen | OptionGroups.Websocket),
        new("wss-connect", ["host", "port"], [], TcpConnect | OptionGroups.Openssl | OptionGroups.Websocket),
        new("wss-listen", ["port"], [], TcpListen | OptionGroups.Openssl | OptionGroups.Websocket),
        new("ws-unix-connect", ["filename"], [], UnixConnect | OptionGroups.Websocket),
        new("ws-unix-listen", ["filename"], [], UnixConnect | OptionGroups.Listen | OptionGroups.Child | OptionGroups.Websocket),
        // Through PROXY's and SOCKS5-CONNECT's tunnels, with their parameters and groups.
        new("ws-proxy", ["proxy-server", "host", "port"], [], TcpConnect | OptionGroups.Http | OptionGroups.Websocket),
        new("ws-socks5", ["socks-server", "host", "port"], ["socks-port"], Socks5Groups | OptionGroups.Websocket),
        new("wss-proxy", ["proxy-server", "host", "port"], [], TcpConnect | OptionGroups.Http | OptionGroups.Openssl | OptionGroups.Websocket),
        new("wss-socks5", ["socks-server", "host", "port"], ["socks-port"], Socks5Groups | OptionGroups.Openssl | OptionGroups.Websocket),
    ];

    private const OptionGroups UnixConnect = OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Named | OptionGroups.Retry | OptionGroups.Unix;

    private const OptionGroups TcpConnect = OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Child | OptionGroups.Retry | Ip46 | OptionGroups.Tcp;
    private const OptionGroups TcpListen = TcpConnect | OptionGroups.Listen | OptionGroups.Range;

    private const OptionGroups PosixMqGroups = OptionGroups.Fd | OptionGroups.Named | OptionGroups.Open | OptionGroups.Retry | OptionGroups.Posixmq;

    private const OptionGroups DccpConnect = OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Child | OptionGroups.Retry | OptionGroups.Dccp;
    private const OptionGroups DccpListen = DccpConnect | OptionGroups.Listen | OptionGroups.Range;

    private const OptionGroups Ip46 = OptionGroups.Ip4 | OptionGroups.Ip6;
    private const OptionGroups UdpLite = OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Udp | OptionGroups.Udplite;

    private const OptionGroups Socks5Groups = OptionGroups.Fd | OptionGroups.Socket | OptionGroups.Child | OptionGroups.Retry
        | OptionGroups.Ip4 | OptionGroups.Ip6 | OptionGroups.Tcp | OptionGroups.Socks4;

    /// <summary>socat 1.7.4's addresses and the later ones SharpCat knows.</summary>
    public static IEnumerable<AddressKind> AllKinds => Kinds.Concat(ExtraKinds);

    /// <summary>Spellings of later socat versions: SHELL (socat 1.8) runs a shell command as SYSTEM does; SOCKS5 is SOCKS5-CONNECT; ACCEPT is ACCEPT-FD.</summary>
    private static readonly (string Alias, string Keyword)[] ExtraAliases =
    [
("socks5", "socks5-connect"), ("socks5-bind", "socks5-listen"), ("accept", "accept-fd"),
        ("posixmq", "posixmq-bidirectional"), ("posixmq-recv", "posixmq-receive"),
        ("udplite", "udplite-connect"), ("udplite-dgram", "udplite-datagram"), ("udplite-l", "udplite-listen"), ("udplite-send", "udplite-sendto"),
        ("udplite4", "udplite4-connect"), ("udplite4-dgram", "udplite4-datagram"), ("udplite4-l", "udplite4-listen"), ("udplite4-send", "udplite4-sendto"),
        ("udplite6", "udplite6-connect"), ("udplite6-dgram", "udplite6-datagram"), ("udplite6-l", "udplite6-listen"), ("udplite6-send", "udplite6-sendto"),
        ("dccp", "dccp-connect"), ("dccp-l", "dccp-listen"), ("dccp4", "dccp4-connect"), ("dccp4-l", "dccp4-listen"),
        ("dccp6", "dccp6-connect"), ("dccp6-l", "dccp6-listen"),
        ("ws", "ws-connect"), ("ws-l", "ws-listen"), ("wss", "wss-connect"), ("wss-l", "wss-listen"), ("ws-unix", "ws-unix-connect"), ("ws-unix-l", "ws-unix-listen"),
    ];

    /// <summary>
    /// Option groups an address accepts beyond those <c>socat -hhh</c> lists for it: socat applies
    /// the PROCESS options (setsid, su, chroot, setuid, …) in the child of EXEC, SYSTEM and SHELL.
    /// </summary>
    public static OptionGroups AcceptedGroups(AddressKind kind) =>
        kind.Keyword is "exec" or "system" or "shell" ? kind.Groups | OptionGroups.Process : kind.Groups;

    public static AddressKind? Find(string keyword) => ByName.GetValueOrDefault(keyword);

    /// <summary>UDP, UDP-Lite and raw IP addresses: the IP datagram sockets (multicast memberships apply to these).</summary>
    public static bool IsIpDatagram(string keyword) =>
        keyword.StartsWith("udp", StringComparison.Ordinal) || keyword.StartsWith("ip-", StringComparison.Ordinal)
        || keyword.StartsWith("ip4-", StringComparison.Ordinal) || keyword.StartsWith("ip6-", StringComparison.Ordinal);

    /// <summary>The longest keyword or alias: anything longer is not a misspelling but a wrong token.</summary>
    public static int LongestKeyword => ByName.Keys.Max(k => k.Length);

    /// <summary>Aliases that point at a keyword, for the help listing.</summary>
    public static IEnumerable<string> AliasesOf(string keyword) =>
        Aliases.Concat(ExtraAliases).Where(a => a.Keyword == keyword).Select(a => a.Alias);
}

/// <summary>Lookups over the generated option table, by name or alias, case-insensitively.</summary>
internal static partial class OptionCatalog
{
    private static FrozenDictionary<string, OptionDef>? _byName;

    private static FrozenDictionary<string, OptionDef> ByName => _byName ??= BuildIndex();

    /// <summary>Every option once: socat 1.7.4's with the groups later versions added to them (<see cref="WidenedGroups"/>), then the later options.</summary>
    public static IEnumerable<OptionDef> All =>
        Options.Select(o => WidenedGroups.TryGetValue(o.Name, out var more) ? o with { Groups = o.Groups | more } : o).Concat(ExtraOptions);

    private static FrozenDictionary<string, OptionDef> BuildIndex()
    {
        var d = new Dictionary<string, OptionDef>(StringComparer.OrdinalIgnoreCase);
        foreach (var o in All) d[o.Name] = o;
        foreach (var (alias, name) in Aliases)
            if (d.TryGetValue(name, out var def)) d[alias] = def;
        foreach (var (alias, name) in ExtraAliases) d[alias] = d[name];
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    public static OptionDef? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The longest option name or alias.</summary>
    public static int LongestName => ByName.Keys.Max(k => k.Length);

    public static bool IsImplemented(OptionDef def) => ImplementedOptions.Names.Contains(def.Name);
}
