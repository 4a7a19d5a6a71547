using SharpCat.Relay;
using SharpCat.Native;
namespace SharpCat.Endpoints;

/// <summary>
/// The address kinds this build implements, each with its opener (or, for listening kinds, its
/// listener opener) and the socat feature name (<c>WITH_…</c>) it belongs to. A catalog keyword
/// missing here is "not supported by this build".
/// </summary>
internal static class EndpointRegistry
{
    private sealed record Entry(AddressOpener? Open, ListenerOpener? Listen);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["stdio"] = new(StdioEndpoints.OpenStdio, null),
        ["stdin"] = new(StdioEndpoints.OpenStdin, null),
        ["stdout"] = new(StdioEndpoints.OpenStdout, null),
        ["stderr"] = new(StdioEndpoints.OpenStderr, null),
        ["fd"] = new(StdioEndpoints.OpenFd, null),
        ["open"] = new(FileEndpoints.OpenFile, null),
        ["create"] = new(FileEndpoints.OpenCreate, null),
        ["gopen"] = new(FileEndpoints.OpenGeneric, null),
        ["pipe"] = new(PipeEndpoints.OpenPipe, null),
        ["socketpair"] = new(SocketPairEndpoints.Open, null),
        ["stall"] = new(StallEndpoints.Open, null),
        ["text"] = new(TextEndpoints.Open, null),
        ["accept-fd"] = new(null, AcceptFdEndpoints.Listen),
        ["posixmq-read"] = new(PosixMqEndpoints.Read, null),
        ["posixmq-receive"] = new(PosixMqEndpoints.Receive, PosixMqEndpoints.ReceiveFork),
        ["posixmq-send"] = new(PosixMqEndpoints.Send, PosixMqEndpoints.SendFork),
        ["posixmq-write"] = new(PosixMqEndpoints.Send, PosixMqEndpoints.SendFork),
        ["posixmq-bidirectional"] = new(PosixMqEndpoints.Bidirectional, null),
        ["tcp-connect"] = new(TcpEndpoints.Connect, null),
        ["tcp4-connect"] = new(TcpEndpoints.Connect4, null),
        ["tcp6-connect"] = new(TcpEndpoints.Connect6, null),
        ["tcp-listen"] = new(null, TcpEndpoints.Listen),
        ["tcp4-listen"] = new(null, TcpEndpoints.Listen4),
        ["tcp6-listen"] = new(null, TcpEndpoints.Listen6),
        ["sctp-connect"] = new(SctpEndpoints.Connect, null),
        ["sctp4-connect"] = new(SctpEndpoints.Connect4, null),
        ["sctp6-connect"] = new(SctpEndpoints.Connect6, null),
        ["sctp-listen"] = new(null, SctpEndpoints.Listen),
        ["sctp4-listen"] = new(null, SctpEndpoints.Listen4),
        ["sctp6-listen"] = new(null, SctpEndpoints.Listen6),
        ["dccp-connect"] = new(DccpEndpoints.Connect, null),
        ["dccp-listen"] = new(null, DccpEndpoints.Listen),
        ["dccp4-connect"] = new(DccpEndpoints.Connect4, null),
        ["dccp4-listen"] = new(null, DccpEndpoints.Listen4),
        ["dccp6-connect"] = new(DccpEndpoints.Connect6, null),
        ["dccp6-listen"] = new(null, DccpEndpoints.Listen6),
        ["vsock-connect"] = new(VsockEndpoints.Connect, null),
        ["vsock-listen"] = new(null, VsockEndpoints.Listen),
        ["unix-connect"] = new(UnixEndpoints.Connect, null),
        ["unix-listen"] = new(null, UnixEndpoints.Listen),
        ["abstract-connect"] = new(UnixEndpoints.ConnectAbstract, null),
        ["abstract-listen"] = new(null, UnixEndpoints.ListenAbstract),
        ["unix-client"] = new(UnixEndpoints.Client, null),
        ["abstract-client"] = new(UnixEndpoints.ClientAbstract, null),
        ["unix-sendto"] = new(UnixDatagramEndpoints.SendTo, null),
        ["unix-recvfrom"] = new(UnixDatagramEndpoints.RecvFrom, UnixDatagramEndpoints.RecvFromFork),
        ["unix-recv"] = new(UnixDatagramEndpoints.Recv, null),
        ["abstract-sendto"] = new(UnixDatagramEndpoints.SendToAbstract, null),
        ["abstract-recvfrom"] = new(UnixDatagramEndpoints.RecvFromAbstract, UnixDatagramEndpoints.RecvFromForkAbstract),
        ["abstract-recv"] = new(UnixDatagramEndpoints.RecvAbstract, null),
        ["ip-sendto"] = new(RawIpEndpoints.SendTo, null),
        ["ip-datagram"] = new(RawIpEndpoints.Datagram, null),
        ["ip-recvfrom"] = new(RawIpEndpoints.RecvFrom, RawIpEndpoints.RecvFromFork),
        ["ip-recv"] = new(RawIpEndpoints.Recv, null),
        ["ip4-sendto"] = new(RawIpEndpoints.SendTo4, null),
        ["ip4-datagram"] = new(RawIpEndpoints.Datagram4, null),
        ["ip4-recvfrom"] = new(RawIpEndpoints.RecvFrom4, RawIpEndpoints.RecvFromFork4),
        ["ip4-recv"] = new(RawIpEndpoints.Recv4, null),
        ["ip6-sendto"] = new(RawIpEndpoints.SendTo6, null),
        ["ip6-datagram"] = new(RawIpEndpoints.Datagram6, null),
        ["ip6-recvfrom"] = new(RawIpEndpoints.RecvFrom6, RawIpEndpoints.RecvFromFork6),
        ["ip6-recv"] = new(RawIpEndpoints.Recv6, null),
        ["socket-connect"] = new(GenericSocketEndpoints.Connect, null),
        ["socket-listen"] = new(null, GenericSocketEndpoints.Listen),
        ["socket-sendto"] = new(GenericSocketEndpoints.SendTo, null),
        ["socket-datagram"] = new(GenericSocketEndpoints.DatagramTo, null),
        ["socket-recvfrom"] = new(GenericSocketEndpoints.RecvFrom, GenericSocketEndpoints.RecvFromFork),
        ["socket-recv"] = new(GenericSocketEndpoints.Recv, null),
        ["exec"] = new(ExecEndpoints.OpenExec, null),
        ["system"] = new(ExecEndpoints.OpenSystem, null),
        ["shell"] = new(ExecEndpoints.OpenSystem, null),
        ["pty"] = new(PtyEndpoints.Open, null),
        ["openssl"] = new(OpenSslEndpoints.Connect, null),
        ["openssl-listen"] = new(null, OpenSslEndpoints.Listen),
        ["openssl-dtls-client"] = new(OpenSslEndpoints.ConnectDtls, null),
        ["openssl-dtls-server"] = new(null, OpenSslEndpoints.ListenDtls),
        ["ws-connect"] = new(WebSockets.WebSocketEndpoints.Connect, null),
        ["ws-listen"] = new(null, WebSockets.WebSocketEndpoints.Listen),
        ["wss-connect"] = new(WebSockets.WebSocketEndpoints.ConnectSecure, null),
        ["wss-listen"] = new(null, WebSockets.WebSocketEndpoints.ListenSecure),
        ["ws-unix-connect"] = new(WebSockets.WebSocketEndpoints.ConnectUnix, null),
        ["ws-unix-listen"] = new(null, WebSockets.WebSocketEndpoints.ListenUnix),
        ["ws-proxy"] = new(WebSockets.WebSocketEndpoints.ConnectHttpProxy, null),
        ["ws-socks5"] = new(WebSockets.WebSocketEndpoints.ConnectSocks5, null),
        ["wss-proxy"] = new(WebSockets.WebSocketEndpoints.ConnectHttpProxySecure, null),
        ["wss-socks5"] = new(WebSockets.WebSocketEndpoints.ConnectSocks5Secure, null),
        // The device and its configuration socket are made where the namespace (if any) says.
        ["tun"] = new(static (r, ct) => NetworkNamespace.Run((r, ct), static s => TunEndpoints.Open(s.r, s.ct)), null),
        ["interface"] = new(InterfaceEndpoints.Open, null),
        ["socks4"] = new(SocksEndpoints.Socks4, null),
        ["socks4a"] = new(SocksEndpoints.Socks4A, null),
        ["proxy"] = new(HttpProxyEndpoints.Open, null),
        ["socks5-connect"] = new(Socks5Endpoints.ConnectAsync, null),
        ["socks5-listen"] = new(Socks5Endpoints.ListenAsync, null),
        ["udp-connect"] = new(UdpEndpoints.Connect, null),
        ["udp-listen"] = new(null, UdpEndpoints.Listen),
        ["udp-sendto"] = new(UdpEndpoints.SendTo, null),
        ["udp-datagram"] = new(UdpEndpoints.Datagram, null),
        ["udp-recvfrom"] = new(UdpEndpoints.RecvFrom, UdpEndpoints.RecvFromFork),
        ["udp-recv"] = new(UdpEndpoints.Recv, null),
        ["udp4-connect"] = new(UdpEndpoints.Connect4, null),
        ["udp4-listen"] = new(null, UdpEndpoints.Listen4),
        ["udp4-sendto"] = new(UdpEndpoints.SendTo4, null),
        ["udp4-datagram"] = new(UdpEndpoints.Datagram4, null),
        ["udp4-recvfrom"] = new(UdpEndpoints.RecvFrom4, UdpEndpoints.RecvFromFork4),
        ["udp4-recv"] = new(UdpEndpoints.Recv4, null),
        ["udp6-connect"] = new(UdpEndpoints.Connect6, null),
        ["udp6-listen"] = new(null, UdpEndpoints.Listen6),
        ["udp6-sendto"] = new(UdpEndpoints.SendTo6, null),
        ["udp6-datagram"] = new(UdpEndpoints.Datagram6, null),
        ["udp6-recvfrom"] = new(UdpEndpoints.RecvFrom6, UdpEndpoints.RecvFromFork6),
        ["udp6-recv"] = new(UdpEndpoints.Recv6, null),
        ["udplite-connect"] = new(UdpLiteEndpoints.Connect, null),
        ["udplite-listen"] = new(null, UdpLiteEndpoints.Listen),
        ["udplite-sendto"] = new(UdpLiteEndpoints.SendTo, null),
        ["udplite-datagram"] = new(UdpLiteEndpoints.Datagram, null),
        ["udplite-recvfrom"] = new(UdpLiteEndpoints.RecvFrom, UdpLiteEndpoints.RecvFromFork),
        ["udplite-recv"] = new(UdpLiteEndpoints.Recv, null),
        ["udplite4-connect"] = new(UdpLiteEndpoints.Connect4, null),
        ["udplite4-listen"] = new(null, UdpLiteEndpoints.Listen4),
        ["udplite4-sendto"] = new(UdpLiteEndpoints.SendTo4, null),
        ["udplite4-datagram"] = new(UdpLiteEndpoints.Datagram4, null),
        ["udplite4-recvfrom"] = new(UdpLiteEndpoints.RecvFrom4, UdpLiteEndpoints.RecvFromFork4),
        ["udplite4-recv"] = new(UdpLiteEndpoints.Recv4, null),
        ["udplite6-connect"] = new(UdpLiteEndpoints.Connect6, null),
        ["udplite6-listen"] = new(null, UdpLiteEndpoints.Listen6),
        ["udplite6-sendto"] = new(UdpLiteEndpoints.SendTo6, null),
        ["udplite6-datagram"] = new(UdpLiteEndpoints.Datagram6, null),
        ["udplite6-recvfrom"] = new(UdpLiteEndpoints.RecvFrom6, UdpLiteEndpoints.RecvFromFork6),
        ["udplite6-recv"] = new(UdpLiteEndpoints.Recv6, null),
    };

    public static bool IsImplemented(string keyword) => Entries.ContainsKey(keyword);

    /// <summary>
    /// Parameter checks that need no I/O (port numbers and service names, socket path lengths),
    /// run for both addresses before either is opened (DESIGN.md §4b).
    /// </summary>
    private static readonly Dictionary<string, Action<Catalog.ResolvedAddress>> Validators = new(StringComparer.Ordinal)
    {
        ["socketpair"] = SocketPairEndpoints.Check,
        ["accept-fd"] = AcceptFdEndpoints.Check,
        ["posixmq-read"] = PosixMqEndpoints.Check,
        ["posixmq-receive"] = PosixMqEndpoints.Check,
        ["posixmq-send"] = PosixMqEndpoints.Check,
        ["posixmq-write"] = PosixMqEndpoints.Check,
        ["posixmq-bidirectional"] = PosixMqEndpoints.Check,
        ["tcp-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "tcp"),
        ["tcp4-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "tcp"),
        ["tcp6-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "tcp"),
        ["tcp-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "tcp"),
        ["tcp4-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "tcp"),
        ["tcp6-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "tcp"),
        ["sctp-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "sctp"),
        ["sctp4-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "sctp"),
        ["sctp6-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "sctp"),
        ["sctp-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "sctp"),
        ["sctp4-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "sctp"),
        ["sctp6-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "sctp"),
        ["dccp-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "dccp"),
        ["dccp-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "dccp"),
        ["dccp4-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "dccp"),
        ["dccp4-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "dccp"),
        ["dccp6-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[1], "dccp"),
        ["dccp6-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[0], "dccp"),
        ["unix-connect"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["unix-listen"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["unix-client"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["abstract-connect"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["abstract-listen"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["abstract-client"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["unix-sendto"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["unix-recvfrom"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["unix-recv"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], false, a.Name),
        ["abstract-sendto"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["abstract-recvfrom"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["abstract-recv"] = a => UnixEndpoints.EndPoint(a.Spec.Parameters[0], true, a.Name),
        ["openssl"] = a => { SocketAddressing.Port(a.Spec.Parameters[1], "tcp"); TlsFiles.Check(a); },
        ["openssl-listen"] = a => { SocketAddressing.Port(a.Spec.Parameters[0], "tcp"); TlsFiles.Check(a); },
        ["openssl-dtls-client"] = a => { SocketAddressing.Port(a.Spec.Parameters[1], "udp"); TlsFiles.Check(a); },
        ["openssl-dtls-server"] = a => { SocketAddressing.Port(a.Spec.Parameters[0], "udp"); TlsFiles.Check(a); },
        ["ws-connect"] = WebSockets.WebSocketEndpoints.Check,
        ["ws-listen"] = WebSockets.WebSocketEndpoints.Check,
        ["wss-connect"] = WebSockets.WebSocketEndpoints.Check,
        ["wss-listen"] = WebSockets.WebSocketEndpoints.Check,
        ["ws-unix-connect"] = WebSockets.WebSocketEndpoints.Check,
        ["ws-unix-listen"] = WebSockets.WebSocketEndpoints.Check,
        ["ws-proxy"] = WebSockets.WebSocketEndpoints.Check,
        ["ws-socks5"] = WebSockets.WebSocketEndpoints.Check,
        ["wss-proxy"] = WebSockets.WebSocketEndpoints.Check,
        ["wss-socks5"] = WebSockets.WebSocketEndpoints.Check,
        ["ip-sendto"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip-datagram"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip-recvfrom"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["ip-recv"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["ip4-sendto"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip4-datagram"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip4-recvfrom"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["ip4-recv"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["ip6-sendto"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip6-datagram"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[1]),
        ["ip6-recvfrom"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["ip6-recv"] = a => RawIpEndpoints.Protocol(a.Spec.Parameters[0]),
        ["socks4"] = ProxyTargets.Check,
        ["socks4a"] = ProxyTargets.Check,
        ["proxy"] = ProxyTargets.Check,
        ["socks5-connect"] = ProxyTargets.Check,
        ["socks5-listen"] = ProxyTargets.Check,
        ["udp-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp4-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udp6-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        // UDP-Lite's ports are named in the services database as UDP's (getaddrinfo looks them up so).
        ["udplite-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite4-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-connect"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-listen"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-sendto"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-datagram"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-recvfrom"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
        ["udplite6-recv"] = a => SocketAddressing.Port(a.Spec.Parameters[^1], "udp"),
    };

    public static void Validate(Catalog.ResolvedAddress address)
    {
        if (Validators.TryGetValue(address.Kind.Keyword, out var check)) check(address);
        IpFamilyCheck.Check(address);
        UnixTempName.Check(address);
        MulticastOptions.Check(address);
        TcpWrappers.Check(address);
        // netns: a missing namespace fails here, before anything is opened.
        if (address.Options.Text("netns") is { } netns) NetworkNamespace.Check(netns);
    }

    public static bool Listens(string keyword) => Entries.TryGetValue(keyword, out var e) && e.Listen is not null;

    public static ListenerOpener Listener(string keyword)
    {
        var listen = Entries[keyword].Listen!;
        return (request, ct) => request.Options.Has("netns") ? NamespacedListener.ListenAsync(listen, request, ct) : listen(request, ct);
    }

    /// <summary>The opener; a listening kind without fork accepts one connection and stops listening.</summary>
    public static AddressOpener Opener(string keyword)
    {
        var e = Entries[keyword];
        var open = e.Open ?? (async (request, ct) =>
        {
            await using var listener = await e.Listen!(request, ct).ConfigureAwait(false);
            return await listener.AcceptAsync(ct).ConfigureAwait(false);
        });
        return (request, ct) => request.Options.Text("netns") is { } netns ? OpenInAsync(open, netns, request, ct) : open(request, ct);
    }

    /// <summary>Opens with <see cref="NetworkNamespace.Current"/> set for this flow only (an async method restores its caller's).</summary>
    private static async ValueTask<IChannel> OpenInAsync(AddressOpener open, string netns, OpenRequest request, CancellationToken ct)
    {
        NetworkNamespace.Enter(netns);
        return await open(request, ct).ConfigureAwait(false);
    }
}
