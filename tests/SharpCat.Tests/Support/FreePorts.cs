using System.Net;
using System.Net.Sockets;

namespace SharpCat.Tests.Support;

/// <summary>
/// A loopback port that is free, for peers that cannot report the port they were given (socat's
/// listeners, openssl s_server) or for running two programs on one port in turn.
/// </summary>
/// <remarks>
/// Ports come from below the kernel's ephemeral range (32768 and up), each handed out once per test
/// run: a port the kernel picked would be free only for a moment, since every connect and every
/// datagram socket bound to port 0 in the tests running beside it draws from that range (CI once
/// lost a UDP4-RECV test to "Address already in use" that way). A port is handed out only if TCP and
/// UDP, IPv4 and IPv6, can all bind it on the wildcard address at that moment.
/// </remarks>
public static class FreePorts
{
    private const int First = 20000, Last = 32767;

    // A different start in each run, so two runs side by side (the suite and a soak) rarely meet.
    private static int s_next = First + Random.Shared.Next(Last - First);

    /// <summary>A port no one holds now, for TCP or UDP over either family, not handed out before in this run.</summary>
    public static int Next()
    {
        for (int tries = 0; tries <= Last - First; tries++)
        {
            int port = First + (Interlocked.Increment(ref s_next) - First) % (Last - First + 1);
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }

    private static bool IsFree(int port)
    {
        foreach (var type in new[] { SocketType.Stream, SocketType.Dgram })
            foreach (var address in new[] { IPAddress.Any, IPAddress.IPv6Any })
            {
                try
                {
                    using var s = new Socket(address.AddressFamily, type, ProtocolType.Unspecified);
                    if (address.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
                    s.Bind(new IPEndPoint(address, port));
                }
                catch (SocketException)
                {
                    return false;
                }
            }
        return true;
    }
}
