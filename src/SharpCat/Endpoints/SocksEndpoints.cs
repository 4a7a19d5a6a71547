using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// SOCKS4 and SOCKS4A clients: SOCKS4:server:host:port connects to the SOCKS server
/// (<c>socksport</c>, 1080 by default) and asks it for a connection to host:port. SOCKS4 resolves
/// the host here (IPv4 only, as the protocol allows); SOCKS4A sends the name for the server to resolve.
/// </summary>
internal static class SocksEndpoints
{
    private const byte Version4 = 4, Connect = 1;

    public static ValueTask<IChannel> Socks4(OpenRequest request, CancellationToken ct) => OpenAsync(request, socks4a: false, ct);

    public static ValueTask<IChannel> Socks4A(OpenRequest request, CancellationToken ct) => OpenAsync(request, socks4a: true, ct);

    /// <summary>socksport: a number or a service name; 1080 when not given.</summary>
    public static int ServerPort(OpenRequest request) => SocketAddressing.Port(request.Options.Text("socksport") ?? "1080", "tcp");

    private static async ValueTask<IChannel> OpenAsync(OpenRequest request, bool socks4a, CancellationToken ct)
    {
        string server = request.Parameters[0], host = request.Parameters[1];
        int port = SocketAddressing.Port(request.Parameters[2], "tcp");
        // SOCKS4 carries an IPv4 address: the target is resolved before the server is contacted.
        IPAddress? target = socks4a ? null : await SocketAddressing.ResolveAsync(host, AddressFamily.InterNetwork, ct,
            lookup: NameLookup.Of(request.Options, AddressFamily.InterNetwork, passive: false)).ConfigureAwait(false);
        var channel = await TcpEndpoints.ConnectToAsync(request, server, ServerPort(request), 0, ct).ConfigureAwait(false);
        try
        {
            string user = request.Options.Text("socksuser") ?? DefaultUser();
            var message = new List<byte> { Version4, Connect, (byte)(port >> 8), (byte)port };
            message.AddRange(target is null ? [0, 0, 0, 1] : target.GetAddressBytes());
            message.AddRange(ProxyStream.Ascii(user));
            message.Add(0);
            if (target is null)
            {
                message.AddRange(ProxyStream.Ascii(host));
                message.Add(0);
            }
            Log.Info($"sending socks4{(socks4a ? "a" : "")} request VN=4 DC=1 DSTPORT={port} DSTIP={(target?.ToString() ?? "0.0.0.1")} USERID={user}{(socks4a ? $" HOSTNAME={host}" : "")}");
            await channel.WriteAsync(message.ToArray(), ct).ConfigureAwait(false);
            var reply = await ProxyStream.ReadExactlyAsync(channel, 8, "socks", ct).ConfigureAwait(false);
            Log.Info($"received socks4 reply data (offset 0): {Convert.ToHexString(reply)}");
            // As socat: a reply version other than 0 is only worth a warning.
            if (reply[0] != 0) Log.Warn($"socks: reply code version is not 0 ({reply[0]})");
            switch (reply[1])
            {
                case 90:
                    Log.Notice($"successfully connected via socks4{(socks4a ? "a" : "")}");
                    return channel;
                case 91: throw new SharpCatException("socks: connect request rejected or failed (reply code 91)");
                case 92: throw new SharpCatException("socks: ident refused by client: the server could not reach an identd here (reply code 92)");
                case 93: throw new SharpCatException("socks: ident failed: identd reports another user id (reply code 93)");
                default: throw new SharpCatException($"socks: undefined status {reply[1]}");
            }
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The user id socat sends when socksuser is not given.</summary>
    private static string DefaultUser() =>
        Environment.GetEnvironmentVariable("LOGNAME") ?? Environment.GetEnvironmentVariable("USER") ?? "anonymous";
}
