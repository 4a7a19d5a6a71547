using System.Net;
using System.Net.Sockets;

namespace SharpCat.Tests.Support;

/// <summary>Whether something accepts connections at an address now (one connect, closed at once).</summary>
public static class Probe
{
    public static bool CanConnect(EndPoint to)
    {
        using var probe = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(to);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static bool CanConnect(int loopbackPort) => CanConnect(new IPEndPoint(IPAddress.Loopback, loopbackPort));
}
