using System.Net.Sockets;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>How a socket option's value is passed to setsockopt(2).</summary>
internal enum SockOptValue { Int, Byte, Linger, String, Bin, Timeval }

/// <summary>
/// The setsockopt-based options of the SOCKET, IP4/IP6 and TCP groups, as one table: name,
/// level, option number, value shape, and whether it must be set before bind (socat's PREBIND
/// phase) or once the socket exists. Applied to any fd that is a socket — an inherited one
/// (STDIO, FD) included, where a non-socket fails with socat's "Socket operation on non-socket".
/// </summary>
internal static unsafe class SocketOptions
{
    private const int SOL_SOCKET = 1, IPPROTO_IP = 0, IPPROTO_IPV6 = 41, IPPROTO_TCP = 6, IPPROTO_UDPLITE = 136, SOL_DCCP = 269;

    internal sealed record Entry(string Name, int Level, int Option, SockOptValue Value, bool BeforeBind = false);

    internal static readonly Entry[] Table =
    [
        new("so-debug", SOL_SOCKET, 1, SockOptValue.Int),
        new("so-reuseaddr", SOL_SOCKET, 2, SockOptValue.Int, BeforeBind: true),
        new("so-dontroute", SOL_SOCKET, 5, SockOptValue.Int),
        new("so-broadcast", SOL_SOCKET, 6, SockOptValue.Int),
        new("so-sndbuf", SOL_SOCKET, 7, SockOptValue.Int),
        new("so-rcvbuf", SOL_SOCKET, 8, SockOptValue.Int),
        new("so-keepalive", SOL_SOCKET, 9, SockOptValue.Int),
        new("so-oobinline", SOL_SOCKET, 10, SockOptValue.Int),
        new("so-no-check", SOL_SOCKET, 11, SockOptValue.Int),
        new("so-priority", SOL_SOCKET, 12, SockOptValue.Int),
        new("so-linger", SOL_SOCKET, 13, SockOptValue.Linger),
        new("so-bsdcompat", SOL_SOCKET, 14, SockOptValue.Int),
        new("so-reuseport", SOL_SOCKET, 15, SockOptValue.Int, BeforeBind: true),
        new("so-passcred", SOL_SOCKET, 16, SockOptValue.Int),
        new("so-rcvlowat", SOL_SOCKET, 18, SockOptValue.Int),
        new("so-sndlowat", SOL_SOCKET, 19, SockOptValue.Int),
        new("so-bindtodevice", SOL_SOCKET, 25, SockOptValue.String),
        new("so-timestamp", SOL_SOCKET, 29, SockOptValue.Int),
        // socat 1.8: the kernel's timeouts of blocking receives and sends (SO_RCVTIMEO, SO_SNDTIMEO).
        new("so-rcvtimeo", SOL_SOCKET, 20, SockOptValue.Timeval),
        new("so-sndtimeo", SOL_SOCKET, 21, SockOptValue.Timeval),
        new("so-rcvbuf-late", SOL_SOCKET, 8, SockOptValue.Int),
        new("so-sndbuf-late", SOL_SOCKET, 7, SockOptValue.Int),
        new("ip-tos", IPPROTO_IP, 1, SockOptValue.Int),
        new("ip-ttl", IPPROTO_IP, 2, SockOptValue.Int),
        new("ip-hdrincl", IPPROTO_IP, 3, SockOptValue.Int),
        new("ip-options", IPPROTO_IP, 4, SockOptValue.Bin),
        new("ip-router-alert", IPPROTO_IP, 5, SockOptValue.Int),
        new("ip-recvopts", IPPROTO_IP, 6, SockOptValue.Int),
        new("ip-retopts", IPPROTO_IP, 7, SockOptValue.Int),
        new("ip-pktinfo", IPPROTO_IP, 8, SockOptValue.Int),
        new("ip-pktoptions", IPPROTO_IP, 9, SockOptValue.Int),
        new("ip-mtu-discover", IPPROTO_IP, 10, SockOptValue.Int),
        new("ip-recverr", IPPROTO_IP, 11, SockOptValue.Int),
        new("ip-recvttl", IPPROTO_IP, 12, SockOptValue.Int),
        new("ip-recvtos", IPPROTO_IP, 13, SockOptValue.Int),
        new("ip-freebind", IPPROTO_IP, 15, SockOptValue.Int),
        new("ip-transparent", IPPROTO_IP, 19, SockOptValue.Int, BeforeBind: true),
        new("ip-multicast-ttl", IPPROTO_IP, 33, SockOptValue.Byte),
        new("ip-multicast-loop", IPPROTO_IP, 34, SockOptValue.Byte),
        new("ipv6-unicast-hops", IPPROTO_IPV6, 16, SockOptValue.Int),
        new("ipv6-recverr", IPPROTO_IPV6, 25, SockOptValue.Int),
        new("ipv6-v6only", IPPROTO_IPV6, 26, SockOptValue.Int, BeforeBind: true),
        new("ipv6-recvpktinfo", IPPROTO_IPV6, 49, SockOptValue.Int),
        new("ipv6-recvhoplimit", IPPROTO_IPV6, 51, SockOptValue.Int),
        new("ipv6-recvrthdr", IPPROTO_IPV6, 56, SockOptValue.Int),
        new("ipv6-recvhopopts", IPPROTO_IPV6, 53, SockOptValue.Int),
        new("ipv6-recvdstopts", IPPROTO_IPV6, 58, SockOptValue.Int),
        new("ipv6-recvpathmtu", IPPROTO_IPV6, 60, SockOptValue.Int),
        new("ipv6-recvtclass", IPPROTO_IPV6, 66, SockOptValue.Int),
        new("ipv6-tclass", IPPROTO_IPV6, 67, SockOptValue.Int),
        // RFC 3542 sending-side options that socat sets as plain ints; Linux refuses an int for
        // each, and the error is the kernel's, as under socat.
        new("ipv6-authhdr", IPPROTO_IPV6, 10, SockOptValue.Int),
        new("ipv6-pktinfo", IPPROTO_IPV6, 50, SockOptValue.Int),
        new("ipv6-hoplimit", IPPROTO_IPV6, 52, SockOptValue.Int),
        new("ipv6-hopopts", IPPROTO_IPV6, 54, SockOptValue.Int),
        new("ipv6-rthdr", IPPROTO_IPV6, 57, SockOptValue.Int),
        new("ipv6-dstopts", IPPROTO_IPV6, 59, SockOptValue.Int),
        new("tcp-nodelay", IPPROTO_TCP, 1, SockOptValue.Int),
        new("tcp-maxseg", IPPROTO_TCP, 2, SockOptValue.Int),
        new("tcp-cork", IPPROTO_TCP, 3, SockOptValue.Int),
        new("tcp-keepidle", IPPROTO_TCP, 4, SockOptValue.Int),
        new("tcp-keepintvl", IPPROTO_TCP, 5, SockOptValue.Int),
        new("tcp-keepcnt", IPPROTO_TCP, 6, SockOptValue.Int),
        new("tcp-syncnt", IPPROTO_TCP, 7, SockOptValue.Int),
        new("tcp-linger2", IPPROTO_TCP, 8, SockOptValue.Int),
        new("tcp-defer-accept", IPPROTO_TCP, 9, SockOptValue.Int),
        new("tcp-window-clamp", IPPROTO_TCP, 10, SockOptValue.Int),
        new("tcp-quickack", IPPROTO_TCP, 12, SockOptValue.Int),
        new("tcp-maxseg-late", IPPROTO_TCP, 2, SockOptValue.Int),
        // socat 1.8: UDP-Lite's checksum coverage (UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV).
        new("udplite-send-cscov", IPPROTO_UDPLITE, 10, SockOptValue.Int),
        new("udplite-recv-cscov", IPPROTO_UDPLITE, 11, SockOptValue.Int),
        new("dccp-set-ccid", SOL_DCCP, 13, SockOptValue.Byte),
    ];

