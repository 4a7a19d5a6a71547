using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;

namespace SharpCat.Endpoints;

/// <summary>
/// ip-add-membership (<c>group:interface-address</c>, <c>group:interface-name</c> or
/// <c>group:interface-address:index</c>; IPv6 <c>[group]:interface-name</c>, which socat takes
/// as ipv6-join-group only),
/// ip-add-source-membership (<c>group:interface-address:source-address</c>, IPv4),
/// ipv6-join-source-group (socat 1.8, <c>[group]:interface:[source-address]</c>) and
/// ip-multicast-if on a datagram socket, after it is bound.
/// </summary>
internal static class MulticastOptions
{
    public static void Apply(Socket socket, OptionSet options)
    {
        foreach (var o in options.Items)
        {
            switch (o.Def.Name)
            {
                case "ip-add-membership" or "ipv6-join-group":
                    options.Apply((socket, (string)o.Value!), static s => Join(s.socket, s.Item2));
                    break;
                case "ip-add-source-membership":
                    options.Apply((socket, (string)o.Value!), static s => JoinSource(s.socket, s.Item2));
                    break;
                case "ipv6-join-source-group":
                    options.Apply((socket, (string)o.Value!), static s => JoinSource6(s.socket, s.Item2));
                    break;
                case "ip-multicast-if":
                    options.Apply((socket, (string)o.Value!), static s => SetInterface(s.socket, s.Item2));
                    break;
            }
        }
    }

