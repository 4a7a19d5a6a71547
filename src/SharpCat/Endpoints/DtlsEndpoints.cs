using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Relay;
using static SharpCat.Native.LibSsl;

namespace SharpCat.Endpoints;

/// <summary>
/// OPENSSL-DTLS-CLIENT:host:port and OPENSSL-DTLS-SERVER:port: DTLS over UDP through libssl
/// (see <see cref="DtlsChannel"/>). The server takes its first peer as UDP-LISTEN does (with
/// fork, each peer in turn), then handshakes. Verification is as for OPENSSL: on by default, a
/// client checks the chain and the name, a server given a CA requires a client certificate.
/// </summary>
internal static class DtlsEndpoints
{
    public static async ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        nint context = OpenSslContext.Create(options, server: false, dtls: true);
        try
        {
            var udp = (DatagramChannel)await UdpEndpoints.Connect(request, ct).ConfigureAwait(false);
            DtlsChannel? dtls = null;
            try
            {
                bool verify = TlsSharedOptions.Verifies(options, server: false);
                string name = options.Text("openssl-commonname") ?? request.Parameters[0].Trim('[', ']');
                string? sni = TlsSharedOptions.Sni(options, name);
                dtls = DtlsChannel.Create(context, udp, options, client: true, verify, verify ? name : null, sni);
                await dtls.HandshakeAsync(ct).ConfigureAwait(false);
                return dtls;
            }
            catch
            {
                if (dtls is not null) await dtls.DisposeAsync().ConfigureAwait(false);
                else await udp.DisposeAsync().ConfigureAwait(false);
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
            throw new SharpCatException("OPENSSL-DTLS-SERVER: option cert is required (the server's certificate and key)");
        // The context (certificate, key, CA) is made before anything listens: a bad file is an error at start.
        nint context = OpenSslContext.Create(request.Options, server: true, dtls: true);
        try
        {
            return new DtlsListener(await UdpEndpoints.Listen(request, ct).ConfigureAwait(false), context, request.Options);
        }
        catch
        {
            SSL_CTX_free(context);
            throw;
        }
    }

    private sealed class DtlsListener(IListener udp, nint context, OptionSet options) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            while (true)
            {
                var accepted = (DatagramChannel)await udp.AcceptAsync(ct).ConfigureAwait(false);
                DtlsChannel? dtls = null;
                try
                {
                    dtls = DtlsChannel.Create(context, accepted, options, client: false, TlsSharedOptions.Verifies(options, server: true), expectedName: null, sni: null);
                    await dtls.HandshakeAsync(ct).ConfigureAwait(false);
                    return dtls;
                }
                catch (Exception e)
                {
                    if (dtls is not null) await dtls.DisposeAsync().ConfigureAwait(false);
                    else await accepted.DisposeAsync().ConfigureAwait(false);
                    // With fork a failed handshake ends that peer only.
                    if (e is not SharpCatException || !options.Flag("fork")) throw;
                    Log.Error(e.Message);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await udp.DisposeAsync().ConfigureAwait(false);
            SSL_CTX_free(context);
        }
    }
}
