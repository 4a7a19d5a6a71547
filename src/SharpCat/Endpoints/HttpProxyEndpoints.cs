using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// PROXY:proxy:host:port (alias PROXY-CONNECT): a tunnel through an HTTP proxy with CONNECT
/// (<c>proxyport</c>, 8080 by default). The reply's headers are read to their end and no further,
/// so whatever the target sends at once is relayed, not lost; headers are bounded in size.
/// </summary>
internal static class HttpProxyEndpoints
{
    private const int MaxLine = 8192, MaxHeaderLines = 100;

    public static async ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        string proxy = request.Parameters[0], host = request.Parameters[1];
        int port = SocketAddressing.Port(request.Parameters[2], "tcp");
        if (options.Flag("proxy-resolve"))
            host = (await SocketAddressing.ResolveAsync(host, System.Net.Sockets.AddressFamily.InterNetwork, ct,
                lookup: NameLookup.Of(request.Options, System.Net.Sockets.AddressFamily.InterNetwork, passive: false)).ConfigureAwait(false)).ToString();
        string? authorization = ProxyCredentials.Basic(options);
        var channel = await TcpEndpoints.ConnectToAsync(request, proxy, SocketAddressing.Port(options.Text("proxyport") ?? "8080", "tcp"), 0, ct).ConfigureAwait(false);
        try
        {
            string target = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
            // http-version (socat 1.8): the version the request line names; 1.0 unless given.
            string version = options.Text("http-version") ?? "1.0";
            var text = new StringBuilder($"CONNECT {target} HTTP/{version}\r\n");
            if (authorization is not null) text.Append($"Proxy-authorization: Basic {authorization}\r\n");
            text.Append("\r\n");
            Log.Info($"sending \"CONNECT {target} HTTP/{version}\\r\\n\"");
            await channel.WriteAsync(ProxyStream.Ascii(text.ToString()), ct).ConfigureAwait(false);

            bool lfOnly = options.Flag("ignorecr");
            string status = await ProxyStream.ReadLineAsync(channel, MaxLine, lfOnly, "proxy_connect", ct).ConfigureAwait(false)
                ?? throw new SharpCatException("proxy_connect: the proxy closed the connection without a reply");
            Log.Info($"proxy_connect: received answer \"{status}\"");
            // As socat: any number of spaces after the version ("HTTP/1.0   200 OK").
            var parts = status.Split(' ', 2);
            if (parts.Length == 2) parts = [parts[0], .. parts[1].TrimStart(' ').Split(' ', 2)];
            if (parts.Length < 2 || parts[0] is not ("HTTP/1.0" or "HTTP/1.1") || parts[1].Length != 3 || !parts[1].All(char.IsAsciiDigit))
                throw new SharpCatException($"proxy: invalid answer \"{Printable(status)}\"");
            for (int lines = 0; ; lines++)
            {
                if (lines >= MaxHeaderLines) throw new SharpCatException($"proxy_connect: more than {MaxHeaderLines} header lines in the proxy's reply");
                string? header = await ProxyStream.ReadLineAsync(channel, MaxLine, lfOnly, "proxy_connect", ct).ConfigureAwait(false)
                    ?? throw new SharpCatException("proxy_connect: the proxy closed the connection in the middle of its headers");
                if (header.Length == 0) break;
                Log.Debug($"proxy_connect: skipping header \"{header}\"");
            }
            if (parts[1] != "200") throw new SharpCatException($"CONNECT {target}: the proxy answered \"{Printable(status)}\"");
            Log.Info("proxy_connect: tunnel established");
            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Printable(string s) => new(s.Select(c => c < 0x20 || c > 0x7e ? '.' : c).ToArray());
}
