using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Diagnostics;

namespace SharpCat.Cli.Metrics;

/// <summary>
/// The <c>--metrics</c> HTTP endpoint: <c>GET /metrics</c> answers with the collector's text, any
/// other path 404. One request per connection (HTTP/1.1 with <c>Connection: close</c>), the request
/// read up to a bound and within a time limit, so a client that sends too much or nothing costs a
/// few kilobytes for a few seconds. Prometheus scrapes once every few seconds: nothing more is
/// needed, and no web framework comes into the AOT binary.
/// </summary>
internal sealed class PrometheusEndpoint : IAsyncDisposable
{
    private const int MaxRequest = 8192;
    private static readonly TimeSpan RequestTime = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly MeterCollector _collector;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private PrometheusEndpoint(Socket listener, MeterCollector collector)
    {
        _listener = listener;
        _collector = collector;
        _accepting = AcceptAsync();
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    /// <summary>Resolves a host name, binds and starts serving.</summary>
    /// <exception cref="SharpCatException">The host does not resolve, or the address cannot be bound (in use, …).</exception>
    public static PrometheusEndpoint Start(EndPoint at, MeterCollector collector)
    {
        var endPoint = at as IPEndPoint ?? Resolve((DnsEndPoint)at, "--metrics");
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(64);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new SharpCatException($"--metrics: bind({Shown(endPoint)}): {e.Message}");
        }
        return new PrometheusEndpoint(listener, collector);
    }

    /// <summary>A host name's address for a server of the program's: IPv4 first, as Go's listeners take localhost.</summary>
    /// <exception cref="SharpCatException">The name does not resolve.</exception>
    public static IPEndPoint Resolve(DnsEndPoint at, string option)
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
    /// The value of <c>--metrics=[HOST:]PORT</c> (or <c>--control</c>'s); HOST defaults to 127.0.0.1
    /// (the metrics and the control API are not for the network unless asked).
    /// </summary>
    /// <exception cref="SharpCatException">Not a port number.</exception>
    public static EndPoint ParseAddress(string value, string option = "--metrics")
    {
        int colon = value.LastIndexOf(':');
        string host = colon < 0 ? "127.0.0.1" : value[..colon];
        string port = value[(colon + 1)..];
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number))
            throw new SharpCatException($"{option}={value}: \"{port}\" is not a port number (0-65535)");
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0) throw new SharpCatException($"{option}={value}: no host before the port");
        // A name is resolved when the endpoint starts, not while the command line is read.
        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, number) : new DnsEndPoint(host, number);
    }

    private static string Shown(IPEndPoint ep) =>
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
                // Out of descriptors and the like: the relay matters more than a scrape.
                Log.Warn($"--metrics: accept(): {e.Message}");
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
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                limit.CancelAfter(RequestTime);
                string? requestLine = await ReadRequestAsync(client, limit.Token).ConfigureAwait(false);
                byte[] response = Answer(requestLine);
                await client.SendAsync(response, limit.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that went away or never finished its request: nothing to answer.
            }
        }
    }

    /// <summary>The request line, once the headers have ended; null when it is too long.</summary>
    private static async Task<string?> ReadRequestAsync(Socket client, CancellationToken cancel)
    {
        var buffer = new byte[MaxRequest];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(length), cancel).ConfigureAwait(false);
            if (n == 0) break;
            length += n;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                int line = buffer.AsSpan(0, end).IndexOf("\r\n"u8);
                return Encoding.ASCII.GetString(buffer, 0, line < 0 ? end : line);
            }
        }
        return null;
    }

    private byte[] Answer(string? requestLine)
    {
        string[] parts = requestLine?.Split(' ') ?? [];
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return Response("400 Bad Request", "text/plain; charset=utf-8", "bad request\n", head: false);
        bool head = parts[0] == "HEAD";
        if (parts[0] != "GET" && !head)
            return Response("405 Method Not Allowed", "text/plain; charset=utf-8", "GET only\n", head);
        string path = parts[1].Split('?')[0];
        if (path != "/metrics")
            return Response("404 Not Found", "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n", head);
        return Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", _collector.Render(), head);
    }

    private static byte[] Response(string status, string contentType, string body, bool head)
    {
        byte[] content = Encoding.UTF8.GetBytes(body);
        string header = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\n" +
            $"Content-Length: {content.Length}\r\nConnection: close\r\n\r\n";
        return head ? Encoding.ASCII.GetBytes(header) : [.. Encoding.ASCII.GetBytes(header), .. content];
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}
