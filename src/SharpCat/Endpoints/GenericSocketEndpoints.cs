using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// SOCKET-CONNECT:domain:protocol:address and SOCKET-LISTEN:domain:protocol:address — any stream
/// socket family by number, the address given as socat's hex notation of the sockaddr bytes that
/// follow the family field (for AF_INET: port, address, eight zero bytes).
/// </summary>
internal static class GenericSocketEndpoints
{
    public static async ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var (family, protocol, address) = Parse(request);
        var bindTo = request.Options.Text("bind") is { } b ? RawEndPoint.FromHex(family, Dalan.Parse("bind", b)) : null;
        return await StreamSockets.ConnectAsync(request, family, protocol, address, bindTo, ct).ConfigureAwait(false);
    }

    public static ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        var (family, protocol, address) = Parse(request);
        var socket = StreamSockets.Listen(request, family, protocol, address);
        return ValueTask.FromResult<IListener>(new StreamListener(socket, request.Options, onClose: null));
    }

    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Datagram(r, DatagramPeer.FixedOnly));
    public static ValueTask<IChannel> DatagramTo(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Datagram(r, DatagramPeer.Fixed));
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Datagram(r, DatagramPeer.FirstSender));
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(Datagram(r, DatagramPeer.ReceiveOnly));

    /// <summary>SOCKET-RECVFROM with fork: a relay per datagram, as socat's child per datagram.</summary>
    public static ValueTask<IListener> RecvFromFork(OpenRequest request, CancellationToken ct)
    {
        var socket = DatagramSocket(request, DatagramPeer.FirstSender, out _);
        return ValueTask.FromResult<IListener>(new RecvFromForkListener(request, socket, PeerCheck.For(request.Options, ports: false), stripIpv4Header: false));
    }

    /// <summary>
    /// SOCKET-SENDTO/-DATAGRAM:domain:type:protocol:remote-address and SOCKET-RECVFROM/-RECV:…:local-address:
    /// datagram sockets of any family and type by number.
    /// </summary>
    private static IChannel Datagram(OpenRequest request, DatagramPeer mode)
    {
        var socket = DatagramSocket(request, mode, out var address);
        bool receives = mode is DatagramPeer.FirstSender or DatagramPeer.ReceiveOnly;
        try
        {
            return DatagramChannel.Open(socket, mode, receives ? null : address, request.Options, PeerCheck.For(request.Options, ports: false));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket DatagramSocket(OpenRequest request, DatagramPeer mode, out EndPoint address)
    {
        string name = request.Address.Name;
        int domain = (int)OptionValueParser.ParseSigned($"{name} domain", request.Parameters[0], 0, 1023);
        int type = (int)OptionValueParser.ParseSigned($"{name} type", request.Parameters[1], 0, 15);
        int protocol = (int)OptionValueParser.ParseSigned($"{name} protocol", request.Parameters[2], 0, 65535);
        address = RawEndPoint.FromHex(RawEndPoint.Family(domain), Dalan.Parse($"{name} address", request.Parameters[3]));
        var socket = Native.Posix.NewSocket(domain, type, protocol, out int fd);
        try
        {
            SocketOptions.Apply(fd, request.Options, beforeBind: true);
            bool receives = mode is DatagramPeer.FirstSender or DatagramPeer.ReceiveOnly;
            if (receives) StreamSockets.Bind(socket, address);
            else if (request.Options.Text("bind") is { } b) StreamSockets.Bind(socket, RawEndPoint.FromHex(RawEndPoint.Family(domain), Dalan.Parse("bind", b)));
            SocketOptions.Apply(fd, request.Options, beforeBind: false);
            // .NET names the local address of the families it knows (IP, UNIX); for the others the caller has the bytes.
            if (receives && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 or AddressFamily.Unix)
            {
                Log.Notice($"receiving on {SocketAddressing.Format(socket.LocalEndPoint)}");
                Relay.RelayContext.Current?.Listening(socket.LocalEndPoint);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static (AddressFamily, ProtocolType, EndPoint) Parse(OpenRequest request)
    {
        string name = request.Address.Name;
        int domain = (int)OptionValueParser.ParseSigned($"{name} domain", request.Parameters[0], 0, 1023);
        int protocol = (int)OptionValueParser.ParseSigned($"{name} protocol", request.Parameters[1], 0, 65535);
        byte[] data = Dalan.Parse($"{name} address", request.Parameters[2]);
        var family = RawEndPoint.Family(domain);
        return (family, (ProtocolType)protocol, RawEndPoint.FromHex(family, data));
    }
}

/// <summary>A socket address given as raw bytes: the family, then the bytes exactly as written.</summary>
internal sealed class RawEndPoint(AddressFamily family, byte[] data) : EndPoint
{
    /// <summary>.NET's name for a Linux address family number (they differ: AF_INET6 is 10 here, 23 in .NET).</summary>
    public static AddressFamily Family(int domain) => domain switch
    {
        1 => AddressFamily.Unix,
        2 => AddressFamily.InterNetwork,
        10 => AddressFamily.InterNetworkV6,
        _ => (AddressFamily)domain,
    };

    public static EndPoint FromHex(AddressFamily family, byte[] data)
    {
        // Known families get .NET's own end points, so messages show them as socat does.
        if (family == AddressFamily.InterNetwork && data.Length >= 6)
            return new IPEndPoint(new IPAddress(data.AsSpan(2, 4)), data[0] << 8 | data[1]);
        if (family == AddressFamily.InterNetworkV6 && data.Length >= 22)
            return new IPEndPoint(new IPAddress(data.AsSpan(6, 16)), data[0] << 8 | data[1]);
        return new RawEndPoint(family, data);
    }

    public override AddressFamily AddressFamily => family;

    public override SocketAddress Serialize()
    {
        var sa = new SocketAddress(family, 2 + data.Length);
        for (int i = 0; i < data.Length; i++) sa[2 + i] = data[i];
        return sa;
    }

    public override EndPoint Create(SocketAddress socketAddress)
    {
        byte[] bytes = new byte[socketAddress.Size - 2];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = socketAddress[2 + i];
        return new RawEndPoint(socketAddress.Family, bytes);
    }

    public override string ToString() => $"AF={(int)family} x{Convert.ToHexString(data).ToLowerInvariant()}";
}
