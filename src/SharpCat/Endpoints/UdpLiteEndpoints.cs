using System.Net.Sockets;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// socat 1.8's UDPLITE addresses in UDP's six forms (and 4/6): to socat they are UDP with a
/// datagram socket of protocol IPPROTO_UDPLITE (136), so they open through UDP's code with that
/// protocol. Checksum coverage is set with <c>udplite-send-cscov</c> / <c>udplite-recv-cscov</c>
/// (SocketOptions). A kernel without UDP-Lite refuses the socket, and the error says so.
/// </summary>
internal static class UdpLiteEndpoints
{
    internal const ProtocolType UdpLite = (ProtocolType)136;

    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => UdpEndpoints.ConnectAsync(r, 0, UdpLite, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => UdpEndpoints.ConnectAsync(r, 4, UdpLite, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => UdpEndpoints.ConnectAsync(r, 6, UdpLite, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 0, UdpLite));
    public static ValueTask<IListener> Listen4(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 4, UdpLite));
    public static ValueTask<IListener> Listen6(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 6, UdpLite));
    public static ValueTask<IListener> RecvFromFork(OpenRequest r, CancellationToken ct) => UdpEndpoints.RecvFromForkAsync(r, 0, UdpLite, ct);
    public static ValueTask<IListener> RecvFromFork4(OpenRequest r, CancellationToken ct) => UdpEndpoints.RecvFromForkAsync(r, 4, UdpLite, ct);
    public static ValueTask<IListener> RecvFromFork6(OpenRequest r, CancellationToken ct) => UdpEndpoints.RecvFromForkAsync(r, 6, UdpLite, ct);
    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 0, UdpLite, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo4(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 4, UdpLite, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo6(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 6, UdpLite, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> Datagram(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 0, UdpLite, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram4(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 4, UdpLite, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram6(OpenRequest r, CancellationToken ct) => UdpEndpoints.SendToAsync(r, 6, UdpLite, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 0, UdpLite, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom4(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 4, UdpLite, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom6(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 6, UdpLite, receiveOnly: false, ct);
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 0, UdpLite, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv4(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 4, UdpLite, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv6(OpenRequest r, CancellationToken ct) => UdpEndpoints.ReceiveAsync(r, 6, UdpLite, receiveOnly: true, ct);
}
