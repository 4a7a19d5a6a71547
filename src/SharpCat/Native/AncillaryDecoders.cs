using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>
/// What each control message a datagram socket can be asked for means, in socat's words and forms
/// (xiolog_ancillary_socket, _ip, _ip6 in socat 1.7.4): one decoder per (level, type), and socat's
/// generic form for the others ("IP: type_7=x…", "IPV6.61: data=x…").
/// </summary>
internal static unsafe class AncillaryDecoders
{
    private delegate AncillaryMessage Decoder(ReadOnlySpan<byte> data);

    private const int SOL_SOCKET = 1, IPPROTO_IP = 0, IPPROTO_IPV6 = 41;

    /// <summary>Each known message with the length its decoder needs; a shorter one is shown in the generic form.</summary>
    private static readonly Dictionary<(int Level, int Type), (int Length, Decoder Decode)> Known = new()
    {
        [(SOL_SOCKET, 29 /* SCM_TIMESTAMP */)] = (16, Timestamp),
        [(IPPROTO_IP, 1 /* IP_TOS */)] = (1, d => Number("IP_TOS", "tos", d)),
        [(IPPROTO_IP, 2 /* IP_TTL */)] = (1, d => Number("IP_TTL", "ttl", d)),
        [(IPPROTO_IP, 4 /* IP_OPTIONS */)] = (0, IpOptions),
        [(IPPROTO_IP, 6 /* IP_RECVOPTS */)] = (0, IpOptions),
        [(IPPROTO_IP, 8 /* IP_PKTINFO */)] = (12, Ipv4PacketInfo),
        [(IPPROTO_IPV6, 50 /* IPV6_PKTINFO */)] = (20, Ipv6PacketInfo),
        [(IPPROTO_IPV6, 52 /* IPV6_HOPLIMIT */)] = (4, d => new("IPV6_HOPLIMIT", [new("hoplimit", Decimal(Int(d)))])),
        [(IPPROTO_IPV6, 54 /* IPV6_HOPOPTS */)] = (0, d => new("IPV6_HOPOPTS", [new("hopopts", Dump(d))])),
        [(IPPROTO_IPV6, 57 /* IPV6_RTHDR */)] = (0, d => new("IPV6_RTHDR", [new("rthdr", Dump(d))])),
        [(IPPROTO_IPV6, 59 /* IPV6_DSTOPTS */)] = (0, d => new("IPV6_DSTOPTS", [new("dstopts", Dump(d))])),
        // The traffic class as the bytes of a big-endian int: x000000aa.
        [(IPPROTO_IPV6, 67 /* IPV6_TCLASS */)] = (4, d => new("IPV6_TCLASS", [new("tclass", $"x{(uint)Int(d):x8}")])),
    };

    public static AncillaryMessage Decode(int level, int type, ReadOnlySpan<byte> data)
    {
        if (Known.TryGetValue((level, type), out var known) && data.Length >= known.Length) return known.Decode(data);
        return level switch
        {
            SOL_SOCKET => new($"SOCKET.{type}", [new("data", Dump(data))]),
            IPPROTO_IP => new("IP", [new($"type_{type}", Dump(data))]),
            IPPROTO_IPV6 => new($"IPV6.{type}", [new("data", Dump(data))]),
            _ => new($"LEVEL{level}", [new($"type{type}", Dump(data))]),
        };
    }

    /// <summary>socat's hex form of binary data: "x", two lowercase digits a byte, at most 84 bytes (its buffer's worth).</summary>
    public static string Dump(ReadOnlySpan<byte> data) =>
        data.IsEmpty ? "" : "x" + Convert.ToHexStringLower(data[..Math.Min(data.Length, 84)]);

    /// <summary>A one-byte (IP_TOS) or int (IP_TTL) value, with socat's notice; any other length is only dumped.</summary>
    private static AncillaryMessage Number(string type, string name, ReadOnlySpan<byte> data)
    {
        uint? value = data.Length switch { 1 => data[0], 4 => (uint)Int(data), _ => null };
        if (value is not { } v) return new(type, [new(name, Dump(data))]);
        string text = Decimal(v);
        return new(type, [new(name, text)], $"Ancillary message: {name}={text}");
    }

    private static AncillaryMessage IpOptions(ReadOnlySpan<byte> data) => new("IP_OPTIONS", [new("options", Dump(data))]);

    /// <summary>SO_TIMESTAMP's struct timeval as ctime(3) writes the seconds (local time), then the microseconds.</summary>
    private static AncillaryMessage Timestamp(ReadOnlySpan<byte> data)
    {
        long seconds = MemoryMarshal.Read<long>(data), microseconds = MemoryMarshal.Read<long>(data[8..]);
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).ToLocalTime();
        string value = string.Create(CultureInfo.InvariantCulture,
            $"{t:ddd MMM}{t.Day,3} {t:HH:mm:ss} {t.Year}, {microseconds:D6} usecs");
        return new("SCM_TIMESTAMP", [new("timestamp", value, "TIMESTAMP")]);
    }

    /// <summary>struct in_pktinfo: interface index, local (spec_dst) and destination address.</summary>
    private static AncillaryMessage Ipv4PacketInfo(ReadOnlySpan<byte> data)
    {
        string ifName = InterfaceName(Int(data));
        string local = new IPAddress(data.Slice(4, 4)).ToString(), destination = new IPAddress(data.Slice(8, 4)).ToString();
        return new("IP_PKTINFO",
            [new("if", ifName, "IP_IF"), new("locaddr", local, "IP_LOCADDR"), new("dstaddr", destination, "IP_DSTADDR")],
            $"Ancillary message: interface \"{ifName}\", locaddr={local}, dstaddr={destination}");
    }

    /// <summary>struct in6_pktinfo: destination address, interface index.</summary>
    private static AncillaryMessage Ipv6PacketInfo(ReadOnlySpan<byte> data) =>
        new("IPV6_PKTINFO",
        [
            new("dstaddr", Endpoints.SocketAddressing.AddressText(new IPAddress(data[..16])), "IPV6_DSTADDR"),
            new("if", InterfaceName(Int(data[16..])), "IPV6_IF"),
        ]);

    private static int Int(ReadOnlySpan<byte> data) => MemoryMarshal.Read<int>(data);

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string InterfaceName(int index)
    {
        byte* name = stackalloc byte[16];
        return Libc.IfIndexToName((uint)index, name) == null
            ? Decimal(index)
            : Marshal.PtrToStringUTF8((nint)name) ?? Decimal(index);
    }
}
