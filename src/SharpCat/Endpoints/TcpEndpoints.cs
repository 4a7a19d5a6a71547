using SharpCat.Diagnostics;
using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Sockets;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>TCP, TCP4, TCP6 (connect) and TCP-LISTEN, TCP4-LISTEN, TCP6-LISTEN.</summary>
internal static class TcpEndpoints
{
    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 0, ProtocolType.Tcp, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 4, ProtocolType.Tcp, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 6, ProtocolType.Tcp, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => ListenAsync(r, 0, ProtocolType.Tcp, ct);
    public static ValueTask<IListener> Listen4(OpenRequest r, CancellationToken ct) => ListenAsync(r, 4, ProtocolType.Tcp, ct);
    public static ValueTask<IListener> Listen6(OpenRequest r, CancellationToken ct) => ListenAsync(r, 6, ProtocolType.Tcp, ct);

    /// <summary>The service-name table of a stream protocol over IP (getservbyname's second argument).</summary>
    internal static string ServiceProtocol(ProtocolType protocol) => protocol switch
    {
        ProtocolType.Tcp => "tcp",
        DccpEndpoints.Dccp => "dccp",
        _ => "sctp",
    };

    /// <summary>The socket type of a connection-oriented protocol over IP: DCCP has its own (SOCK_DCCP), the others are streams.</summary>
    private static SocketType SocketTypeOf(ProtocolType protocol) => protocol == DccpEndpoints.Dccp ? DccpEndpoints.SockDccp : SocketType.Stream;

    // Pooled: one of these runs per connection; with fork, its box would be garbage each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<IChannel> ConnectAsync(OpenRequest request, int version, ProtocolType protocol, CancellationToken ct) =>
        await ConnectToAsync(request, request.Parameters[0], SocketAddressing.Port(request.Parameters[1], ServiceProtocol(protocol)), version, ct, protocol).ConfigureAwait(false);

    /// <summary>
    /// A TCP (or SCTP) connection to a host with the address's socket, bind and retry options (also
    /// a proxy's first step).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<SocketChannel> ConnectToAsync(OpenRequest request, string hostText, int port, int version, CancellationToken ct,
        ProtocolType protocol = ProtocolType.Tcp)
    {
        var family = SocketAddressing.Family(request, version);
        // As socat 1.8 (and better than 1.7.4's first address only): every address the name
        // resolves to is tried in turn until one connects; a failure before the last is a warning.
        var hosts = await SocketAddressing.ResolveAllAsync(hostText, family, ct, SocketAddressing.FamilyIsFixed(request, version),
            NameLookup.Of(request.Options, family, passive: false)).ConfigureAwait(false);
        for (int i = 0; ; i++)
        {
            var host = hosts[i];
            try
            {
                var target = new IPEndPoint(host, port);
                var bindTo = await LocalEndPointAsync(request, host.AddressFamily, protocol, ct).ConfigureAwait(false);
                return await StreamSockets.ConnectAsync(request, host.AddressFamily, protocol, target, bindTo, ct,
                    SocketOptions.Type(request.Options, SocketTypeOf(protocol))).ConfigureAwait(false);
            }
            catch (SharpCatException e) when (i < hosts.Length - 1 && !ct.IsCancellationRequested)
            {
                Log.Warn(e.Message);
            }
        }
    }

    internal static async ValueTask<IListener> ListenAsync(OpenRequest request, int version, ProtocolType protocol, CancellationToken ct)
    {
        var family = SocketAddressing.Family(request, version, listens: true);
        string service = ServiceProtocol(protocol);
        int port = SocketAddressing.Port(request.Parameters[0], service);
        IPAddress any = SocketAddressing.Unbound(request, family);
        EndPoint local = new IPEndPoint(any, port);
        if (request.Options.Text("bind") is { } bind)
        {
            var (host, bindPort) = SplitHostPort(bind);
            var address = host.Length == 0 ? any : await SocketAddressing.ResolveAsync(host, family, ct,
                lookup: NameLookup.Of(request.Options, family, passive: true)).ConfigureAwait(false);
            local = new IPEndPoint(address, bindPort is null ? port : SocketAddressing.Port(bindPort, service));
        }
        // retry covers the listen too, as in socat: a port still held (by a relay before) is tried again.
        var socket = await StreamSockets.RetryAsync(request.Options, (request, local, protocol),
            static (s, _) => ValueTask.FromResult(StreamSockets.Listen(s.request, s.local.AddressFamily, s.protocol, s.local, SocketTypeOf(s.protocol))), ct).ConfigureAwait(false);
        return new StreamListener(socket, request.Options, onClose: null);
    }

    /// <summary>The local end for a client: <c>bind=host[:port]</c>, <c>sourceport</c>, or <c>lowport</c>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<EndPoint?> LocalEndPointAsync(OpenRequest request, AddressFamily family, ProtocolType protocol, CancellationToken ct)
    {
        var options = request.Options;
        IPAddress any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        IPAddress? address = null;
        int? port = null;
        if (options.Text("bind") is { } bind)
        {
            var (host, p) = SplitHostPort(bind);
            if (host.Length > 0)
                address = await SocketAddressing.ResolveAsync(host, family, ct, lookup: NameLookup.Of(options, family, passive: true)).ConfigureAwait(false);
            if (p is not null) port = SocketAddressing.Port(p, ServiceProtocol(protocol));
        }
        if (options.Number("sourceport") is long sp) port = (int)sp;
        if (options.Flag("lowport") && port is null) port = LowPort.Pick(address ?? any, SocketTypeOf(protocol), protocol);
        if (address is null && port is null) return null;
        return new IPEndPoint(address ?? any, port ?? 0);
    }

    /// <summary>Splits <c>host:port</c>, <c>[v6]:port</c>, <c>host</c> or <c>:port</c>.</summary>
    internal static (string Host, string? Port) SplitHostPort(string text)
    {
        if (text.StartsWith('['))
        {
            int end = text.IndexOf(']');
            if (end < 0) throw new SharpCatException($"\"{text}\": missing ']'");
            string rest = text[(end + 1)..];
            return (text[1..end], rest.StartsWith(':') ? rest[1..] : null);
        }
        int colon = text.IndexOf(':');
        if (colon >= 0 && text.IndexOf(':', colon + 1) < 0) return (text[..colon], text[(colon + 1)..]);
        return (text, null);
    }
}

/// <summary><c>lowport</c>: a free privileged port between 640 and 1023, as socat picks one.</summary>
internal static class LowPort
{
    public static int Pick(IPAddress address, SocketType type = SocketType.Stream, ProtocolType? protocol = null)
    {
        // Each protocol has its own ports (UDP-Lite's are not UDP's): the probe uses the real one.
        var probeProtocol = protocol ?? (type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        for (int port = 1023; port >= 640; port--)
        {
            // no SO_REUSEADDR, as the real bind
            using var probe = StreamSockets.NewSocket(address.AddressFamily, probeProtocol, type);
            try
            {
                probe.Bind(new IPEndPoint(address, port));
                return port;
            }
            catch (SocketException) { }
        }
        throw new SharpCatException("lowport: no free port between 640 and 1023");
    }
}
