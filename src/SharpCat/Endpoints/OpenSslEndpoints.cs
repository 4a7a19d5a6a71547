using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// OPENSSL (alias SSL) and OPENSSL-LISTEN (SSL-LISTEN) over TCP, OPENSSL-DTLS-CLIENT and
/// OPENSSL-DTLS-SERVER over UDP (the server takes its first peer as UDP-LISTEN does; with fork,
/// each peer in turn), all through libssl as socat speaks them (see <see cref="TlsChannel"/> and
/// <see cref="DtlsChannel"/>). Verification is on by default on both sides: a client checks the
/// peer's chain (against cafile/capath, or the system's roots) and its name (commonname, else
/// the host); a server requires a client certificate and checks its chain the same way, and its
/// name when given commonname (as socat: verify=0 turns both off). Nothing is relayed
/// before the handshake succeeds, and a failure names the reason and the certificate.
/// </summary>
internal static class OpenSslEndpoints
{
    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, dtls: false, ct);
    public static ValueTask<IChannel> ConnectDtls(OpenRequest r, CancellationToken ct) => ConnectAsync(r, dtls: true, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => ListenAsync(r, dtls: false, ct);
    public static ValueTask<IListener> ListenDtls(OpenRequest r, CancellationToken ct) => ListenAsync(r, dtls: true, ct);

    private static async ValueTask<IChannel> ConnectAsync(OpenRequest request, bool dtls, CancellationToken ct)
    {
        var options = request.Options;
        // Files and cipher strings are checked before anything connects.
        nint context = OpenSslContext.Create(options, server: false, dtls);
        try
        {
            // retry covers the handshake too, as in socat: a peer that is up but not yet speaking
            // TLS (a proxy whose way on is not there yet) is tried again like one that refuses.
            return await StreamSockets.RetryAsync(options, (request: request with { RetriesConnect = false }, context, dtls),
                static (s, ct) => ConnectOnceAsync(s.request, s.context, s.dtls, ct), ct).ConfigureAwait(false);
        }
        finally
        {
            SSL_CTX_free(context); // each SSL object holds its own reference
        }
    }

    private static async ValueTask<IChannel> ConnectOnceAsync(OpenRequest request, nint context, bool dtls, CancellationToken ct)
    {
        var options = request.Options;
        string host = request.Parameters[0];
        IChannel transport = dtls
            ? await UdpEndpoints.Connect(request, ct).ConfigureAwait(false)
            : await TcpEndpoints.ConnectToAsync(request, host, SocketAddressing.Port(request.Parameters[1], "tcp"), 0, ct).ConfigureAwait(false);
        bool verify = TlsSharedOptions.Verifies(options);
        // The host as written: a bracketed IPv6 address is checked as socat checks it (OpenSslSession.Create).
        string name = options.Text("openssl-commonname") ?? host;
        return await SecureAsync(context, transport, options, client: true, verify, verify ? name : null, TlsSharedOptions.Sni(options, name.Trim('[', ']')), ct)
            .ConfigureAwait(false);
    }

    private static async ValueTask<IListener> ListenAsync(OpenRequest request, bool dtls, CancellationToken ct)
    {
        // The context (certificate, key, CA) is made before anything listens: a bad file is an error at start.
        nint context = OpenSslContext.Create(request.Options, server: true, dtls);
        try
        {
            var transport = dtls ? await UdpEndpoints.Listen(request, ct).ConfigureAwait(false) : await TcpEndpoints.Listen(request, ct).ConfigureAwait(false);
            return new OpenSslListener(transport, context, request.Options);
        }
        catch
        {
            SSL_CTX_free(context);
            throw;
        }
    }

    /// <summary>
    /// A TLS client over a connection another address opened (a proxy's tunnel: WSS-PROXY,
    /// WSS-SOCKS5), with the address's OPENSSL options and its target <paramref name="host"/> as the
    /// name checked and sent; the connection is closed when the handshake fails.
    /// </summary>
    internal static async ValueTask<IChannel> SecureClientAsync(IChannel transport, OptionSet options, string host, CancellationToken ct)
    {
        nint context;
        try
        {
            context = OpenSslContext.Create(options, server: false, dtls: false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        try
        {
            bool verify = TlsSharedOptions.Verifies(options);
            string name = options.Text("openssl-commonname") ?? host;
            return await SecureAsync(context, transport, options, client: true, verify, verify ? name : null, TlsSharedOptions.Sni(options, name.Trim('[', ']')), ct)
                .ConfigureAwait(false);
        }
        finally
        {
            SSL_CTX_free(context);
        }
    }

    /// <summary>The handshake over an opened connection (TCP for TLS, connected UDP for DTLS), which is closed when it fails.</summary>
    private static async ValueTask<IChannel> SecureAsync(nint context, IChannel transport, OptionSet options, bool client, bool verifying,
        string? expectedName, string? sni, CancellationToken ct)
    {
        ISecureChannel? secure = null;
        var metrics = Relay.RelayContext.Current?.Metrics;
        long started = metrics is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            secure = transport is DatagramChannel udp
                ? DtlsChannel.Create(context, udp, options, client, verifying, expectedName, sni)
                : TlsChannel.Create(context, (SocketChannel)transport, options, client, verifying, expectedName, sni);
            await secure.HandshakeAsync(ct).ConfigureAwait(false);
            metrics?.Handshake(secure.IsDatagram, client, System.Diagnostics.Stopwatch.GetElapsedTime(started), succeeded: true);
            return secure;
        }
        catch (SharpCatException) when (secure is not null && metrics is not null)
        {
            metrics.Handshake(secure.IsDatagram, client, System.Diagnostics.Stopwatch.GetElapsedTime(started), succeeded: false);
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch
        {
            if (secure is not null) await secure.DisposeAsync().ConfigureAwait(false);
            else await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A TLS or DTLS server over a TCP or UDP listener: each connection is handshaken before it is handed out.</summary>
    private sealed class OpenSslListener(IListener transport, nint context, OptionSet options) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = await transport.AcceptAsync(ct).ConfigureAwait(false);
                try
                {
                    // A server checks a client's name only when given one (socat's commonname on a server).
                    bool verify = TlsSharedOptions.Verifies(options);
                    return await SecureAsync(context, accepted, options, client: false, verify,
                        verify ? options.Text("openssl-commonname") : null, null, ct).ConfigureAwait(false);
                }
                catch (SharpCatException e) when (options.Flag("fork"))
                {
                    // With fork a failed handshake ends that connection only.
                    Log.Error(e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            SSL_CTX_free(context);
        }
    }
}

/// <summary>A TLS or DTLS channel before its handshake.</summary>
internal interface ISecureChannel : IChannel
{
    /// <summary>Runs the handshake to its end; nothing is relayed before it succeeds.</summary>
    ValueTask HandshakeAsync(CancellationToken ct);
}
