using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// INTERFACE:name: a packet socket bound to one network interface, so the relay sees and sends
/// whole link-level frames (Linux AF_PACKET, every protocol; <c>so-type</c> picks SOCK_DGRAM for
/// frames without the link header). One frame per read and per write.
/// </summary>
internal static unsafe class InterfaceEndpoints
{
    private const int AF_PACKET = 17, SOCK_RAW = 3;
    private const ushort ETH_P_ALL = 0x0003;

    public static ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        string name = request.Parameters[0];
        uint index = Libc.IfNameToIndex(name);
        if (index == 0) throw new SharpCatException($"INTERFACE: no interface \"{name}\"");
        int type = (int)(request.Options.Number("so-type") ?? SOCK_RAW);
        ushort protocol = (ushort)System.Net.IPAddress.HostToNetworkOrder((short)ETH_P_ALL);
        var socket = Posix.NewSocket(AF_PACKET, type, protocol, out int fd);
        try
        {
            SocketOptions.Apply(fd, request.Options, beforeBind: true);
            // struct sockaddr_ll: family, protocol, ifindex, then zeros (hatype, pkttype, halen, addr).
            byte* address = stackalloc byte[20];
            new Span<byte>(address, 20).Clear();
            *(ushort*)address = AF_PACKET;
            *(ushort*)(address + 2) = protocol;
            *(int*)(address + 4) = (int)index;
            if (Libc.Bind(fd, address, 20) != 0) throw Posix.Fail($"bind({fd}, {{AF={AF_PACKET} \"{name}\"}}, 20)");
            SocketOptions.Apply(fd, request.Options, beforeBind: false);
            Log.Notice($"packet socket on interface \"{name}\" (index {index})");
            return ValueTask.FromResult<IChannel>(DatagramChannel.Open(socket, DatagramPeer.Connected, null, request.Options));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
