using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Faults;

/// <summary>A <c>sharpcat --control</c> process on a port of the system's choosing, and an HTTP client for it.</summary>
public sealed partial class ControlServer : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly HttpClient _http = new() { Timeout = Bound };

    public LiveProcess Process { get; }
    public string Url { get; }

    private ControlServer(LiveProcess process, string url)
    {
        Process = process;
        Url = url;
    }

    public static async Task<ControlServer> StartAsync(params string[] more)
    {
        var p = LiveProcess.Start(Binaries.SharpCat, ["-d", "-d", "--control=127.0.0.1:0", .. more]);
        await p.WaitForStderrAsync(log => ApiLine().IsMatch(log) || p.HasExited, "the control API's address");
        var m = ApiLine().Match(p.StderrText);
        if (!m.Success) throw new InvalidOperationException($"no control API in the log:\n{p.StderrText}");
        return new ControlServer(p, m.Groups[1].Value);
    }

    [GeneratedRegex(@"control API \(toxiproxy [\d.]+\) on (http://\S+)")]
    private static partial Regex ApiLine();

    /// <summary>A request; the status and the body (parsed when it is JSON).</summary>
    public async Task<(int Status, JsonElement Body)> SendAsync(string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), Url + path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 && text.TrimStart()[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : AsJsonString(text);
        return ((int)response.StatusCode, body);
    }

    // A non-JSON body as a JSON string, so that every answer has one shape.
    private static JsonElement AsJsonString(string text)
    {
        using var doc = JsonDocument.Parse("\"" + JsonEncodedText.Encode(text) + "\"");
        return doc.RootElement.Clone();
    }

    /// <summary>Makes a proxy to <paramref name="upstream"/> and returns the port it listens on.</summary>
    public async Task<int> ProxyAsync(string name, string upstream, string listen = "127.0.0.1:0")
    {
        var (status, body) = await SendAsync("POST", "/proxies", $$"""{"name":"{{name}}","listen":"{{listen}}","upstream":"{{upstream}}"}""");
        if (status != 201) throw new InvalidOperationException($"proxy {name}: {status} {body}");
        string bound = body.GetProperty("listen").GetString()!;
        return int.Parse(bound[(bound.LastIndexOf(':') + 1)..]);
    }

    public async Task ToxicAsync(string proxy, string json)
    {
        var (status, body) = await SendAsync("POST", $"/proxies/{proxy}/toxics", json);
        if (status != 200) throw new InvalidOperationException($"toxic on {proxy}: {status} {body}");
    }

    public static async Task<Socket> ConnectAsync(int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
        return client;
    }

    public void Dispose()
    {
        _http.Dispose();
        Process.Dispose();
    }
}