    private static void Join(Socket socket, string value)
    {
        int split = value.StartsWith('[') ? value.IndexOf("]:", StringComparison.Ordinal) + 1 : value.IndexOf(':');
        if (split <= 0) throw new SharpCatException($"ip-add-membership=\"{value}\": use group:interface");
        string groupText = value[..split].Trim('[', ']'), rest = value[(split + 1)..];
        if (!IPAddress.TryParse(groupText, out var group) || !IsMulticast(group))
            throw new SharpCatException($"ip-add-membership: \"{groupText}\" is not a multicast address");
        try
        {
            if (group.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group, InterfaceIndex(rest)));
                return;
            }
            // socat's forms: interface-address, interface-name, interface-index, and (struct
            // ip_mreqn) interface-address:interface-name or interface-address:interface-index.
            var parts = rest.Split(':');
            MulticastOption option;
            if (parts.Length == 2 && IPAddress.TryParse(parts[0], out var local))
                option = new MulticastOption(group, (int)InterfaceIndex(parts[1])) { LocalAddress = local };
            else if (parts.Length == 1 && rest.All(char.IsAsciiDigit) && rest.Length > 0)
                option = new MulticastOption(group, (int)InterfaceIndex(rest));
            else if (parts.Length == 1 && IPAddress.TryParse(rest, out var address))
                option = new MulticastOption(group, address);
            else if (parts.Length == 1)
                option = new MulticastOption(group, (int)InterfaceIndex(rest));
            else
                throw new SharpCatException($"ip-add-membership=\"{value}\": use group:interface");
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, option);
        }
        catch (SocketException e)
        {
            throw new Native.PosixException($"setsockopt({(int)socket.Handle}, IP_ADD_MEMBERSHIP, {value})", e.NativeErrorCode);
        }
    }

    /// <summary>IP_ADD_SOURCE_MEMBERSHIP: the group's traffic from one source only (struct ip_mreq_source).</summary>
    private static unsafe void JoinSource(Socket socket, string value)
    {
        const int IPPROTO_IP = 0, IP_ADD_SOURCE_MEMBERSHIP = 39;
        string[] parts = value.Split(':');
        IPAddress? group = null, local = null, source = null;
        if (parts.Length != 3 || !IPAddress.TryParse(parts[0], out group) || !IPAddress.TryParse(parts[1], out local) || !IPAddress.TryParse(parts[2], out source)
            || group.AddressFamily != AddressFamily.InterNetwork || local.AddressFamily != AddressFamily.InterNetwork || source.AddressFamily != AddressFamily.InterNetwork)
            throw new SharpCatException($"ip-add-source-membership=\"{value}\": use group:interface-address:source-address (IPv4)");
        if (!IsMulticast(group)) throw new SharpCatException($"ip-add-source-membership: \"{parts[0]}\" is not a multicast address");
        byte* request = stackalloc byte[12]; // imr_multiaddr, imr_interface, imr_sourceaddr
        group.TryWriteBytes(new Span<byte>(request, 4), out _);
        local.TryWriteBytes(new Span<byte>(request + 4, 4), out _);
        source.TryWriteBytes(new Span<byte>(request + 8, 4), out _);
        int fd = (int)socket.Handle;
        if (Native.Libc.SetSockOpt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, request, 12) != 0)
            throw Native.Posix.Fail($"setsockopt({fd}, IP_ADD_SOURCE_MEMBERSHIP, {value})");
    }

    /// <summary>
    /// socat 1.8's ipv6-join-source-group (<c>[group]:interface:[source]</c>, interface by name or
    /// index): MCAST_JOIN_SOURCE_GROUP with a struct group_source_req, as socat sets it.
    /// </summary>
    private static unsafe void JoinSource6(Socket socket, string value)
    {
        const int IPPROTO_IPV6 = 41, MCAST_JOIN_SOURCE_GROUP = 46, Size = 264, GroupAt = 8, SourceAt = 136;
        string[] parts = SplitBracketed(value);
        IPAddress? group = null, source = null;
        if (parts.Length != 3 || !IPAddress.TryParse(parts[0], out group) || !IPAddress.TryParse(parts[2], out source)
            || group.AddressFamily != AddressFamily.InterNetworkV6 || source.AddressFamily != AddressFamily.InterNetworkV6 || parts[1].Length == 0)
            throw new SharpCatException($"ipv6-join-source-group=\"{value}\": use [group]:interface:[source-address] (IPv6)");
        if (!IsMulticast(group)) throw new SharpCatException($"ipv6-join-source-group: \"{parts[0]}\" is not a multicast address");
        uint index = (uint)InterfaceIndex(parts[1]);
        // struct group_source_req: gsr_interface, then two sockaddr_storage (8-byte aligned), each
        // holding a sockaddr_in6 (family 10, address at offset 8).
        byte* request = stackalloc byte[Size];
        new Span<byte>(request, Size).Clear();
        *(uint*)request = index;
        foreach (var (at, address) in new[] { (GroupAt, group), (SourceAt, source) })
        {
            *(ushort*)(request + at) = 10;
            address.TryWriteBytes(new Span<byte>(request + at + 8, 16), out _);
        }
        int fd = (int)socket.Handle;
        if (Native.Libc.SetSockOpt(fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, request, Size) != 0)
            throw Native.Posix.Fail($"setsockopt({fd}, MCAST_JOIN_SOURCE_GROUP, {value})");
    }

    /// <summary>Splits at ':' outside brackets, and takes the brackets off: <c>[ff3e::1]:lo:[::1]</c>.</summary>
    private static string[] SplitBracketed(string value)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i <= value.Length; i++)
        {
            if (i < value.Length && value[i] == '[') depth++;
            else if (i < value.Length && value[i] == ']') depth--;
            else if (i == value.Length || (value[i] == ':' && depth == 0))
            {
                string part = value[start..i];
                parts.Add(part.StartsWith('[') && part.EndsWith(']') ? part[1..^1] : part);
                start = i + 1;
            }
        }
        return [.. parts];
    }

    /// <summary>
    /// These options where no multicast membership is set (a stream, STDIO, an inherited descriptor)
    /// are refused before anything opens: only the UDP, UDP-Lite and raw IP sockets here apply them
    /// (socat takes them there and ends with "1 option(s) could not be used").
    /// </summary>
    public static void Check(ResolvedAddress address)
    {
        if (AddressCatalog.IsIpDatagram(address.Kind.Keyword)) return;
        foreach (string name in Names)
            if (address.Options.Find(name) is { } o)
                throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" sets a multicast membership or interface, which only UDP, UDPLITE and IP datagram addresses do");
    }

    private static readonly string[] Names = ["ip-add-membership", "ipv6-join-group", "ip-add-source-membership", "ipv6-join-source-group", "ip-multicast-if"];

    private static void SetInterface(Socket socket, string value)
    {
        if (!IPAddress.TryParse(value, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            throw new SharpCatException($"ip-multicast-if: \"{value}\" is not an IPv4 address");
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, address.GetAddressBytes());
    }

    private static bool IsMulticast(IPAddress a) =>
        a.AddressFamily == AddressFamily.InterNetworkV6 ? a.IsIPv6Multicast : (a.GetAddressBytes()[0] & 0xF0) == 0xE0;

    /// <summary>An interface by name (or number): if_nametoindex.</summary>
    private static long InterfaceIndex(string name)
    {
        if (long.TryParse(name, out long index)) return index;
        uint found = Native.Libc.IfNameToIndex(name);
        return found != 0 ? found : throw new SharpCatException($"ip-add-membership: no interface \"{name}\"");
    }
}
