using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Diagnostics;

namespace SharpCat.Cli.Http;

/// <summary>One HTTP request as the control API needs it: method, path, headers, body.</summary>
internal sealed record HttpRequest(string Method, string Path, Dictionary<string, string> Headers, byte[] Body);

/// <summary>An answer: status code, content type and body (empty for 204).</summary>
internal sealed record HttpResponse(int Status, string ContentType, byte[] Body)
{
    public static HttpResponse Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));

    public static HttpResponse Empty(int status) => new(status, "", []);
}

/// <summary>
/// The small HTTP/1.1 server of <c>--metrics</c> and <c>--control</c>: keep-alive, requests with a
/// Content-Length body, headers and body read up to a bound and within a time limit, so a client
/// that sends too much or nothing costs a few kilobytes for a few seconds. Prometheus scrapes once
/// every few seconds and a test-control client sends a few small JSON requests: nothing more is
/// needed, and no web framework comes into the AOT binary.
/// </summary>
internal sealed class HttpServer : IAsyncDisposable
{
    private const int MaxHeader = 16 * 1024;
    private const int MaxBody = 1024 * 1024;
    private static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly Func<HttpRequest, Task<HttpResponse>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly string _option;

    private HttpServer(Socket listener, Func<HttpRequest, Task<HttpResponse>> handler, string option)
    {
        _listener = listener;
        _handler = handler;
        _option = option;
        _accepting = AcceptAsync();
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    /// <summary>Binds and starts serving.</summary>
    /// <exception cref="SharpCatException">The address cannot be bound (in use, …).</exception>
    public static HttpServer Start(EndPoint where, Func<HttpRequest, Task<HttpResponse>> handler, string option)
    {
        var at = where as IPEndPoint ?? Resolve((DnsEndPoint)where, option);
        var listener = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(at);
            listener.Listen(64);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new SharpCatException($"{option}: bind({Shown(at)}): {e.Message}");
        }
        return new HttpServer(listener, handler, option);
    }

