using System.Net;
using System.Net.Sockets;

namespace SharpCat.Capture;

/// <summary>
/// The two addresses a captured connection is shown between: each end's peer where that end is an
/// IP socket (the TCP client on the left, the server on the right), with its real port; a made-up
/// one where it is not (stdio, a file, UNIX, a program): 127.0.0.2 for the left and 127.0.0.3 for
/// the right (fd00::2 and fd00::3 beside IPv6), with a port per connection so that every
/// connection is a conversation of its own.
/// </summary>
internal static class CapturePeers
{
    private static readonly byte[] MadeUpLeft4 = [127, 0, 0, 2], MadeUpRight4 = [127, 0, 0, 3];
    private static readonly byte[] MadeUpLeft6 = IPAddress.Parse("fd00::2").GetAddressBytes(), MadeUpRight6 = IPAddress.Parse("fd00::3").GetAddressBytes();

    /// <summary>The pair, and a note naming the made-up ones (null when both are real).</summary>
    public static (CapturePeer Left, CapturePeer Right, string? Note) Choose(long id, EndPoint? left, EndPoint? right)
    {
        var l = AsIp(left);
        var r = AsIp(right);
        // One family for both: an IPv4 peer beside an IPv6 one is shown IPv4-mapped.
        bool v6 = l?.AddressFamily == AddressFamily.InterNetworkV6 || r?.AddressFamily == AddressFamily.InterNetworkV6;
        ushort port = (ushort)(1024 + (id - 1) % 64512);
        string? note = null;
        CapturePeer leftPeer, rightPeer;
        if (l is null)
        {
            leftPeer = new(v6 ? MadeUpLeft6 : MadeUpLeft4, port);
            note = $"the first address is not an IP socket: {(v6 ? "fd00::2" : "127.0.0.2")} port {port} stands for it";
        }
        else leftPeer = new(Bytes(l.Address, v6), (ushort)l.Port);
        if (r is null)
        {
            rightPeer = new(v6 ? MadeUpRight6 : MadeUpRight4, port);
            note = (note is null ? "" : note + "; ")
                + $"the second address is not an IP socket: {(v6 ? "fd00::3" : "127.0.0.3")} port {port} stands for it";
        }
        else rightPeer = new(Bytes(r.Address, v6), (ushort)r.Port);
        return (leftPeer, rightPeer, note);
    }

    private static IPEndPoint? AsIp(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped => new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port),
        IPEndPoint ip => ip,
        _ => null,
    };

    private static byte[] Bytes(IPAddress address, bool v6) =>
        (v6 && address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();
}
