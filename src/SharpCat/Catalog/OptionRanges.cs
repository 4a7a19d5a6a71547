namespace SharpCat.Catalog;

/// <summary>
/// The values that make sense for numeric options whose field is narrower than their catalog type
/// (socat types nearly all of them <c>int</c> and passes whatever it parsed to the kernel or to a
/// loop: <c>rcvbuf=-5</c> is silently raised to the minimum, <c>max-children=-1</c> waits forever).
/// Checked when the address is checked, before anything is opened (DESIGN.md §4b).
/// </summary>
internal static class OptionRanges
{
    private const long IntMax = int.MaxValue;

    // Socket options the kernel reads as on/off: any other number is a typo, not a setting.
    private static readonly string[] Switches =
    [
        "so-debug", "so-reuseaddr", "so-dontroute", "so-broadcast", "so-keepalive", "so-oobinline", "so-no-check",
        "so-bsdcompat", "so-reuseport", "so-passcred", "so-timestamp", "ip-hdrincl", "ip-router-alert", "ip-recvopts",
        "ip-retopts", "ip-pktinfo", "ip-pktoptions", "ip-recverr", "ip-recvttl", "ip-recvtos", "ip-freebind",
        "ip-transparent", "ip-multicast-loop", "ipv6-recverr", "ipv6-v6only", "ipv6-recvpktinfo", "ipv6-recvhoplimit",
        "ipv6-recvrthdr", "ipv6-recvhopopts", "ipv6-recvdstopts", "ipv6-recvpathmtu", "ipv6-recvtclass",
        "tcp-nodelay", "tcp-cork", "tcp-quickack",
    ];

    private static readonly Dictionary<string, (long Min, long Max)> Ranges = new(StringComparer.Ordinal)
    {
        ["escape"] = (0, 255), // one byte
        // socat 1.8 takes a negative resolver setting as none given; here it is an error, not ignored.
        ["res-retrans"] = (0, IntMax), ["res-retry"] = (0, IntMax),
        // Faults: a rate or a slice of nothing would never move a byte.
        ["fault-rate"] = (1, long.MaxValue), ["fault-slice"] = (1, IntMax), ["fault-slice-variation"] = (0, IntMax),
        // Sizes and counts: a negative one has no meaning (max-children=0 is socat's "no limit").
        ["so-rcvbuf"] = (0, IntMax), ["so-sndbuf"] = (0, IntMax), ["so-rcvbuf-late"] = (0, IntMax), ["so-sndbuf-late"] = (0, IntMax),
        ["so-rcvlowat"] = (0, IntMax), ["so-sndlowat"] = (0, IntMax), ["so-priority"] = (0, IntMax),
        ["backlog"] = (0, IntMax), ["f-setpipe-sz"] = (1, IntMax), ["children-shutup"] = (0, 5), ["max-children"] = (0, IntMax), ["setpgid"] = (0, IntMax),
        ["tcp-defer-accept"] = (0, IntMax), ["tcp-window-clamp"] = (0, IntMax),
        // Header fields: TTL, hop limit, TOS and traffic class are 8 bits, an MSS 16 bits.
        ["ip-ttl"] = (1, 255), ["ip-tos"] = (0, 255), ["ipv6-unicast-hops"] = (0, 255), ["ipv6-tclass"] = (0, 255),
        ["tcp-maxseg"] = (0, 65535), ["tcp-maxseg-late"] = (0, 65535),
        // UDP-Lite checksum coverage counts bytes of a datagram, whose length field is 16 bits.
        ["udplite-send-cscov"] = (0, 65535), ["udplite-recv-cscov"] = (0, 65535),
        // IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5).
        ["ip-mtu-discover"] = (0, 5),
        // Linux's own limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT, MAX_TCP_SYNCNT).
        ["tcp-keepidle"] = (1, 32767), ["tcp-keepintvl"] = (1, 32767), ["tcp-keepcnt"] = (1, 127), ["tcp-syncnt"] = (1, 127),
        // SOCK_STREAM (1) to SOCK_PACKET (10).
        ["so-type"] = (1, 10),
        // A message queue's priority is below MQ_PRIO_MAX (32768); its sizes are at least 1.
        ["posixmq-priority"] = (0, 32767), ["posixmq-maxmsg"] = (1, IntMax), ["posixmq-msgsize"] = (1, IntMax),
        // A file size and an absolute position cannot be negative (the relative seeks can).
        ["ftruncate32"] = (0, long.MaxValue), ["ftruncate64"] = (0, long.MaxValue),
        ["lseek32-set"] = (0, long.MaxValue), ["lseek64-set"] = (0, long.MaxValue),
        // Multi-bit termios fields, as an index: CS5..CS8, CR0..CR3, TAB0..TAB3.
        ["csize"] = (0, 3), ["crdly"] = (0, 3), ["tabdly"] = (0, 3),
    };

    static OptionRanges()
    {
        foreach (string name in Switches) Ranges[name] = (0, 1);
    }

    /// <summary>The range of an option's value, when narrower than its type.</summary>
    public static bool TryGet(string name, out (long Min, long Max) range) => Ranges.TryGetValue(name, out range);

    /// <summary>A mode for umask: only the permission bits mean anything there.</summary>
    public const uint UmaskMax = 0x1FF;
}
