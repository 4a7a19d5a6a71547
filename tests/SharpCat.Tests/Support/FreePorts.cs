using System.Net;
using System.Net.Sockets;

namespace SharpCat.Tests.Support;

/// <summary>
/// A loopback port the kernel had free a moment ago, for peers that cannot report the port they
/// were given (socat's listeners, openssl s_server) or for running two programs on one port in turn.
/// </summary>
public static class FreePorts
{
    public static int Tcp(bool v6 = false) => Probe(SocketType.Stream, v6);

    public static int Udp(bool v6 = false) => Probe(SocketType.Dgram, v6);

    private static int Probe(SocketType type, bool v6)
    {
        using var s = new Socket(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, type, ProtocolType.Unspecified);
        s.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
