using System.Buffers.Binary;

namespace SharpCat.Capture;

/// <summary>One side of a captured conversation: an IPv4 (4 bytes) or IPv6 (16 bytes) address and a port.</summary>
internal readonly record struct CapturePeer(byte[] Address, ushort Port)
{
    public bool IsIPv6 => Address.Length == 16;
}

/// <summary>
/// Writes IPv4/IPv6 packets carrying TCP or UDP, in network byte order, with real checksums
/// (cheap, and Wireshark then has nothing to flag when its checksum checks are turned on).
/// </summary>
internal static class PacketHeaders
{
    public const byte Tcp = 6, Udp = 17;
    public const int TcpHeader = 20, UdpHeader = 8;

    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    /// <summary>The IP header's length for this pair of peers (both of one family).</summary>
    public static int IpHeader(CapturePeer from) => from.IsIPv6 ? 40 : 20;

    /// <summary>A TCP segment with its payload already in place after the headers; returns the packet's length.</summary>
    public static int WriteTcp(Span<byte> packet, CapturePeer from, CapturePeer to, uint seq, uint ack, byte flags, int payload)
    {
        int ip = IpHeader(from);
        var tcp = packet.Slice(ip, TcpHeader + payload);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], to.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (flags & Ack) != 0 ? ack : 0);
        tcp[12] = TcpHeader / 4 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);   // window
        BinaryPrimitives.WriteUInt32BigEndian(tcp[16..], 0);       // checksum, urgent pointer
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TransportChecksum(from, to, Tcp, tcp));
        WriteIp(packet, from, to, Tcp, tcp.Length);
        return ip + tcp.Length;
    }

    /// <summary>A UDP datagram with its payload already in place after the headers; returns the packet's length.</summary>
    public static int WriteUdp(Span<byte> packet, CapturePeer from, CapturePeer to, int payload)
    {
        int ip = IpHeader(from);
        var udp = packet.Slice(ip, UdpHeader + payload);
        BinaryPrimitives.WriteUInt16BigEndian(udp, from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], to.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        ushort sum = TransportChecksum(from, to, Udp, udp);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);   // 0 means "none" in UDP
        WriteIp(packet, from, to, Udp, udp.Length);
        return ip + udp.Length;
    }

    private static void WriteIp(Span<byte> packet, CapturePeer from, CapturePeer to, byte protocol, int payload)
    {
        if (from.IsIPv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet, 0x60000000);   // version 6, no class or flow
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)payload);
            packet[6] = protocol;
            packet[7] = 64;                                              // hop limit
            from.Address.CopyTo(packet[8..]);
            to.Address.CopyTo(packet[24..]);
            return;
        }
        packet[0] = 0x45;                                                // version 4, 20-byte header
        packet[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)(20 + payload));
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], 0x00004000);  // id 0, don't fragment
        packet[8] = 64;                                                  // TTL
        packet[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
        from.Address.CopyTo(packet[12..]);
        to.Address.CopyTo(packet[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Fold(Sum(0, packet[..20])));
    }

    /// <summary>TCP's and UDP's checksum: over the pseudo-header (addresses, protocol, length) and the segment.</summary>
    private static ushort TransportChecksum(CapturePeer from, CapturePeer to, byte protocol, ReadOnlySpan<byte> segment)
    {
        ulong sum = Sum(0, from.Address);
        sum = Sum(sum, to.Address);
        sum += protocol + (ulong)segment.Length;
        return Fold(Sum(sum, segment));
    }

    /// <summary>The one's-complement sum's running total of big-endian 16-bit words (an odd last byte padded with zero).</summary>
    private static ulong Sum(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        // Four words at a time: the carries collect in the upper bits of the 64-bit total.
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong v = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            sum += (v >> 48) + ((v >> 32) & 0xFFFF) + ((v >> 16) & 0xFFFF) + (v & 0xFFFF);
        }
        for (; i + 2 <= data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (ulong)data[i] << 8;
        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
