using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Metrics;

/// <summary>
/// <c>--metrics</c>: the program's figures in Prometheus' text format, checked by number, by
/// <c>promtool</c>, and by a real Prometheus server scraping them.
/// </summary>
public class PrometheusEndpointTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly int[] Sizes = [100, 200, 300]; // 600 bytes each way in all

    private static async Task<(HttpStatusCode Status, string ContentType, string Body)> GetAsync(int port, string path)
    {
        using var http = new HttpClient { Timeout = Bound };
        using var response = await http.GetAsync($"http://127.0.0.1:{port}{path}");
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
    }

    /// <summary>A sharpcat fork relay to an echo server, with metrics; the connections of <see cref="Sizes"/> made and ended.</summary>
    private static async Task<(LiveProcess Relay, EchoServer Echo, int MetricsPort)> RelayWithTrafficAsync()
    {
        var echo = new EchoServer();
        int port = FreePorts.Next(), metricsPort = FreePorts.Next();
        var relay = LiveProcess.SharpCat("-d", "-d", $"--metrics=127.0.0.1:{metricsPort}",
            $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP4:127.0.0.1:{echo.Port}");
        await relay.WaitForStderrAsync("listening on");
        foreach (int size in Sizes)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
            await client.SendAsync(new byte[size]).WaitAsync(Bound);
            client.Shutdown(SocketShutdown.Send);
            int received = 0, n;
            var buffer = new byte[4096];
            while ((n = await client.ReceiveAsync(buffer).WaitAsync(Bound)) > 0) received += n;
            Assert.Equal(size, received);
        }
        // The relay's side of the last connection ends a moment after the client's.
        var deadline = DateTime.UtcNow + Bound;
        while (!(await GetAsync(metricsPort, "/metrics")).Body.Contains("sharpcat_connection_duration_seconds_count 3\n"))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the three connections did not end; stderr:\n" + relay.StderrText);
            await Task.Delay(20);
        }
        return (relay, echo, metricsPort);
    }

    [Fact]
    public async Task TheScrapeHasTheFiguresAndPromtoolFindsNoProblem()
    {
        var (relay, echo, metricsPort) = await RelayWithTrafficAsync();
        using var _ = relay;
        using var __ = echo;
        var (status, contentType, body) = await GetAsync(metricsPort, "/metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        string[] lines = body.Split('\n');
        Assert.Contains("# TYPE sharpcat_bytes_total counter", lines);
        Assert.Contains("sharpcat_bytes_total{direction=\"left_to_right\"} 600", lines);
        Assert.Contains("sharpcat_bytes_total{direction=\"right_to_left\"} 600", lines);
        Assert.Contains("# TYPE sharpcat_connections_open gauge", lines);
        Assert.Contains("sharpcat_connections_open 0", lines);
        Assert.Contains("sharpcat_connections_total 3", lines);
        Assert.Contains("sharpcat_connection_ends_total{direction=\"left_to_right\",end=\"eof\"} 3", lines);
        Assert.Contains("sharpcat_connection_ends_total{direction=\"right_to_left\",end=\"eof\"} 3", lines);
        Assert.Contains("# TYPE sharpcat_connection_duration_seconds histogram", lines);
        Assert.Contains("sharpcat_connection_duration_seconds_bucket{le=\"+Inf\"} 3", lines);
        Assert.Contains(lines, l => l.StartsWith("sharpcat_connection_duration_seconds_sum ", StringComparison.Ordinal));

        var check = await Run.ProgramAsync("promtool", ["check", "metrics"], Encoding.UTF8.GetBytes(body), Bound);
        Assert.True(check.ExitCode == 0, $"promtool: {check}\n{check.StdoutText}\n{body}");
        Assert.Equal("", check.StdoutText + check.StderrText);

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(metricsPort, "/")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(metricsPort, "/metrics/x")).Status);
    }

    [Fact]
    public async Task APrometheusServerScrapesTheBytes()
    {
        var (relay, echo, metricsPort) = await RelayWithTrafficAsync();
        using var _ = relay;
        using var __ = echo;
        using var dir = new TempDir();
        int webPort = FreePorts.Next();
        File.WriteAllText(dir["prometheus.yml"], $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: sharpcat
                static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
            """);
        using var prometheus = LiveProcess.Start("prometheus", $"--config.file={dir["prometheus.yml"]}",
            $"--storage.tsdb.path={dir["data"]}", $"--web.listen-address=127.0.0.1:{webPort}");
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string last = "";
            while (true)
            {
                try
                {
                    last = await http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/query?query=sharpcat_bytes_total");
                    if (BytesInQuery(last, "left_to_right") == "600" && BytesInQuery(last, "right_to_left") == "600") break;
                }
                catch (HttpRequestException) { } // not listening yet
                if (prometheus.HasExited || DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Prometheus did not report the bytes; last answer: {last}\n{prometheus.StderrText}");
                await Task.Delay(100);
            }
        }
        finally
        {
            if (!prometheus.HasExited) prometheus.Signal(15);
            await prometheus.WaitForExitAsync();
        }
    }

    /// <summary>The value of <c>sharpcat_bytes_total{direction=…}</c> in a query answer, or null.</summary>
    private static string? BytesInQuery(string json, string direction)
    {
        using var doc = JsonDocument.Parse(json);
        foreach (var r in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
            if (r.GetProperty("metric").TryGetProperty("direction", out var d) && d.GetString() == direction)
                return r.GetProperty("value")[1].GetString();
        return null;
    }

    [Fact]
    public async Task APortInUseIsAnErrorBeforeTheRelayStarts()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int taken = ((IPEndPoint)holder.LocalEndPoint!).Port, port = FreePorts.Next();
        var r = await Run.SharpCatAsync("-d", "-d", $"--metrics={taken}", $"TCP4-LISTEN:{port},bind=127.0.0.1", "TCP4:127.0.0.1:9");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"E --metrics: bind(127.0.0.1:{taken}): Address already in use", r.LogLines);
        Assert.DoesNotContain(r.LogLines, l => l.Contains("listening on"));
    }

    [Theory]
    [InlineData("--metrics=http", "E --metrics=http: \"http\" is not a port number (0-65535)")]
    [InlineData("--metrics=127.0.0.1:70000", "E --metrics=127.0.0.1:70000: \"70000\" is not a port number (0-65535)")]
    [InlineData("--metrics=:9464", "E --metrics=:9464: no host before the port")]
    [InlineData("--metrics", "E option --metrics requires a value: --metrics=[<host>:]<port>")]
    public async Task ABadAddressIsRefused(string option, string error)
    {
        var r = await Run.SharpCatAsync(option, "TCP4-LISTEN:1,bind=127.0.0.1", "TCP4:127.0.0.1:9");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(error, r.LogLines);
    }
}