    /// <summary>Options whose purpose is ancillary data with each received datagram (logged by DatagramChannel).</summary>
    private static readonly string[] AncillaryOptions =
    [
        "so-timestamp", "ip-pktinfo", "ip-recvttl", "ip-recvtos", "ip-recvopts", "ip-retopts", "ip-recverr",
        "ipv6-recvpktinfo", "ipv6-recvhoplimit", "ipv6-recvtclass", "ipv6-recvrthdr", "ipv6-recvhopopts", "ipv6-recvdstopts",
        "ipv6-recvpathmtu", "ipv6-recverr",
    ];

    public static bool AsksForAncillaryData(OptionSet options)
    {
        foreach (string name in AncillaryOptions) if (options.Flag(name) || options.Number(name) is > 0) return true;
        return false;
    }

    private static readonly Dictionary<string, Entry> ByName = Table.ToDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>True for options whose numeric value defaults to 1 when none is given (<c>reuseaddr</c>, <c>nodelay</c>).</summary>
    public static bool IsSocketOption(string name) => ByName.ContainsKey(name) || name.StartsWith("setsockopt", StringComparison.Ordinal);

    /// <summary><c>so-type</c> (socktype): the type socket(2) gets instead of the address's own, as in socat.</summary>
    public static SocketType Type(OptionSet options, SocketType own) => options.Number("so-type") is long t ? (SocketType)t : own;