    /// <summary>A host name's address for a server of the program's: IPv4 first, as Go's listeners take localhost.</summary>
    /// <exception cref="SharpCatException">The name does not resolve.</exception>
    private static IPEndPoint Resolve(DnsEndPoint at, string option)
    {
        try
        {
            var found = Dns.GetHostAddresses(at.Host);
            var chosen = Array.Find(found, a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
                ?? throw new SharpCatException($"{option}: \"{at.Host}\" has no address");
            return new IPEndPoint(chosen, at.Port);
        }
        catch (SocketException e)
        {
            throw new SharpCatException($"{option}: getaddrinfo(\"{at.Host}\"): {e.Message}");
        }
    }

    /// <summary>
    /// The value of <c>--metrics=[HOST:]PORT</c> or <c>--control=…</c>; HOST defaults to 127.0.0.1
    /// (neither is for the network unless asked). A name is resolved when the server starts.
    /// </summary>
    /// <exception cref="SharpCatException">Not a port number.</exception>
    public static EndPoint ParseAddress(string value, string option)
    {
        int colon = value.LastIndexOf(':');
        string host = colon < 0 ? "127.0.0.1" : value[..colon];
        string port = value[(colon + 1)..];
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number))
            throw new SharpCatException($"{option}={value}: \"{port}\" is not a port number (0-65535)");
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0) throw new SharpCatException($"{option}={value}: no host before the port");
        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, number) : new DnsEndPoint(host, number);
    }

    public static string Shown(IPEndPoint ep) =>
        ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                // Out of descriptors and the like: the relay matters more than this request.
                Log.Warn($"{_option}: accept(): {e.Message}");
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            var buffer = new byte[MaxHeader];
            int length = 0;
            try
            {
                while (true)
                {
                    using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    limit.CancelAfter(IdleTime);
                    var (request, used, have, problem) = await ReadRequestAsync(client, buffer, length, limit.Token).ConfigureAwait(false);
                    length = have;
                    if (request is null && problem is null) return; // the client closed between requests
                    HttpResponse response;
                    try
                    {
                        response = problem ?? await _handler(request!).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        Log.Error($"{_option}: {request!.Method} {request.Path}: {e.Message}");
                        response = HttpResponse.Text(500, "internal error\n");
                    }
                    bool close = problem is not null || request!.Headers.TryGetValue("connection", out var c) && c.Equals("close", StringComparison.OrdinalIgnoreCase);
                    await client.SendAsync(Render(response, close, request?.Method == "HEAD"), limit.Token).ConfigureAwait(false);
                    if (close)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    // What came after this request is the start of the next one.
                    length -= used;
                    if (length > 0) Buffer.BlockCopy(buffer, used, buffer, 0, length);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that went away, or stayed silent too long.
            }
        }

        // Reads one request; the buffer holds what is left over from the previous one.
        static async Task<(HttpRequest?, int Used, int Have, HttpResponse? Problem)> ReadRequestAsync(Socket s, byte[] buffer, int start, CancellationToken ct)
        {
            int have = start, end;
            while ((end = buffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (have == buffer.Length) return (null, 0, have, HttpResponse.Text(431, "request header too large\n"));
                int n = await s.ReceiveAsync(buffer.AsMemory(have), ct).ConfigureAwait(false);
                if (n == 0) return (null, 0, have, have == 0 ? null : HttpResponse.Text(400, "incomplete request\n"));
                have += n;
            }
            string head = Encoding.Latin1.GetString(buffer, 0, end);
            string[] lines = head.Split("\r\n");
            string[] parts = lines[0].Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                return (null, 0, have, HttpResponse.Text(400, "bad request line\n"));
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0) return (null, 0, have, HttpResponse.Text(400, "bad header line\n"));
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            if (headers.ContainsKey("transfer-encoding"))
                return (null, 0, have, HttpResponse.Text(411, "a body needs a Content-Length\n"));
            long bodyLength = 0;
            if (headers.TryGetValue("content-length", out var cl)
                && !long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out bodyLength))
                return (null, 0, have, HttpResponse.Text(400, "bad Content-Length\n"));
            if (bodyLength > MaxBody) return (null, 0, have, HttpResponse.Text(413, "request body too large\n"));
            var body = new byte[bodyLength];
            int headerEnd = end + 4;
            int inBuffer = (int)Math.Min(bodyLength, have - headerEnd);
            Buffer.BlockCopy(buffer, headerEnd, body, 0, inBuffer);
            for (int got = inBuffer; got < bodyLength;)
            {
                int n = await s.ReceiveAsync(body.AsMemory(got), ct).ConfigureAwait(false);
                if (n == 0) return (null, 0, have, HttpResponse.Text(400, "incomplete body\n"));
                got += n;
            }
            string path = Uri.UnescapeDataString(parts[1].Split('?')[0]);
            return (new HttpRequest(parts[0], path, headers, body), headerEnd + inBuffer, have, null);
        }
    }

    private static readonly Dictionary<int, string> Reasons = new()
    {
        [200] = "OK", [201] = "Created", [204] = "No Content", [400] = "Bad Request", [403] = "Forbidden",
        [404] = "Not Found", [405] = "Method Not Allowed", [409] = "Conflict", [411] = "Length Required",
        [413] = "Content Too Large", [431] = "Request Header Fields Too Large", [500] = "Internal Server Error",
    };

    private static byte[] Render(HttpResponse r, bool close, bool head)
    {
        var sb = new StringBuilder($"HTTP/1.1 {r.Status} {Reasons.GetValueOrDefault(r.Status, "Status")}\r\n");
        if (r.ContentType.Length > 0) sb.Append($"Content-Type: {r.ContentType}\r\n");
        if (r.Status != 204) sb.Append($"Content-Length: {r.Body.Length}\r\n");
        if (close) sb.Append("Connection: close\r\n");
        sb.Append("\r\n");
        byte[] header = Encoding.ASCII.GetBytes(sb.ToString());
        return head || r.Status == 204 ? header : [.. header, .. r.Body];
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}
