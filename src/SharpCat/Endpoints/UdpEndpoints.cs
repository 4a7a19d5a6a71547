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
    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 0, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 4, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 6, ct);
    public static ValueTask<IChannel> Listen(OpenRequest r, CancellationToken ct) => ListenAsync(r, 0, ct);
    public static ValueTask<IChannel> Listen4(OpenRequest r, CancellationToken ct) => ListenAsync(r, 4, ct);
    public static ValueTask<IChannel> Listen6(OpenRequest r, CancellationToken ct) => ListenAsync(r, 6, ct);
    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => SendToAsync(r, 0, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo4(OpenRequest r, CancellationToken ct) => SendToAsync(r, 4, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> SendTo6(OpenRequest r, CancellationToken ct) => SendToAsync(r, 6, DatagramPeer.FixedOnly, ct);
    public static ValueTask<IChannel> Datagram(OpenRequest r, CancellationToken ct) => SendToAsync(r, 0, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram4(OpenRequest r, CancellationToken ct) => SendToAsync(r, 4, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> Datagram6(OpenRequest r, CancellationToken ct) => SendToAsync(r, 6, DatagramPeer.Fixed, ct);
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 0, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom4(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 4, receiveOnly: false, ct);
    public static ValueTask<IChannel> RecvFrom6(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 6, receiveOnly: false, ct);
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 0, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv4(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 4, receiveOnly: true, ct);
    public static ValueTask<IChannel> Recv6(OpenRequest r, CancellationToken ct) => ReceiveAsync(r, 6, receiveOnly: true, ct);

    private static async ValueTask<IChannel> ConnectAsync(OpenRequest request, int version, CancellationToken ct)
    {
        var target = await TargetAsync(request, version, ct).ConfigureAwait(false);
        var socket = await OpenSocketAsync(request, target.AddressFamily, local: null, ct).ConfigureAwait(false);
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

    private static async ValueTask<IChannel> SendToAsync(OpenRequest request, int version, DatagramPeer mode, CancellationToken ct)
    {
        var target = await TargetAsync(request, version, ct).ConfigureAwait(false);
        var socket = await OpenSocketAsync(request, target.AddressFamily, local: null, ct).ConfigureAwait(false);
        return Wrap(request, socket, mode, target);
    }

    /// <summary>UDP-LISTEN: bound to the port, it waits for a first datagram and connects to its sender, which it then keeps to.</summary>
    private static async ValueTask<IChannel> ListenAsync(OpenRequest request, int version, CancellationToken ct)
    {
        var socket = await BoundSocketAsync(request, version, ct).ConfigureAwait(false);
        try
        {
            Log.Notice($"listening on UDP {SocketAddressing.Format(socket.LocalEndPoint)}");
            var range = request.Options.Text("range") is { } text ? SocketAddressing.ParseRange(text) : ((IPAddress, int)?)null;
            while (true)
            {
                // Peek: the first datagram stays queued for the relay.
                var any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
                var first = await socket.ReceiveFromAsync(Memory<byte>.Empty, SocketFlags.Peek, any, ct).ConfigureAwait(false);
                var peer = (IPEndPoint)first.RemoteEndPoint;
                Log.Notice($"accepting UDP connection from {SocketAddressing.Format(peer)}");
                if (range is { } net && !SocketAddressing.InRange(peer.Address, net))
                {
                    Log.Warn($"refusing connection from {SocketAddressing.Format(peer)} due to range option");
                    Log.Notice($"forbidding UDP connection from {SocketAddressing.Format(peer)}");
                    await socket.ReceiveFromAsync(new byte[1], SocketFlags.None, any, ct).ConfigureAwait(false);
                    continue;
                }
                await socket.ConnectAsync(peer, ct).ConfigureAwait(false);
                return Wrap(request, socket, DatagramPeer.Connected, null);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async ValueTask<IChannel> ReceiveAsync(OpenRequest request, int version, bool receiveOnly, CancellationToken ct)
    {
        var socket = await BoundSocketAsync(request, version, ct).ConfigureAwait(false);
        Log.Notice($"receiving on {SocketAddressing.Format(socket.LocalEndPoint)}");
        return Wrap(request, socket, receiveOnly ? DatagramPeer.ReceiveOnly : DatagramPeer.FirstSender, null);
    }

    private static async ValueTask<IPEndPoint> TargetAsync(OpenRequest request, int version, CancellationToken ct)
    {
        var family = SocketAddressing.Family(request, version);
        var host = await SocketAddressing.ResolveAsync(request.Parameters[0], family, ct).ConfigureAwait(false);
        return new IPEndPoint(host, SocketAddressing.Port(request.Parameters[1], "udp"));
    }

    /// <summary>A socket bound to the port parameter (and bind= host), for the receiving forms.</summary>
    private static async ValueTask<Socket> BoundSocketAsync(OpenRequest request, int version, CancellationToken ct)
    {
        var family = SocketAddressing.Family(request, version);
        int port = SocketAddressing.Port(request.Parameters[0], "udp");
        IPAddress any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        IPAddress address = any;
        if (request.Options.Text("bind") is { } bind)
        {
            var (host, _) = TcpEndpoints.SplitHostPort(bind);
            if (host.Length > 0) address = await SocketAddressing.ResolveAsync(host, family, ct).ConfigureAwait(false);
        }
        return await OpenSocketAsync(request, address.AddressFamily, new IPEndPoint(address, port), ct).ConfigureAwait(false);
    }

    /// <summary>A UDP socket with the address's options, bound to <paramref name="local"/> or to bind=/sourceport.</summary>
    private static async ValueTask<Socket> OpenSocketAsync(OpenRequest request, AddressFamily family, IPEndPoint? local, CancellationToken ct)
    {
        var options = request.Options;
        if (local is null)
        {
            IPAddress? address = null;
            int? port = null;
            if (options.Text("bind") is { } bind)
            {
                var (host, p) = TcpEndpoints.SplitHostPort(bind);
                if (host.Length > 0) address = await SocketAddressing.ResolveAsync(host, family, ct).ConfigureAwait(false);
                if (p is not null) port = SocketAddressing.Port(p, "udp");
            }
            if (options.Number("sourceport") is long sp) port = (int)sp;
            if (address is not null || port is not null)
                local = new IPEndPoint(address ?? (family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any), port ?? 0);
        }
        var socket = StreamSockets.NewSocket(family, ProtocolType.Udp, SocketType.Dgram);
        try
        {
            int fd = (int)socket.Handle;
            SocketOptions.Apply(fd, options, beforeBind: true);
            if (local is not null) StreamSockets.Bind(socket, local);
            SocketOptions.Apply(fd, options, beforeBind: false);
            MulticastOptions.Apply(socket, options);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static DatagramChannel Wrap(OpenRequest request, Socket socket, DatagramPeer mode, EndPoint? peer)
    {
        var options = request.Options;
        var range = options.Text("range") is { } text && mode != DatagramPeer.Connected ? SocketAddressing.ParseRange(text) : ((IPAddress, int)?)null;
        var channel = new DatagramChannel(socket, mode, peer, options.Flag("null-eof"), range) { Shutdown = FdOptions.ShutdownMode(options) };
        FdOptions.ApplyFdPhase(channel.ReadFd, options);
        FdOptions.ApplyLatePhase(channel.ReadFd, options);
        return channel;
    }
}
