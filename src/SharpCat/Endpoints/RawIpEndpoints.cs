using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// Raw IP, each also as IP4/IP6: IP-SENDTO:host:protocol (to host, datagrams only from it),
/// IP-DATAGRAM (to host, from anyone, <c>range</c>), IP-RECVFROM:protocol (one datagram, answered
/// to its sender; with fork a relay per datagram) and IP-RECV:protocol. As socat, received IPv4
/// packets lose their IP header unless the protocol is 255 (raw: the header is part of the data
/// both ways). Needs CAP_NET_RAW.
/// </summary>
internal static class RawIpEndpoints
{
    private const int IPPROTO_RAW = 255;

    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 0, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo4(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 4, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo6(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 6, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> Datagram(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 0, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram4(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 4, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram6(OpenRequest r, CancellationToken ct) => ToHostAsync(r, 6, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 0, DatagramPeer.FirstSender));
    public static ValueTask<IChannel> RecvFrom4(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 4, DatagramPeer.FirstSender));
    public static ValueTask<IChannel> RecvFrom6(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 6, DatagramPeer.FirstSender));
    public static ValueTask<IListener> RecvFromFork(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(ForkReceiver(r, 0));
    public static ValueTask<IListener> RecvFromFork4(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(ForkReceiver(r, 4));
    public static ValueTask<IListener> RecvFromFork6(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(ForkReceiver(r, 6));
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 0, DatagramPeer.ReceiveOnly));
    public static ValueTask<IChannel> Recv4(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 4, DatagramPeer.ReceiveOnly));
    public static ValueTask<IChannel> Recv6(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Receiver(r, 6, DatagramPeer.ReceiveOnly));

    /// <summary>The protocol parameter: a number 0-255.</summary>
    public static int Protocol(string text) =>
        int.TryParse(text, out int p) && p is >= 0 and <= 255 ? p : throw new SharpCatException($"IP protocol \"{text}\": a number from 0 to 255");

    private static async ValueTask<IChannel> ToHostAsync(OpenRequest request, int version, DatagramPeer mode, CancellationToken ct)
    {
        var family = SocketAddressing.Family(request, version);
        var host = await SocketAddressing.ResolveAsync(request.Parameters[0], family, ct, SocketAddressing.FamilyIsFixed(request, version),
            NameLookup.Of(request.Options, family, passive: false)).ConfigureAwait(false);
        int protocol = Protocol(request.Parameters[1]);
        var socket = Open(request, host.AddressFamily, protocol, bindTo: null);
        return Wrap(request, socket, mode, new IPEndPoint(host, 0), protocol);
    }

    private static IChannel Receiver(OpenRequest request, int version, DatagramPeer mode)
    {
        var (socket, protocol) = ReceivingSocket(request, version);
        return Wrap(request, socket, mode, null, protocol);
    }

    /// <summary>IP-RECVFROM with fork: each packet is served by a relay of its own, answered through the one socket.</summary>
    private static IListener ForkReceiver(OpenRequest request, int version)
    {
        var (socket, protocol) = ReceivingSocket(request, version);
        return new RecvFromForkListener(request, socket, PeerCheck.For(request.Options, ports: false),
            StripsIpv4Header(socket, protocol));
    }

    private static (Socket Socket, int Protocol) ReceivingSocket(OpenRequest request, int version)
    {
        var family = SocketAddressing.Family(request, version, listens: true);
        if (family == AddressFamily.Unspecified) family = AddressFamily.InterNetwork;
        int protocol = Protocol(request.Parameters[0]);
        var any = new IPEndPoint(SocketAddressing.Unbound(request, family), 0);
        var socket = Open(request, family, protocol, any);
        Log.Notice($"receiving protocol {protocol} on {SocketAddressing.Format(socket.LocalEndPoint)}");
        Relay.RelayContext.Current?.Listening(socket.LocalEndPoint);
        return (socket, protocol);
    }

    private static Socket Open(OpenRequest request, AddressFamily family, int protocol, IPEndPoint? bindTo)
    {
        // socket(2) itself: .NET's Socket refuses protocol numbers it has no name for.
        const int SOCK_RAW = 3;
        var socket = Native.Posix.NewSocket(family == AddressFamily.InterNetworkV6 ? 10 : 2, (int)SocketOptions.Type(request.Options, (SocketType)SOCK_RAW), protocol, out int fd);
        try
        {
            SocketOptions.Apply(fd, request.Options, beforeBind: true);
            if (request.Options.Text("bind") is { } bind)
                StreamSockets.Bind(socket, new IPEndPoint(IPAddress.Parse(TcpEndpoints.SplitHostPort(bind).Host.Trim('[', ']')), 0));
            else if (bindTo is not null) StreamSockets.Bind(socket, bindTo);
            SocketOptions.Apply(fd, request.Options, beforeBind: false);
            // Group membership and the sending interface, as on UDP: raw IP takes multicast too.
            MulticastOptions.Apply(socket, request.Options);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static DatagramChannel Wrap(OpenRequest request, Socket socket, DatagramPeer mode, EndPoint? peer, int protocol) =>
        DatagramChannel.Open(socket, mode, peer, request.Options, PeerCheck.For(request.Options, ports: false),
            StripsIpv4Header(socket, protocol));

    private static bool StripsIpv4Header(Socket socket, int protocol) =>
        socket.AddressFamily == AddressFamily.InterNetwork && protocol != IPPROTO_RAW;
}