    /// <summary>Sets the options of one phase: before bind, or once the socket exists.</summary>
    /// <param name="fd">The socket.</param>
    /// <param name="options">The address's options.</param>
    /// <param name="beforeBind">True for the options of socat's phases before bind, false for those after.</param>
    /// <param name="connectedLater">
    /// True where the opener calls <see cref="ApplyConnected"/> once the socket is connected or
    /// accepted; otherwise <c>setsockopt-connected</c> comes with the other options after bind.
    /// </param>
    public static void Apply(int fd, OptionSet options, bool beforeBind, bool connectedLater = false)
    {
        foreach (var o in options.Items)
        {
            if (ByName.TryGetValue(o.Def.Name, out var entry))
            {
                if (entry.BeforeBind == beforeBind) options.Apply((fd, entry, o.Value), static s => Set(s.fd, s.entry, s.Value));
            }
            else if (GenericPhase(o.Def.Name) is { } phase
                && (beforeBind ? phase == GenericWhen.BeforeBind : phase == GenericWhen.AfterBind || (phase == GenericWhen.Connected && !connectedLater)))
            {
                options.Apply((fd, o), static s => SetGeneric(s.fd, s.o));
            }
        }
    }

    /// <summary>
    /// <c>setsockopt-connected</c> (socat 1.8): on the socket once connect() or accept() has made the
    /// connection (an accepted socket gets it, not the listening one), as socat's CONNECTED phase.
    /// </summary>
    public static void ApplyConnected(int fd, OptionSet options)
    {
        foreach (var o in options.Items)
            if (GenericPhase(o.Def.Name) == GenericWhen.Connected) options.Apply((fd, o), static s => SetGeneric(s.fd, s.o));
    }

    private enum GenericWhen { BeforeBind, AfterBind, Connected }

    /// <summary>
    /// When each generic setsockopt option is set: <c>setsockopt-listen</c> before bind (socat's
    /// PREBIND), socat 1.8's <c>setsockopt-socket</c> right after socket() (its PASTSOCKET, so also
    /// before bind), <c>setsockopt-connected</c> on the connection, the others once the socket is bound.
    /// </summary>
    private static GenericWhen? GenericPhase(string name) => name switch
    {
        "setsockopt-listen" or "setsockopt-socket" => GenericWhen.BeforeBind,
        "setsockopt-connected" => GenericWhen.Connected,
        _ when name.StartsWith("setsockopt", StringComparison.Ordinal) => GenericWhen.AfterBind,
        _ => null,
    };

    private static void Set(int fd, Entry entry, object? value)
    {
        switch (entry.Value)
        {
            case SockOptValue.Int:
            {
                int v = (int)(long)value!;
                Call(fd, entry.Level, entry.Option, &v, sizeof(int), $"{{{v}}}");
                break;
            }
            case SockOptValue.Byte:
            {
                byte v = (byte)(long)value!;
                Call(fd, entry.Level, entry.Option, &v, 1, $"{{{v}}}");
                break;
            }
            case SockOptValue.Linger:
            {
                // socat's linger=N: on, with N seconds.
                int* l = stackalloc int[2];
                l[0] = 1;
                l[1] = (int)(long)value!;
                Call(fd, entry.Level, entry.Option, l, 8, $"{{1,{l[1]}}}");
                break;
            }
            case SockOptValue.String:
            {
                byte[] s = [.. Encoding.UTF8.GetBytes((string)value!), 0];
                fixed (byte* p = s) Call(fd, entry.Level, entry.Option, p, (uint)s.Length, $"\"{value}\"");
                break;
            }
            case SockOptValue.Timeval:
            {
                // struct timeval: seconds and microseconds, each a long on 64-bit Linux.
                double seconds = (double)value!;
                long* tv = stackalloc long[2];
                tv[0] = (long)Math.Floor(seconds);
                tv[1] = (long)Math.Round((seconds - tv[0]) * 1e6);
                if (tv[1] >= 1_000_000) { tv[0]++; tv[1] -= 1_000_000; }
                Call(fd, entry.Level, entry.Option, tv, 16, $"{{{tv[0]},{tv[1]}}}");
                break;
            }
            case SockOptValue.Bin:
            {
                byte[] b = (byte[])value!;
                fixed (byte* p = b) Call(fd, entry.Level, entry.Option, p, (uint)b.Length, $"x{Convert.ToHexString(b)}");
                break;
            }
        }
    }

    private static void SetGeneric(int fd, ResolvedOption o)
    {
        switch (o.Value)
        {
            case long[] v: // setsockopt-int=level:name:value
            {
                int x = (int)v[2];
                Call(fd, (int)v[0], (int)v[1], &x, sizeof(int), $"{{{x}}}");
                break;
            }
            case (long level, long name, byte[] data):
                fixed (byte* p = data) Call(fd, (int)level, (int)name, p, (uint)data.Length, $"x{Convert.ToHexString(data)}");
                break;
        }
    }

    private static void Call(int fd, int level, int option, void* value, uint length, string shown)
    {
        if (Libc.SetSockOpt(fd, level, option, value, length) != 0)
            throw Posix.Fail($"setsockopt({fd}, {level}, {option}, {shown}, {length})");
    }
}
