using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// A server's side of the opening handshake (RFC 6455 §4.2): the request is checked (method,
/// path, upgrade, version, key, Origin, credentials, subprotocol) and answered with 101, or with
/// the HTTP error that says what was wrong, after which the connection is closed and the
/// listener goes on.
/// </summary>
internal static class ServerHandshake
{
    /// <summary>A request that is not served: the status, its reason phrase and what the log says.</summary>
    private sealed record Refusal(int Status, string Phrase, string Why, string? ExtraFields = null);

    /// <summary>
    /// The WebSocket over <paramref name="transport"/>, or null when the request was answered with
    /// an error (and the connection closed).
    /// </summary>
    public static async ValueTask<IChannel?> RunAsync(IChannel transport, WebSocketSettings settings, string name, CancellationToken ct)
    {
        string peer = transport.RemoteEndPoint?.ToString() ?? transport.Describe();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(settings.HandshakeTimeout);
        try
        {
            var (outcome, head) = await HttpHead.ReadAsync(transport, bounded.Token).ConfigureAwait(false);
            string? protocol = null;
            var refusal = outcome switch
            {
                HttpHead.Outcome.Closed => null,
                HttpHead.Outcome.TooLarge => new Refusal(431, "Request Header Fields Too Large", $"the request's head is longer than {HttpHead.MaxLength} bytes"),
                HttpHead.Outcome.Malformed => new Refusal(400, "Bad Request", "the request is not HTTP"),
                _ => Check(head!, settings, out protocol),
            };
            if (outcome == HttpHead.Outcome.Closed)
            {
                Log.Warn($"{name}: {peer} closed the connection before sending a WebSocket request");
                await transport.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            if (refusal is not null)
            {
                Log.Warn($"{name}: refused the request from {peer} with {refusal.Status} {refusal.Phrase}: {refusal.Why}");
                await AnswerAsync(transport, refusal, bounded.Token).ConfigureAwait(false);
                await transport.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            await transport.WriteAsync(Encoding.Latin1.GetBytes(Accepted(head!, settings, protocol)), bounded.Token).ConfigureAwait(false);
            string path = head!.FirstLine.Split(' ')[1];
            Log.Notice($"{name}: WebSocket request for {HttpHead.Shown(path)} from {peer} accepted" + (protocol is null ? "" : $", subprotocol {protocol}"));
            return new WebSocketChannel(transport, client: false, settings, name, head.After);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Log.Warn($"{name}: {peer} sent no complete WebSocket request within {settings.HandshakeTimeout.TotalSeconds} s (ws-handshake-timeout)");
            await transport.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is SharpCatException or IOException or System.Net.Sockets.SocketException)
        {
            Log.Warn($"{name}: the WebSocket handshake with {peer} failed: {e.Message}");
            await transport.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static Refusal? Check(HttpHead head, WebSocketSettings settings, out string? protocol)
    {
        protocol = null;
        string[] request = head.FirstLine.Split(' ');
        if (request.Length != 3 || !request[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || request[2] == "HTTP/1.0")
            return new Refusal(400, "Bad Request", $"\"{HttpHead.Shown(head.FirstLine)}\" is not an HTTP/1.1 request line");
        if (request[0] != "GET")
            return new Refusal(405, "Method Not Allowed", $"the method is {HttpHead.Shown(request[0])}, not GET", "Allow: GET\r\n");
        string target = request[1], path = target.Split('?')[0];
        if (settings.Path is { } served && path != served)
            return new Refusal(404, "Not Found", $"the path {HttpHead.Shown(path)} is not {served} (ws-path)");
        if (!head.FieldHas("Upgrade", "websocket") || !head.FieldHas("Connection", "upgrade"))
            return new Refusal(426, "Upgrade Required", "a plain HTTP request, not a WebSocket upgrade",
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
        if (head.Field("Sec-WebSocket-Version") != "13")
            return new Refusal(426, "Upgrade Required", $"WebSocket version {HttpHead.Shown(head.Field("Sec-WebSocket-Version") ?? "absent")}, not 13",
                "Sec-WebSocket-Version: 13\r\n");
        if (head.Field("Host") is null) return new Refusal(400, "Bad Request", "the request has no Host");
        if (head.Field("Sec-WebSocket-Key") is not { } key || !WebSocketKey.IsValid(key))
            return new Refusal(400, "Bad Request", "the request has no valid Sec-WebSocket-Key");
        if (settings.Origins.Length > 0)
        {
            string? origin = head.Field("Origin");
            if (origin is null || !settings.Origins.Contains(origin, StringComparer.OrdinalIgnoreCase))
                return new Refusal(403, "Forbidden", origin is null ? "the request has no Origin (ws-origin)" : $"the Origin {HttpHead.Shown(origin)} is not allowed (ws-origin)");
        }
        if (settings.BasicAuth is { } credentials
            && head.Field("Authorization") != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)))
            return new Refusal(401, "Unauthorized", head.Field("Authorization") is null ? "the request has no credentials (ws-basic-auth)"
                : "the request's credentials are wrong (ws-basic-auth)", "WWW-Authenticate: Basic realm=\"sharpcat\"\r\n");
        string[] offered = head.FieldList("Sec-WebSocket-Protocol");
        if (settings.Protocols.Length > 0 && offered.Length > 0)
        {
            protocol = settings.Protocols.FirstOrDefault(p => offered.Contains(p, StringComparer.Ordinal));
            if (protocol is null)
                return new Refusal(400, "Bad Request",
                    $"none of the subprotocols offered ({HttpHead.Shown(string.Join(", ", offered))}) is served ({string.Join(", ", settings.Protocols)}, ws-protocol)");
        }
        return null;
    }

    private static string Accepted(HttpHead head, WebSocketSettings settings, string? protocol)
    {
        var sb = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        sb.Append($"Sec-WebSocket-Accept: {WebSocketKey.Accept(head.Field("Sec-WebSocket-Key")!)}\r\n");
        if (protocol is not null) sb.Append($"Sec-WebSocket-Protocol: {protocol}\r\n");
        foreach (var (field, value) in settings.Headers) sb.Append($"{field}: {value}\r\n");
        return sb.Append("\r\n").ToString();
    }

    private static async ValueTask AnswerAsync(IChannel transport, Refusal refusal, CancellationToken ct)
    {
        string body = $"{refusal.Status} {refusal.Phrase}: {refusal.Why}\n";
        string answer = $"HTTP/1.1 {refusal.Status} {refusal.Phrase}\r\n{refusal.ExtraFields}Content-Type: text/plain; charset=utf-8\r\n"
            + $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        try
        {
            await transport.WriteAsync(Encoding.UTF8.GetBytes(answer), ct).ConfigureAwait(false);
            await transport.ShutdownWriteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SharpCatException or IOException or System.Net.Sockets.SocketException)
        {
            Log.Info($"could not send the {refusal.Status} answer: {e.Message}");
        }
    }
}
