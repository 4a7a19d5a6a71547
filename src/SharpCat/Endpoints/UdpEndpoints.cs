using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UDP in socat's forms, each also as UDP4/UDP6: UDP (a connected socket), UDP-LISTEN (waits for a
/// first datagram and keeps to its sender), UDP-SENDTO (to one address, replies only from it),
/// UDP-DATAGRAM (to one address, datagrams from anyone, <c>range</c>), UDP-RECVFROM (one datagram,
/// answered to its sender, as socat without fork) and UDP-RECV (receives only).
/// </summary>
internal static class UdpEndpoints
{
    private const ProtocolType Udp = ProtocolType.Udp;

    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 0, Udp, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 4, Udp, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 6, Udp, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 0, Udp));
    public static ValueTask<IListener> Listen4(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 4, Udp));
    public static ValueTask<IListener> Listen6(OpenRequest r, CancellationToken ct) => new(new UdpListener(r, 6, Udp));
    public static ValueTask<IListener> RecvFromFork(OpenRequest r, CancellationToken ct) => RecvFromForkAsync(r, 0, Udp, ct);
    public static ValueTask<IListener> RecvFromFork4(OpenRequest r, CancellationToken ct) => RecvFromForkAsync(r, 4, Udp, ct);
    public static ValueTask<IListener> RecvFromFork6(OpenRequest r, CancellationToken ct) => RecvFromForkAsync(r, 6, Udp, ct);
    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => SendToAsync(r, 0, Udp, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo4(OpenRequest r, CancellationToken ct) => SendToAsync(r, 4, Udp, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo6(OpenRequest r, CancellationToken ct) => SendToAsync(r, 6, Udp, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> Datagram(OpenRequest r, CancellationToken ct) => SendToAsync(r, 0, Udp, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram4(OpenRequest r, CancellationToken ct) => SendToAsync(r, 4, Udp, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram6(OpenRequest r, CancellationToken ct) => SendToAsync(r, 6, Udp, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 0, Udp, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom4(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 4, Udp, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom6(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 6, Udp, receiveOnly: false, ct);
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 0, Udp, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv4(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 4, Udp, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv6(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 6, Udp, receiveOnly: true, ct);

    // The forms below are shared with UDP-Lite (UdpLiteEndpoints): the same datagram socket with another protocol.
    internal static async ValueTask<IChannel> ConnectAsync(OpenRequest request, int version, ProtocolType protocol, CancellationToken ct)
    {
        var target = await TargetAsync(request, version, ct).ConfigureAwait(false);
        var socket = await OpenSocketAsync(request, target.AddressFamily, protocol, local: null, ct).ConfigureAwait(false);
        try
        {
            Log.Notice($"opening connection to {SocketAddressing.Format(target)}");
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            Log.Notice($"successfully connected from local address {SocketAddressing.Format(socket.LocalEndPoint)}");
            return Wrap(request, socket, DatagramPeer.Connected, null);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new Native.PosixException($"connect({(int)socket.Handle}, {SocketAddressing.Format(target)}, {SocketAddressing.SockAddrLength(target)})", e.NativeErrorCode);
        }
    }

    internal static async ValueTask<IChannel> SendToAsync(OpenRequest request, int version, ProtocolType protocol, DatagramPeer mode, CancellationToken ct)
    {
        var target = await TargetAsync(request, version, ct).ConfigureAwait(false);
        var socket = await OpenSocketAsync(request, target.AddressFamily, protocol, local: null, ct).ConfigureAwait(false);
        return Wrap(request, socket, mode, target);
    }

    internal static async ValueTask<IChannel> ReceiveAsync(OpenRequest request, int version, ProtocolType protocol, bool receiveOnly, CancellationToken ct)
    {
        var socket = await ReceivingSocketAsync(request, version, protocol, reuseAddress: false, ct).ConfigureAwait(false);
        return Wrap(request, socket, receiveOnly ? DatagramPeer.ReceiveOnly : DatagramPeer.FirstSender, null);
    }

    /// <summary>With fork, a RECVFROM address serves each datagram (socat sets SO_REUSEADDR itself then).</summary>
    internal static async ValueTask<IListener> RecvFromForkAsync(OpenRequest request, int version, ProtocolType protocol, CancellationToken ct)
    {
        var socket = await ReceivingSocketAsync(request, version, protocol, reuseAddress: true, ct).ConfigureAwait(false);
        SocketOptions.ApplyConnected((int)socket.Handle, request.Options); // the shared socket answers every peer
        return new RecvFromForkListener(request, socket, PeerCheck.For(request.Options, ports: true), stripIpv4Header: false);
    }

    private static async ValueTask<Socket> ReceivingSocketAsync(OpenRequest request, int version, ProtocolType protocol, bool reuseAddress, CancellationToken ct)
    {
        var socket = await BoundSocketAsync(request, version, protocol, ct, reuseAddress).ConfigureAwait(false);
        Log.Notice($"receiving on {SocketAddressing.Format(socket.LocalEndPoint)}");
        Relay.RelayContext.Current?.Listening(socket.LocalEndPoint);
        return socket;
    }

    private static async ValueTask<IPEndPoint> TargetAsync(OpenRequest request, int version, CancellationToken ct)
    {
        var family = SocketAddressing.Family(request, version);
        var host = await SocketAddressing.ResolveAsync(request.Parameters[0], family, ct, SocketAddressing.FamilyIsFixed(request, version),
            NameLookup.Of(request.Options, family, passive: false)).ConfigureAwait(false);
        return new IPEndPoint(host, SocketAddressing.Port(request.Parameters[1], "udp"));
    }

    /// <summary>A socket bound to the port parameter (and bind= host), for the receiving forms.</summary>
    internal static async ValueTask<Socket> BoundSocketAsync(OpenRequest request, int version, ProtocolType protocol, CancellationToken ct, bool reuseAddress = false,
        int? portOverride = null)
    {
        var family = SocketAddressing.Family(request, version, listens: true);
        int port = portOverride ?? SocketAddressing.Port(request.Parameters[0], "udp");
        IPAddress address = SocketAddressing.Unbound(request, family);
        if (request.Options.Text("bind") is { } bind)
        {
            var (host, _) = TcpEndpoints.SplitHostPort(bind);
            if (host.Length > 0)
                address = await SocketAddressing.ResolveAsync(host, family, ct, lookup: NameLookup.Of(request.Options, family, passive: true)).ConfigureAwait(false);
        }
        return await OpenSocketAsync(request, address.AddressFamily, protocol, new IPEndPoint(address, port), ct, reuseAddress).ConfigureAwait(false);
    }

    /// <summary>A UDP (or UDP-Lite) socket with the address's options, bound to <paramref name="local"/> or to bind=/sourceport/lowport.</summary>
    private static async ValueTask<Socket> OpenSocketAsync(OpenRequest request, AddressFamily family, ProtocolType protocol, IPEndPoint? local, CancellationToken ct,
        bool reuseAddress = false)
    {
        var options = request.Options;
        if (local is null)
        {
            IPAddress? address = null;
            int? port = null;
            if (options.Text("bind") is { } bind)
            {
                var (host, p) = TcpEndpoints.SplitHostPort(bind);
                if (host.Length > 0)
                    address = await SocketAddressing.ResolveAsync(host, family, ct, lookup: NameLookup.Of(options, family, passive: true)).ConfigureAwait(false);
                if (p is not null) port = SocketAddressing.Port(p, "udp");
            }
            IPAddress any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            if (options.Number("sourceport") is long sp) port = (int)sp;
            if (options.Flag("lowport") && port is null) port = LowPort.Pick(address ?? any, SocketType.Dgram, protocol);
            if (address is not null || port is not null) local = new IPEndPoint(address ?? any, port ?? 0);
        }
        var socket = StreamSockets.NewSocket(family, protocol, SocketOptions.Type(options, SocketType.Dgram));
        try
        {
            int fd = (int)socket.Handle;
            // With fork socat sets SO_REUSEADDR itself: each peer's socket is bound to the same port.
            if (reuseAddress) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            SocketOptions.Apply(fd, options, beforeBind: true);
            if (local is not null) StreamSockets.Bind(socket, local);
            SocketOptions.Apply(fd, options, beforeBind: false, connectedLater: true); // Wrap
            MulticastOptions.Apply(socket, options);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The socket as a channel, with <c>setsockopt-connected</c> applied: after connect() for UDP and
    /// UDP-LISTEN, at the end of the set-up for the forms that never connect (as socat's CONNECTED phase).
    /// </summary>
    internal static DatagramChannel Wrap(OpenRequest request, Socket socket, DatagramPeer mode, EndPoint? peer)
    {
        SocketOptions.ApplyConnected((int)socket.Handle, request.Options);
        return DatagramChannel.Open(socket, mode, peer, request.Options,
            mode == DatagramPeer.Connected ? null : PeerCheck.For(request.Options, ports: mode is DatagramPeer.ReceiveOnly or DatagramPeer.FirstSender));
    }
}
