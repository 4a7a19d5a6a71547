using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// WS-CONNECT and WS-LISTEN over TCP, WSS-CONNECT and WSS-LISTEN over TLS, WS-UNIX-CONNECT and
/// WS-UNIX-LISTEN over a UNIX socket (behind a reverse proxy such as nginx): each is the transport's
/// own address (TCP's, OPENSSL's or UNIX's opener, with all their options) with the opening
/// handshake and <see cref="WebSocketChannel"/> on top, composed rather than copied.
/// </summary>
internal static class WebSocketEndpoints
{
    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, secure: false, ct);
    public static ValueTask<IChannel> ConnectSecure(OpenRequest r, CancellationToken ct) => ConnectAsync(r, secure: true, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => ListenAsync(r, secure: false, ct);
    public static ValueTask<IListener> ListenSecure(OpenRequest r, CancellationToken ct) => ListenAsync(r, secure: true, ct);
    public static ValueTask<IChannel> ConnectUnix(OpenRequest r, CancellationToken ct) => ConnectUnixAsync(r, ct);
    public static ValueTask<IListener> ListenUnix(OpenRequest r, CancellationToken ct) => ListenUnixAsync(r, ct);
    public static ValueTask<IChannel> ConnectHttpProxy(OpenRequest r, CancellationToken ct) => ConnectProxiedAsync(r, HttpProxyEndpoints.Open, ct);
    public static ValueTask<IChannel> ConnectSocks5(OpenRequest r, CancellationToken ct) => ConnectProxiedAsync(r, Socks5Endpoints.ConnectAsync, ct);
    public static ValueTask<IChannel> ConnectHttpProxySecure(OpenRequest r, CancellationToken ct) => ConnectProxiedAsync(r, HttpProxyEndpoints.Open, ct, secure: true);
    public static ValueTask<IChannel> ConnectSocks5Secure(OpenRequest r, CancellationToken ct) => ConnectProxiedAsync(r, Socks5Endpoints.ConnectAsync, ct, secure: true);

    /// <summary>The checks that need no I/O: the port or socket path, the TLS files, the WEBSOCKET options.</summary>
    public static void Check(ResolvedAddress address)
    {
        var parameters = address.Spec.Parameters;
        if (address.Kind.Keyword.StartsWith("ws-unix", StringComparison.Ordinal)) UnixEndpoints.EndPoint(parameters[0], false, address.Name);
        else if (address.Kind.Keyword.EndsWith("-proxy", StringComparison.Ordinal) || address.Kind.Keyword.EndsWith("-socks5", StringComparison.Ordinal))
            ProxyTargets.Check(address);
        else SocketAddressing.Port(parameters[^1], "tcp");
        if (address.Kind.Keyword.StartsWith("wss", StringComparison.Ordinal)) TlsFiles.Check(address);
        WebSocketSettings.From(address.Options, address.Name);
    }

    private static async ValueTask<IChannel> ConnectAsync(OpenRequest request, bool secure, CancellationToken ct)
    {
        var settings = WebSocketSettings.From(request.Options, request.Address.Name);
        var transport = secure ? await OpenSslEndpoints.Connect(request, ct).ConfigureAwait(false) : await TcpEndpoints.Connect(request, ct).ConfigureAwait(false);
        string host = request.Parameters[0];
        int port = SocketAddressing.Port(request.Parameters[1], "tcp");
        return await ClientHandshake.RunAsync(transport, host, port, secure, settings, request.Address.Name, ct).ConfigureAwait(false);
    }

    private static async ValueTask<IListener> ListenAsync(OpenRequest request, bool secure, CancellationToken ct)
    {
        var settings = WebSocketSettings.From(request.Options, request.Address.Name);
        var transport = secure ? await OpenSslEndpoints.Listen(request, ct).ConfigureAwait(false) : await TcpEndpoints.Listen(request, ct).ConfigureAwait(false);
        return Over(transport, request, settings);
    }

    /// <summary>
    /// WS-PROXY and WS-SOCKS5: the tunnel of PROXY (HTTP CONNECT) or SOCKS5-CONNECT, with their
    /// options, and the WebSocket through it; the request names the target, not the proxy.
    /// WSS-PROXY and WSS-SOCKS5 put OPENSSL's client in between, checking the target's certificate.
    /// </summary>
    private static async ValueTask<IChannel> ConnectProxiedAsync(OpenRequest request, AddressOpener tunnel, CancellationToken ct, bool secure = false)
    {
        var settings = WebSocketSettings.From(request.Options, request.Address.Name);
        var p = request.Parameters;
        string host = p[^2];
        var transport = await tunnel(request, ct).ConfigureAwait(false);
        if (secure) transport = await OpenSslEndpoints.SecureClientAsync(transport, request.Options, host, ct).ConfigureAwait(false);
        return await ClientHandshake.RunAsync(transport, host, SocketAddressing.Port(p[^1], "tcp"), secure, settings, request.Address.Name, ct)
            .ConfigureAwait(false);
    }

    private static async ValueTask<IChannel> ConnectUnixAsync(OpenRequest request, CancellationToken ct)
    {
        var settings = WebSocketSettings.From(request.Options, request.Address.Name);
        var transport = await UnixEndpoints.Connect(request, ct).ConfigureAwait(false);
        // A socket has no host name: the request names the local host, as a reverse proxy's would.
        return await ClientHandshake.RunAsync(transport, "localhost", 80, secure: false, settings, request.Address.Name, ct).ConfigureAwait(false);
    }

    private static async ValueTask<IListener> ListenUnixAsync(OpenRequest request, CancellationToken ct)
    {
        var settings = WebSocketSettings.From(request.Options, request.Address.Name);
        return Over(await UnixEndpoints.Listen(request, ct).ConfigureAwait(false), request, settings);
    }

    /// <summary>With fork, handshakes run side by side; without, the one connection is awaited in turn.</summary>
    private static IListener Over(IListener transport, OpenRequest request, WebSocketSettings settings) =>
        request.Options.Flag("fork") ? new ConcurrentHandshakes(transport, settings, request.Address.Name)
            : new WebSocketListener(transport, settings, request.Address.Name);

    /// <summary>
    /// A listener whose connections are WebSockets: a request that is not served is answered with
    /// its HTTP error and the listener goes on waiting, with or without fork.
    /// </summary>
    private sealed class WebSocketListener(IListener transport, WebSocketSettings settings, string name) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = await transport.AcceptAsync(ct).ConfigureAwait(false);
                if (await ServerHandshake.RunAsync(accepted, settings, name, ct).ConfigureAwait(false) is { } channel) return channel;
                Log.Info($"{name}: waiting for the next connection");
            }
        }

        public ValueTask DisposeAsync() => transport.DisposeAsync();
    }
}
