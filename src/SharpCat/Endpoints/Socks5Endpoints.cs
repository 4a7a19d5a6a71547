using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// SOCKS5 clients in socat 1.8's spelling: SOCKS5-CONNECT:server:[socks-port:]host:port (CONNECT)
/// and SOCKS5-LISTEN:server:[socks-port:]listen-host:listen-port (BIND: the server listens for
/// one peer). Authentication is none, or user name and password (RFC 1929) with socksuser and
/// sockspass. Host names go to the server as names; literal addresses as IPv4 or IPv6.
/// </summary>
internal static class Socks5Endpoints
{
    private const byte Version = 5, NoAuthentication = 0, UserPassword = 2, NoAcceptableMethod = 0xFF;
    private const byte Connect = 1, Bind = 2, IPv4 = 1, DomainName = 3, IPv6 = 4;

    private static readonly string[] ReplyMeanings =
    [
        "succeeded", "general SOCKS server failure", "connection not allowed by ruleset", "network unreachable",
        "host unreachable", "connection refused", "TTL expired", "command not supported", "address type not supported",
    ];

    public static ValueTask<IChannel> ConnectAsync(OpenRequest request, CancellationToken ct) => OpenAsync(request, Connect, ct);

    /// <summary>SOCKS5-LISTEN: one peer, through the server's BIND (a relay of its own, not a fork listener).</summary>
    public static ValueTask<IChannel> ListenAsync(OpenRequest request, CancellationToken ct) => OpenAsync(request, Bind, ct);

    private static async ValueTask<IChannel> OpenAsync(OpenRequest request, byte command, CancellationToken ct)
    {
        var p = request.Parameters;
        string server = p[0];
        string socksPort = p.Count == 4 ? p[1] : request.Options.Text("socksport") ?? "1080";
        string host = p[^2];
        int port = SocketAddressing.Port(p[^1], "tcp");
        var channel = await TcpEndpoints.ConnectToAsync(request, server, SocketAddressing.Port(socksPort, "tcp"), 0, ct).ConfigureAwait(false);
        try
        {
            await AuthenticateAsync(channel, request.Options.Text("socksuser"), request.Options.Text("sockspass"), ct).ConfigureAwait(false);
            var message = new List<byte> { Version, command, 0 };
            message.AddRange(EncodeAddress(host));
            message.Add((byte)(port >> 8));
            message.Add((byte)port);
            Log.Info($"socks5: sending {(command == Connect ? "CONNECT" : "BIND")} request for {host}:{port}");
            await channel.WriteAsync(message.ToArray(), ct).ConfigureAwait(false);
            var bound = await ReadReplyAsync(channel, ct).ConfigureAwait(false);
            if (command == Bind)
            {
                Log.Notice($"socks5: the server listens on {bound} for the peer");
                var peer = await ReadReplyAsync(channel, ct).ConfigureAwait(false);
                Log.Notice($"socks5: accepted connection from {peer}");
            }
            else Log.Info($"socks5: connected, the server's address is {bound}");
            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AuthenticateAsync(IChannel channel, string? user, string? password, CancellationToken ct)
    {
        bool credentials = user is not null && password is not null;
        byte[] greeting = credentials ? [Version, 2, NoAuthentication, UserPassword] : [Version, 1, NoAuthentication];
        await channel.WriteAsync(greeting, ct).ConfigureAwait(false);
        var choice = await ProxyStream.ReadExactlyAsync(channel, 2, "socks5", ct).ConfigureAwait(false);
        if (choice[0] != Version) throw new SharpCatException($"socks5: the server answered with version {choice[0]}: not a SOCKS5 server?");
        switch (choice[1])
        {
            case NoAuthentication:
                return;
            case UserPassword when credentials:
                byte[] u = Encoding.UTF8.GetBytes(user!), pw = Encoding.UTF8.GetBytes(password!);
                if (u.Length > 255 || pw.Length > 255) throw new SharpCatException("socks5: user name and password are limited to 255 bytes each");
                byte[] login = [1, (byte)u.Length, .. u, (byte)pw.Length, .. pw];
                await channel.WriteAsync(login, ct).ConfigureAwait(false);
                var status = await ProxyStream.ReadExactlyAsync(channel, 2, "socks5", ct).ConfigureAwait(false);
                if (status[1] != 0) throw new SharpCatException($"socks5: the server refused user \"{user}\" and its password (status {status[1]})");
                return;
            case NoAcceptableMethod:
                throw new SharpCatException(credentials
                    ? "socks5: the server accepts neither no authentication nor user name and password"
                    : "socks5: the server requires authentication: give socksuser and sockspass");
            default:
                throw new SharpCatException($"socks5: the server chose authentication method {choice[1]}, which was not offered");
        }
    }

    /// <summary>Reads one reply (VER REP RSV ATYP ADDR PORT) and returns the address it carries.</summary>
    private static async Task<string> ReadReplyAsync(IChannel channel, CancellationToken ct)
    {
        var head = await ProxyStream.ReadExactlyAsync(channel, 4, "socks5", ct).ConfigureAwait(false);
        if (head[0] != Version) throw new SharpCatException($"socks5: the server's reply has version {head[0]}");
        if (head[1] != 0)
            throw new SharpCatException($"socks5: {(head[1] < ReplyMeanings.Length ? ReplyMeanings[head[1]] : "unknown reply")} (reply code {head[1]})");
        int length = head[3] switch
        {
            IPv4 => 4,
            IPv6 => 16,
            DomainName => (await ProxyStream.ReadExactlyAsync(channel, 1, "socks5", ct).ConfigureAwait(false))[0],
            _ => throw new SharpCatException($"socks5: the server's reply has address type {head[3]}"),
        };
        var address = await ProxyStream.ReadExactlyAsync(channel, length + 2, "socks5", ct).ConfigureAwait(false);
        int port = address[^2] << 8 | address[^1];
        string text = head[3] == DomainName ? Encoding.ASCII.GetString(address, 0, length) : new IPAddress(address.AsSpan(0, length)).ToString();
        return head[3] == IPv6 ? $"[{text}]:{port}" : $"{text}:{port}";
    }

    private static byte[] EncodeAddress(string host)
    {
        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var ip))
            return ip.AddressFamily == AddressFamily.InterNetwork ? [IPv4, .. ip.GetAddressBytes()] : [IPv6, .. ip.GetAddressBytes()];
        byte[] name = Encoding.ASCII.GetBytes(bare);
        if (name.Length > 255) throw new SharpCatException($"socks5: host name \"{bare[..40]}...\" is longer than 255 bytes");
        return [DomainName, (byte)name.Length, .. name];
    }
}
