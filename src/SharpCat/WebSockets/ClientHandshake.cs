using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// A client's opening handshake (RFC 6455 §4.1) over an opened connection: the upgrade request,
/// then the answer checked strictly. Anything but a 101 with the right Sec-WebSocket-Accept, a
/// subprotocol that was offered and no extension is one clear error, and nothing is relayed.
/// </summary>
internal static class ClientHandshake
{
    /// <summary>The WebSocket over <paramref name="transport"/>, which is closed when the handshake fails.</summary>
    public static async ValueTask<IChannel> RunAsync(IChannel transport, string host, int port, bool secure, WebSocketSettings settings,
        string name, CancellationToken ct)
    {
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(settings.HandshakeTimeout);
            try
            {
                return await ExchangeAsync(transport, host, port, secure, settings, name, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SharpCatException($"{name}: no WebSocket answer within {settings.HandshakeTimeout.TotalSeconds} s (ws-handshake-timeout)");
            }
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask<IChannel> ExchangeAsync(IChannel transport, string host, int port, bool secure, WebSocketSettings settings,
        string name, CancellationToken ct)
    {
        string key = WebSocketKey.NewKey();
        string path = settings.Path ?? "/";
        await transport.WriteAsync(Encoding.Latin1.GetBytes(Request(host, port, secure, settings, key, path)), ct).ConfigureAwait(false);
        var (outcome, head) = await HttpHead.ReadAsync(transport, ct).ConfigureAwait(false);
        if (outcome == HttpHead.Outcome.Closed) throw new SharpCatException($"{name}: the server closed the connection instead of answering the WebSocket request");
        if (outcome == HttpHead.Outcome.TooLarge) throw new SharpCatException($"{name}: the server's answer has a head longer than {HttpHead.MaxLength} bytes");
        if (outcome == HttpHead.Outcome.Malformed || head is null) throw new SharpCatException($"{name}: the server's answer is not HTTP");
        string status = head.FirstLine;
        string[] parts = status.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal))
            throw new SharpCatException($"{name}: the server's answer is not HTTP: \"{HttpHead.Shown(status)}\"");
        if (parts[1] != "101")
            throw new SharpCatException($"{name}: the server answered \"{HttpHead.Shown(status)}\" to the WebSocket request for {path}, not 101 Switching Protocols");
        if (!head.FieldHas("Upgrade", "websocket"))
            throw new SharpCatException($"{name}: the server's 101 answer does not upgrade to websocket (Upgrade: {HttpHead.Shown(head.Field("Upgrade") ?? "absent")})");
        if (!head.FieldHas("Connection", "upgrade"))
            throw new SharpCatException($"{name}: the server's 101 answer lacks \"Connection: Upgrade\"");
        string expected = WebSocketKey.Accept(key);
        string? accept = head.Field("Sec-WebSocket-Accept");
        if (accept != expected)
            throw new SharpCatException(accept is null
                ? $"{name}: the server's 101 answer has no Sec-WebSocket-Accept: it is not a WebSocket server"
                : $"{name}: the server's Sec-WebSocket-Accept \"{HttpHead.Shown(accept)}\" does not answer the key sent (expected \"{expected}\")");
        if (head.Field("Sec-WebSocket-Extensions") is { } extensions)
            throw new SharpCatException($"{name}: the server agreed to the extension \"{HttpHead.Shown(extensions)}\", which was not offered");
        string? chosen = head.Field("Sec-WebSocket-Protocol");
        if (chosen is not null && Array.IndexOf(settings.Protocols, chosen) < 0)
            throw new SharpCatException(settings.Protocols.Length == 0
                ? $"{name}: the server chose the subprotocol \"{HttpHead.Shown(chosen)}\", but none was offered"
                : $"{name}: the server chose the subprotocol \"{HttpHead.Shown(chosen)}\", which is not one of those offered ({string.Join(", ", settings.Protocols)})");
        // As browsers do: a client that offered subprotocols cannot go on without one.
        if (chosen is null && settings.Protocols.Length > 0)
            throw new SharpCatException($"{name}: the server chose none of the subprotocols offered ({string.Join(", ", settings.Protocols)})");
        Log.Info($"{name}: WebSocket open to {path}" + (chosen is null ? "" : $", subprotocol {chosen}"));
        return new WebSocketChannel(transport, client: true, settings, name, head.After);
    }

    private static string Request(string host, int port, bool secure, WebSocketSettings settings, string key, string path)
    {
        // An IPv6 literal goes in brackets; the port only when it is not the scheme's own.
        string hostField = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        if (port != (secure ? 443 : 80)) hostField += $":{port}";
        var sb = new StringBuilder();
        sb.Append($"GET {path} HTTP/1.1\r\nHost: {hostField}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        sb.Append($"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n");
        if (settings.Protocols.Length > 0) sb.Append($"Sec-WebSocket-Protocol: {string.Join(", ", settings.Protocols)}\r\n");
        if (settings.Origins.Length > 0) sb.Append($"Origin: {settings.Origins[^1]}\r\n");
        if (settings.BasicAuth is { } credentials)
            sb.Append($"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials))}\r\n");
        foreach (var (field, value) in settings.Headers) sb.Append($"{field}: {value}\r\n");
        return sb.Append("\r\n").ToString();
    }
}
