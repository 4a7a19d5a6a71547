using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Faults;

/// <summary>
/// <c>sharpcat --control</c>, toxiproxy's HTTP API: its status codes and JSON errors for bad
/// requests (leaving nothing half-made), and each toxic measured on the wire by a client of the
/// proxy: a rate, slices, a late end of file, silence then a close, a reset, a byte limit; a proxy
/// over a UNIX socket; the config file; the seed's draws repeating.
/// </summary>
public class ControlApiTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>A control server with one proxy to an echo server, the toxic on it, and a client connected through it.</summary>
    private sealed class Toxified : IDisposable
    {
        public EchoServer Echo { get; } = new();
        public ControlServer Control { get; private set; } = null!;
        public Socket Client { get; private set; } = null!;
        // Started before the connect: a toxic's timer starts when the relay accepts, which may be
        // before ConnectAsync returns here, so a stopwatch started after it would read short.
        public Stopwatch SinceConnect { get; private set; } = null!;

        public static async Task<Toxified> StartAsync(string toxic)
        {
            var t = new Toxified();
            t.Control = await ControlServer.StartAsync();
            int port = await t.Control.ProxyAsync("p", $"127.0.0.1:{t.Echo.Port}");
            await t.Control.ToxicAsync("p", toxic);
            t.SinceConnect = Stopwatch.StartNew();
            t.Client = await ControlServer.ConnectAsync(port);
            return t;
        }

        public void Dispose()
        {
            Client?.Dispose();
            Control?.Dispose();
            Echo.Dispose();
        }
    }

    private static async Task<int> ReadAllAsync(Socket s, int atMost = int.MaxValue)
    {
        var buffer = new byte[65536];
        int got = 0, n;
        while (got < atMost && (n = await s.ReceiveAsync(buffer).WaitAsync(Bound)) > 0) got += n;
        return got;
    }

    [Fact]
    public async Task BadRequestsGetToxiproxysStatusesAndLeaveNothingBehind()
    {
        using var echo = new EchoServer();
        using var control = await ControlServer.StartAsync();
        await control.ProxyAsync("db", $"127.0.0.1:{echo.Port}");
        async Task Expect(int status, string method, string path, string? json, string error)
        {
            var (got, body) = await control.SendAsync(method, path, json);
            Assert.Equal(status, got);
            Assert.Equal(status, body.GetProperty("status").GetInt32());
            Assert.Contains(error, body.GetProperty("error").GetString());
        }
        await Expect(400, "POST", "/proxies", "{bad", "bad request body");
        await Expect(400, "POST", "/proxies", """{"listen":"127.0.0.1:0","upstream":"x:1"}""", "missing required field: name");
        await Expect(400, "POST", "/proxies", """{"name":"x","listen":"127.0.0.1:0"}""", "missing required field: upstream");
        await Expect(409, "POST", "/proxies", """{"name":"db","upstream":"x:1"}""", "proxy already exists");
        await Expect(404, "GET", "/proxies/nope", null, "proxy not found");
        await Expect(404, "DELETE", "/proxies/nope/toxics/latency_downstream", null, "proxy not found");
        await Expect(404, "GET", "/proxies/db/toxics/nope", null, "toxic not found");
        await Expect(400, "POST", "/proxies/db/toxics", """{"type":"lag"}""", "invalid toxic type");
        await Expect(400, "POST", "/proxies/db/toxics", """{"type":"latency","stream":"sideways"}""", "stream was invalid");
        await Expect(400, "POST", "/proxies/db/toxics", """{"type":"latency","toxicity":1.5}""", "not a probability");
        await Expect(400, "POST", "/proxies/db/toxics", """{"type":"latency","attributes":{"latency":-5}}""", "negative");
        await Expect(400, "POST", "/proxies/db/toxics", """{"type":"latency","attributes":{"latency":"slow"}}""", "not a number");
        // A port that is taken: toxiproxy's 500, and no proxy of that name afterwards.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        await Expect(500, "POST", "/proxies", $$"""{"name":"clash","listen":"127.0.0.1:{{port}}","upstream":"127.0.0.1:1"}""", "Address already in use");
        await Expect(404, "GET", "/proxies/clash", null, "proxy not found");
        var (listed, all) = await control.SendAsync("GET", "/proxies");
        Assert.Equal(200, listed);
        Assert.Equal(["db"], all.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, all.GetProperty("db").GetProperty("toxics").GetArrayLength());
        Assert.Equal(405, (await control.SendAsync("PUT", "/proxies/db")).Status);
        Assert.Equal(404, (await control.SendAsync("GET", "/nowhere")).Status);
    }

    [Fact]
    public async Task ABrowserIsRefused()
    {
        using var control = await ControlServer.StartAsync();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64)");
        using var response = await http.GetAsync(control.Url + "/proxies");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task BandwidthPacesWhatTheClientReceives()
    {
        using var t = await Toxified.StartAsync("""{"type":"bandwidth","attributes":{"rate":100}}""");
        var client = t.Client;
        var watch = Stopwatch.StartNew();
        await client.SendAsync(new byte[200_000]);
        Assert.Equal(200_000, await ReadAllAsync(client, 200_000));
        // 200 000 bytes at 100 KB/s: 2 s, less the last read's share (8192 bytes).
        Assert.InRange(watch.Elapsed.TotalSeconds, (200_000 - 8192) / 100_000.0, 15);
    }

    [Fact]
    public async Task SlicerCutsWritesIntoSeparateReads()
    {
        using var t = await Toxified.StartAsync("""{"type":"slicer","attributes":{"average_size":10,"size_variation":4,"delay":50000}}""");
        var client = t.Client;
        await client.SendAsync(new byte[100]);
        var reads = new List<int>();
        var buffer = new byte[1000];
        for (int got = 0; got < 100;)
        {
            int n = await client.ReceiveAsync(buffer).WaitAsync(Bound);
            reads.Add(n);
            got += n;
        }
        // Pieces of 6 to 14 bytes, 50 ms apart: several reads (a busy host may merge some).
        Assert.True(reads.Count >= 3, string.Join(",", reads));
        Assert.Contains("slices of 10 ± 4 bytes every 0.05 s", t.Control.Process.StderrText);
    }

    [Fact]
    public async Task SlowCloseDelaysTheEndOfTheStream()
    {
        using var t = await Toxified.StartAsync("""{"type":"slow_close","attributes":{"delay":600}}""");
        var client = t.Client;
        await client.SendAsync(Encoding.ASCII.GetBytes("bye\n"));
        var watch = Stopwatch.StartNew();
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(4, await ReadAllAsync(client));
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.6, 15);
    }

    [Fact]
    public async Task TimeoutDropsEverythingThenCloses()
    {
        using var t = await Toxified.StartAsync("""{"type":"timeout","attributes":{"timeout":700}}""");
        var client = t.Client;
        var watch = t.SinceConnect;
        await client.SendAsync(Encoding.ASCII.GetBytes("anyone there?\n"));
        Assert.Equal(0, await ReadAllAsync(client));
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.7, 15);
    }

    [Fact]
    public async Task ResetPeerResetsTheConnection()
    {
        using var t = await Toxified.StartAsync("""{"type":"reset_peer","attributes":{"timeout":300}}""");
        var client = t.Client;
        var watch = t.SinceConnect;
        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        var e = await Assert.ThrowsAsync<SocketException>(async () => await ReadAllAsync(client));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.3, 15);
    }

    [Fact]
    public async Task LimitDataEndsEachDirectionAfterItsBytes()
    {
        using var t = await Toxified.StartAsync("""{"type":"limit_data","attributes":{"bytes":1000}}""");
        var client = t.Client;
        await client.SendAsync(new byte[5000]);
        Assert.Equal(1000, await ReadAllAsync(client));
        // Upstream: the server receives 300 bytes of what the client sends, then the end of the stream.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        int up = await t.Control.ProxyAsync("ld-up", $"127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}");
        await t.Control.ToxicAsync("ld-up", """{"type":"limit_data","stream":"upstream","attributes":{"bytes":300}}""");
        using var second = await ControlServer.ConnectAsync(up);
        await second.SendAsync(new byte[5000]);
        using var accepted = await server.AcceptAsync().WaitAsync(Bound);
        Assert.Equal(300, await ReadAllAsync(accepted));
    }

    [Fact]
    public async Task ToxicsChangeOpenConnectionsAndDisablingCutsThem()
    {
        using var echo = new EchoServer();
        using var control = await ControlServer.StartAsync();
        int port = await control.ProxyAsync("live", $"127.0.0.1:{echo.Port}");
        using var client = await ControlServer.ConnectAsync(port);
        async Task<double> RoundTripAsync()
        {
            var watch = Stopwatch.StartNew();
            await client.SendAsync(Encoding.ASCII.GetBytes("x"));
            Assert.Equal(1, await ReadAllAsync(client, 1));
            return watch.Elapsed.TotalSeconds;
        }
        Assert.InRange(await RoundTripAsync(), 0, 5);
        await control.ToxicAsync("live", """{"name":"lag","type":"latency","attributes":{"latency":500}}""");
        Assert.InRange(await RoundTripAsync(), 0.5, 10);
        // An update to a toxic reaches the same connection.
        Assert.Equal(200, (await control.SendAsync("PATCH", "/proxies/live/toxics/lag", """{"attributes":{"latency":900}}""")).Status);
        Assert.InRange(await RoundTripAsync(), 0.9, 10);
        Assert.Equal(204, (await control.SendAsync("DELETE", "/proxies/live/toxics/lag")).Status);
        await RoundTripAsync();
        Assert.Equal(200, (await control.SendAsync("POST", "/proxies/live", """{"enabled":false}""")).Status);
        Assert.Equal(0, await ReadAllAsync(client));
        var refused = await Assert.ThrowsAsync<SocketException>(() => ControlServer.ConnectAsync(port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        // reset: enabled again, without toxics.
        Assert.Equal(204, (await control.SendAsync("POST", "/reset")).Status);
        using var again = await ControlServer.ConnectAsync(port);
        await again.SendAsync(new byte[3]);
        Assert.Equal(3, await ReadAllAsync(again, 3));
    }

    [Fact]
    public async Task AProxyCanBeAnySharpCatAddress()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        using var control = await ControlServer.StartAsync();
        var (status, body) = await control.SendAsync("POST", "/proxies",
            $$"""{"name":"unix","listen":"UNIX-LISTEN:{{dir["s"]}}","upstream":"TCP4:127.0.0.1:{{echo.Port}}"}""");
        Assert.Equal(201, status);
        Assert.Equal($"UNIX-LISTEN:{dir["s"]}", body.GetProperty("listen").GetString());
        await control.ToxicAsync("unix", """{"type":"limit_data","attributes":{"bytes":3}}""");
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(dir["s"])).WaitAsync(Bound);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        Assert.Equal(3, await ReadAllAsync(client));
        // Not an address: refused, with nothing made.
        var (bad, error) = await control.SendAsync("POST", "/proxies", """{"name":"bad","listen":"UNIX-LISTEN","upstream":"127.0.0.1:1"}""");
        Assert.Equal(500, bad);
        Assert.Equal(404, (await control.SendAsync("GET", "/proxies/bad")).Status);
        Assert.Contains("UNIX-LISTEN", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ADatagramProxyLosesTheShareOfItsLossToxic()
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var control = await ControlServer.StartAsync("--fault-seed=5");
        int port = FreePorts.Next();
        var (status, _) = await control.SendAsync("POST", "/proxies",
            $$"""{"name":"udp","listen":"UDP4-LISTEN:{{port}},bind=127.0.0.1","upstream":"UDP4:127.0.0.1:{{((IPEndPoint)sink.LocalEndPoint!).Port}}"}""");
        Assert.Equal(201, status);
        await control.ToxicAsync("udp", """{"type":"loss","stream":"upstream","attributes":{"probability":0.5}}""");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(IPAddress.Loopback, port);
        for (int i = 0; i < 200; i++) await client.SendAsync(BitConverter.GetBytes(i));
        int got = 0;
        var buffer = new byte[100];
        while (true)
        {
            var next = sink.ReceiveAsync(buffer);
            if (await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(1))) != next) break;
            await next;
            got++;
        }
        // Half of 200 lost: outside 60–140 is a 1-in-10^8 event for a fair draw.
        Assert.InRange(got, 60, 140);
        await control.Process.WaitForStderrAsync("fault \"loss_upstream\" on what is written to");
    }

    [Fact]
    public async Task TheConfigFileMakesTheProxiesAtStart()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        File.WriteAllText(dir["toxiproxy.json"], $$"""[{"name":"one","listen":"127.0.0.1:0","upstream":"127.0.0.1:{{echo.Port}}"},{"name":"two","listen":"127.0.0.1:0","upstream":"127.0.0.1:1","enabled":false}]""");
        using var control = await ControlServer.StartAsync($"--config={dir["toxiproxy.json"]}");
        var (_, all) = await control.SendAsync("GET", "/proxies");
        Assert.True(all.GetProperty("one").GetProperty("enabled").GetBoolean());
        Assert.False(all.GetProperty("two").GetProperty("enabled").GetBoolean());
        File.WriteAllText(dir["bad.json"], """[{"name":"three"}]""");
        var r = await Run.SharpCatAsync("--control=127.0.0.1:0", $"--config={dir["bad.json"]}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("missing required field: upstream at proxy 1", Assert.Single(r.LogLines));
        r = await Run.SharpCatAsync("--control=127.0.0.1:0", "TCP:127.0.0.1:1", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("takes no addresses", Assert.Single(r.LogLines));
    }

    [Fact]
    public async Task TheSeedDecidesWhichConnectionsAToxicReaches()
    {
        static async Task<string[]> DrawsAsync()
        {
            using var echo = new EchoServer();
            using var control = await ControlServer.StartAsync("--fault-seed=7");
            int port = await control.ProxyAsync("half", $"127.0.0.1:{echo.Port}");
            await control.ToxicAsync("half", """{"name":"lag","type":"latency","toxicity":0.5,"attributes":{"latency":1}}""");
            for (int i = 0; i < 16; i++)
            {
                using var client = await ControlServer.ConnectAsync(port);
                await client.SendAsync(new byte[1]);
                Assert.Equal(1, await ReadAllAsync(client, 1));
            }
            await control.Process.WaitForStderrAsync(s => Regex.Matches(s, @"relay \d+ finished").Count == 16, "16 connections");
            return Regex.Matches(control.Process.StderrText, @"relay (\d+): fault ""lag""").Select(m => m.Groups[1].Value).Order().ToArray();
        }
        string[] first = await DrawsAsync(), again = await DrawsAsync();
        Assert.Equal(first, again);
        Assert.InRange(first.Length, 1, 15);
    }
}
