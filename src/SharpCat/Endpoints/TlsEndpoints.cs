using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// OPENSSL (client; alias SSL) and OPENSSL-LISTEN (server; alias SSL-LISTEN): TLS over TCP through
/// libssl, as socat speaks it (see <see cref="TlsChannel"/>). Verification is on by default on
/// both sides: a client checks the server's chain (against cafile/capath, or the system's roots)
/// and its name (commonname, else the host); a server given a CA requires and checks a client
/// certificate. Nothing is relayed before the handshake succeeds, and a failure names the reason
/// and the certificate.
/// </summary>
internal static class TlsEndpoints
{
    public static async ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        // Files and cipher strings are checked before anything connects.
        nint context = OpenSslContext.Create(options, server: false, dtls: false);
        try
        {
            string host = request.Parameters[0];
            var tcp = await TcpEndpoints.ConnectToAsync(request, host, SocketAddressing.Port(request.Parameters[1], "tcp"), 0, ct).ConfigureAwait(false);
            TlsChannel? tls = null;
            try
            {
                bool verify = TlsSharedOptions.Verifies(options, server: false);
                string name = options.Text("openssl-commonname") ?? host.Trim('[', ']');
                tls = TlsChannel.Create(context, tcp, options, client: true, verify, verify ? name : null, TlsSharedOptions.Sni(options, name));
                await tls.HandshakeAsync(ct).ConfigureAwait(false);
                return tls;
            }
            catch
            {
                if (tls is not null) await tls.DisposeAsync().ConfigureAwait(false);
                else await tcp.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            SSL_CTX_free(context); // each SSL object holds its own reference
        }
    }

    public static async ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        if (!request.Options.Has("openssl-certificate"))
            throw new SharpCatException("OPENSSL-LISTEN: option cert is required (the server's certificate and key)");
        // The context (certificate, key, CA) is made before anything listens: a bad file is an error at start.
        nint context = OpenSslContext.Create(request.Options, server: true, dtls: false);
        try
        {
            return new TlsListener(await TcpEndpoints.Listen(request, ct).ConfigureAwait(false), context, request.Options);
        }
        catch
        {
            SSL_CTX_free(context);
            throw;
        }
    }

    /// <summary>A TLS server over a TCP listener: each accepted connection is handshaken before it is handed out.</summary>
    private sealed class TlsListener(IListener tcp, nint context, OptionSet options) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = (SocketChannel)await tcp.AcceptAsync(ct).ConfigureAwait(false);
                TlsChannel? tls = null;
                try
                {
                    tls = TlsChannel.Create(context, accepted, options, client: false, TlsSharedOptions.Verifies(options, server: true), expectedName: null, sni: null);
                    await tls.HandshakeAsync(ct).ConfigureAwait(false);
                    return tls;
                }
                catch (Exception e)
                {
                    if (tls is not null) await tls.DisposeAsync().ConfigureAwait(false);
                    else await accepted.DisposeAsync().ConfigureAwait(false);
                    // With fork a failed handshake ends that connection only.
                    if (e is not SharpCatException || !options.Flag("fork")) throw;
                    Log.Error(e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await tcp.DisposeAsync().ConfigureAwait(false);
            SSL_CTX_free(context);
        }
    }
}
