using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Faults;

/// <summary>
/// The fault options, each measured on the wire by a client of the relay: the delay of a reply,
/// the time a transfer takes at a rate (lower bounds are exact, upper ones generous), slices as
/// separate reads, a stall as silence on an open connection, a reset as ECONNRESET, a close as an
/// end of file after exactly the bytes given; the seed's draws repeat.
/// </summary>
public class FaultTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>A fork relay from a TCP port to an echo server, with the faults on the first address (what the client receives).</summary>
    private sealed class FaultyRelay : IDisposable
    {
        private readonly EchoServer _echo = new();

        public LiveProcess Relay { get; private set; } = null!;
        public int Port { get; private set; }

        public static async Task<FaultyRelay> StartAsync(string faults)
        {
            var r = new FaultyRelay();
            (r.Relay, r.Port) = await Listeners.SharpCatAsync("-d", "-d", $"TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,{faults}", $"TCP4:127.0.0.1:{r._echo.Port}");
            return r;
        }

        /// <summary>A client that sent 5000 bytes and has read the 1000 echoed before a fault fires.</summary>
        public async Task<Socket> ClientPastTheFirst1000BytesAsync()
        {
            var client = await ConnectAsync(Port);
            await client.SendAsync(new byte[5000]);
            await ReadAsync(client, 1000);
            return client;
        }

        public void Dispose()
        {
            Relay?.Dispose();
            _echo.Dispose();
        }
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
        return client;
    }

    /// <summary>Reads until <paramref name="count"/> bytes arrived; the sizes of the reads.</summary>
    private static async Task<List<int>> ReadAsync(Socket s, int count)
    {
        var reads = new List<int>();
        var buffer = new byte[65536];
        for (int got = 0; got < count;)
        {
            int n = await s.ReceiveAsync(buffer).WaitAsync(Bound);
            if (n == 0) throw new EndOfStreamException($"end of file after {got} of {count} bytes");
            reads.Add(n);
            got += n;
        }
        return reads;
    }

    [Fact]
    public async Task LatencyDelaysTheReplyWithoutCappingThroughput()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-latency=0.3");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await ConnectAsync(port);
        var watch = Stopwatch.StartNew();
        await client.SendAsync(Encoding.ASCII.GetBytes("ping\n"));
        await ReadAsync(client, 5);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.3, 10);
        // 64 writes in flight each wait 0.3 s, not 64 × 0.3 s: latency, not a rate.
        watch.Restart();
        await client.SendAsync(new byte[1_000_000]);
        await ReadAsync(client, 1_000_000);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.3, 10);
        Assert.Contains("faults on what is written to socket 1: latency 0.3 s", relay.StderrText);
    }

    [Fact]
    public async Task RateLimitsTheBytesPerSecond()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-rate=200000");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await ConnectAsync(port);
        var watch = Stopwatch.StartNew();
        var sending = client.SendAsync(new byte[400_000]);
        await ReadAsync(client, 400_000);
        await sending;
        // 400 000 bytes at 200 000 bytes/s: the last read (at most -b, 8192 bytes) leaves 2 s after
        // the first byte, less its own share.
        Assert.InRange(watch.Elapsed.TotalSeconds, (400_000 - 8192) / 200_000.0, 15);
    }

    [Fact]
    public async Task SlicesArriveAsSeparateReads()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-slice=10,fault-slice-delay=0.05");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await ConnectAsync(port);
        var watch = Stopwatch.StartNew();
        await client.SendAsync(new byte[100]);
        var reads = await ReadAsync(client, 100);
        // Ten slices 0.05 s apart: the last leaves 0.45 s after the first. A reader that falls
        // behind (a busy test host) finds several slices at once, but never part of one.
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.45, 15);
        Assert.All(reads, n => Assert.Equal(0, n % 10));
        Assert.True(reads.Count > 1, string.Join(",", reads));
    }

    [Fact]
    public async Task AStallKeepsTheConnectionOpenAndSilent()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-stall=1000");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await faulty.ClientPastTheFirst1000BytesAsync();
        await relay.WaitForStderrAsync("stall: nothing more is written after 1000 bytes");
        // Silence, and no end of file or reset, for as long as the client cares to wait.
        var more = client.ReceiveAsync(new byte[100]);
        Assert.False(await Task.WhenAny(more, Task.Delay(TimeSpan.FromSeconds(1))) == more, "bytes or an end after the stall");
        Assert.True(client.Connected);
    }

    [Fact]
    public async Task AResetCutsTheConnectionAfterTheBytesGiven()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-reset=1000");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await faulty.ClientPastTheFirst1000BytesAsync();
        var e = await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(new byte[100]).WaitAsync(Bound));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        await relay.WaitForStderrAsync("reset after 1000 bytes by a fault");
    }

    [Fact]
    public async Task ACloseEndsTheStreamAfterTheBytesGiven()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-close=1000");
        var (relay, port) = (faulty.Relay, faulty.Port);
        using var client = await faulty.ClientPastTheFirst1000BytesAsync();
        Assert.Equal(0, await client.ReceiveAsync(new byte[100]).WaitAsync(Bound));
    }

    [Fact]
    public async Task TimedFaultsFireWithoutAWrite()
    {
        // A reset 0.5 s into the connection, with nothing moving at that moment.
        using (var faulty = await FaultyRelay.StartAsync("fault-reset-time=0.5"))
        {
            using var client = await ConnectAsync(faulty.Port);
            var watch = Stopwatch.StartNew();
            await client.SendAsync(new byte[10]);
            await ReadAsync(client, 10);
            var e = await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(new byte[100]).WaitAsync(Bound));
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
            Assert.InRange(watch.Elapsed.TotalSeconds, 0.45, 15);
        }
        using (var faulty = await FaultyRelay.StartAsync("fault-close-time=0.5"))
        {
            using var client = await ConnectAsync(faulty.Port);
            var watch = Stopwatch.StartNew();
            Assert.Equal(0, await client.ReceiveAsync(new byte[100]).WaitAsync(Bound));
            Assert.InRange(watch.Elapsed.TotalSeconds, 0.45, 15);
        }
    }

    [Fact]
    public async Task ATimedStallSilencesAnOpenConnection()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-stall-time=0.3");
        using var client = await ConnectAsync(faulty.Port);
        await client.SendAsync(new byte[10]);
        await ReadAsync(client, 10);
        await faulty.Relay.WaitForStderrAsync(s => s.Contains("stall after 0.3 s"), "the fault's notice");
        await Task.Delay(TimeSpan.FromSeconds(0.4));
        await client.SendAsync(new byte[10]);
        var more = client.ReceiveAsync(new byte[100]);
        Assert.False(await Task.WhenAny(more, Task.Delay(TimeSpan.FromSeconds(1))) == more, "bytes or an end after the stall");
        await faulty.Relay.WaitForStderrAsync("stall: nothing more is written after 10 bytes");
    }

    [Fact]
    public async Task SlowCloseDelaysTheEndOfFile()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-slow-close=0.6");
        using var client = await ConnectAsync(faulty.Port);
        await client.SendAsync(Encoding.ASCII.GetBytes("bye"));
        await ReadAsync(client, 3);
        var watch = Stopwatch.StartNew();
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await client.ReceiveAsync(new byte[100]).WaitAsync(Bound));
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.6, 15);
    }

    [Fact]
    public async Task DiscardDropsWhatIsWrittenAndKeepsTheConnection()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-discard");
        using var client = await ConnectAsync(faulty.Port);
        await client.SendAsync(new byte[1000]);
        var more = client.ReceiveAsync(new byte[100]);
        Assert.False(await Task.WhenAny(more, Task.Delay(TimeSpan.FromSeconds(1))) == more, "bytes or an end despite fault-discard");
        client.Shutdown(SocketShutdown.Send);
        await faulty.Relay.WaitForStderrAsync("faults: 1000 bytes dropped");
    }

    [Fact]
    public async Task SliceSizesVaryWithinTheVariation()
    {
        using var faulty = await FaultyRelay.StartAsync("fault-slice=20,fault-slice-variation=5,fault-slice-delay=0.03,fault-seed=3");
        using var client = await ConnectAsync(faulty.Port);
        await client.SendAsync(new byte[400]);
        var reads = await ReadAsync(client, 400);
        Assert.True(reads.Count > 1, string.Join(",", reads));
        Assert.Contains("slices of 20 ± 5 bytes every 0.03 s", faulty.Relay.StderrText);
    }

    [Fact]
    public async Task FaultsWorkOnUnixSockets()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]},fork,fault-close=3", $"TCP4:127.0.0.1:{echo.Port}");
        await Wait.UntilAsync(() => File.Exists(dir["s"]));
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(dir["s"])).WaitAsync(Bound);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        var buffer = new byte[100];
        int got = 0, n;
        while ((n = await client.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Bound)) > 0) got += n;
        Assert.Equal("hel", Encoding.ASCII.GetString(buffer, 0, got));
    }

    [Fact]
    public async Task FaultsWorkOnTlsAndActOnThePlainBytes()
    {
        using var echo = new EchoServer();
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d",
            $"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert={certs["server-full.pem"]},verify=0,fault-close=4", $"TCP4:127.0.0.1:{echo.Port}");
        using var _ = relay;
        var r = await Run.SocatAsync(Encoding.ASCII.GetBytes("hello\n"), "-t", "5", "-", $"OPENSSL:127.0.0.1:{port},verify=0");
        Assert.Equal("hell", r.StdoutText);
    }

    /// <summary>
    /// Each stream fault over a UNIX socket and over TLS, as the client sees it: the fault acts on
    /// the plain bytes the relay writes, whatever carries them.
    /// </summary>
    [Theory]
    [InlineData("unix", "fault-latency=0.3", "delay")]
    [InlineData("unix", "fault-rate=20000", "delay")]
    [InlineData("unix", "fault-reset=3", "reset")]
    [InlineData("unix", "fault-reset-time=0.3", "reset")]
    [InlineData("unix", "fault-close-time=0.3", "eof")]
    [InlineData("unix", "fault-stall=3", "stall")]
    [InlineData("unix", "fault-discard", "stall")]
    [InlineData("unix", "fault-slow-close=0.3", "late-eof")]
    [InlineData("tls", "fault-latency=0.3", "delay")]
    [InlineData("tls", "fault-rate=20000", "delay")]
    [InlineData("tls", "fault-reset=3", "reset")]
    [InlineData("tls", "fault-reset-time=0.3", "reset")]
    [InlineData("tls", "fault-close-time=0.3", "eof")]
    [InlineData("tls", "fault-stall=3", "stall")]
    [InlineData("tls", "fault-discard", "stall")]
    [InlineData("tls", "fault-slow-close=0.3", "late-eof")]
    public async Task StreamFaultsActOnUnixSocketsAndTls(string transport, string fault, string seen)
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        // 6000 bytes at 20 000 bytes/s take 0.3 s at least.
        byte[] payload = new byte[6000];
        LiveProcess relay;
        Stream client;
        if (transport == "unix")
        {
            relay = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]},fork,{fault}", $"TCP4:127.0.0.1:{echo.Port}");
            await Wait.UntilAsync(() => File.Exists(dir["s"]));
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(dir["s"])).WaitAsync(Bound);
            client = new NetworkStream(socket, ownsSocket: true);
        }
        else
        {
            int port;
            (relay, port) = await Listeners.SharpCatAsync("-d", "-d",
                $"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert={certs["server-full.pem"]},verify=0,{fault}", $"TCP4:127.0.0.1:{echo.Port}");
            var tcp = await ConnectAsync(port);
            var tls = new System.Net.Security.SslStream(new NetworkStream(tcp, ownsSocket: true), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("localhost").WaitAsync(Bound);
            client = tls;
        }
        using var _ = relay;
        await using var __ = client;
        var watch = Stopwatch.StartNew();
        await client.WriteAsync(payload);
        var buffer = new byte[65536];
        async Task<int> ReadToEndAsync()
        {
            int got = 0, n;
            while ((n = await client.ReadAsync(buffer).AsTask().WaitAsync(Bound)) > 0) got += n;
            return got;
        }
        switch (seen)
        {
            case "delay":
                for (int got = 0; got < payload.Length;) got += await client.ReadAsync(buffer).AsTask().WaitAsync(Bound);
                Assert.InRange(watch.Elapsed.TotalSeconds, 0.28, 15);
                break;
            case "reset" when transport == "unix":
                // A UNIX socket has no RST: its peer sees the end of the stream (ECONNRESET only
                // when unread data was dropped), right after the bytes the fault let through.
                int before;
                try { before = await ReadToEndAsync(); }
                catch (IOException io) when (io.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }) { before = -1; }
                int expected = fault.StartsWith("fault-reset=", StringComparison.Ordinal) ? 3 : payload.Length;
                Assert.True(before == -1 || before == expected, $"{before} bytes before the end, {expected} expected");
                await relay.WaitForStderrAsync("resetting the connection");
                break;
            case "reset":
                await Assert.ThrowsAnyAsync<IOException>(ReadToEndAsync);
                await relay.WaitForStderrAsync("resetting the connection");
                break;
            case "eof":
                Assert.Equal(payload.Length, await ReadToEndAsync());
                Assert.InRange(watch.Elapsed.TotalSeconds, 0.28, 15);
                break;
            case "stall":
                int first = fault == "fault-discard" ? 0 : 3;
                for (int got = 0; got < first;) got += await client.ReadAsync(buffer).AsTask().WaitAsync(Bound);
                var more = client.ReadAsync(buffer).AsTask();
                Assert.False(await Task.WhenAny(more, Task.Delay(TimeSpan.FromSeconds(0.8))) == more, "bytes or an end through the fault");
                break;
            case "late-eof":
                for (int got = 0; got < payload.Length;) got += await client.ReadAsync(buffer).AsTask().WaitAsync(Bound);
                watch.Restart();
                if (client is NetworkStream ns) ns.Socket.Shutdown(SocketShutdown.Send);
                else await ((System.Net.Security.SslStream)client).ShutdownAsync();
                Assert.Equal(0, await ReadToEndAsync());
                Assert.InRange(watch.Elapsed.TotalSeconds, 0.28, 15);
                break;
        }
    }

    [Fact]
    public async Task TheSeedDecidesWhichConnectionsGetFaults()
    {
        static async Task<string[]> DrawsAsync(string seed)
        {
            using var faulty = await FaultyRelay.StartAsync($"fault-latency=0.001,fault-probability=0.5,fault-seed={seed}");
            var (relay, port) = (faulty.Relay, faulty.Port);
            for (int i = 0; i < 16; i++)
            {
                using var client = await ConnectAsync(port);
                await client.SendAsync(new byte[1]);
                await ReadAsync(client, 1);
            }
            await relay.WaitForStderrAsync(s => Regex.Matches(s, @"relay \d+: (faults on|no fault on)").Count == 16, "16 draws");
            relay.Signal(15);
            await relay.WaitForExitAsync();
            return Regex.Matches(relay.StderrText, @"relay (\d+): (faults on|no fault on)").Select(m => $"{m.Groups[1]} {m.Groups[2]}").Order().ToArray();
        }
        string[] first = await DrawsAsync("42"), again = await DrawsAsync("42");
        Assert.Equal(first, again);
        Assert.Contains(first, d => d.EndsWith("faults on", StringComparison.Ordinal));
        Assert.Contains(first, d => d.EndsWith("no fault on", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TCP4:127.0.0.1:9,fault-probability=1.5,fault-close=1", "is not a probability (0 to 1)")]
    [InlineData("TCP4:127.0.0.1:9,fault-jitter=0.1", "qualifies a fault, and none is given")]
    [InlineData("TCP4:127.0.0.1:9,fault-close=5,fault-jitter=0.1", "varies fault-latency, which is not given")]
    [InlineData("TCP4:127.0.0.1:9,fault-close=5,fault-slice-delay=0.1", "paces fault-slice, which is not given")]
    [InlineData("TCP4:127.0.0.1:9,fault-rate=0", "out of range 1..")]
    [InlineData("TCP4:127.0.0.1:9,fault-latency=-1", "fault-latency")]
    [InlineData("UDP4:127.0.0.1:9,fault-close=10", "acts on a byte stream, and this address moves datagrams")]
    [InlineData("TCP4:127.0.0.1:9,fault-loss=0.1", "acts on datagrams, and this address is a byte stream")]
    [InlineData("UDP4:127.0.0.1:9,fault-loss=1.2", "is not a probability (0 to 1)")]
    [InlineData("UDP4:127.0.0.1:9,fault-loss-burst=3", "qualifies a fault, and none is given")]
    [InlineData("UDP4:127.0.0.1:9,fault-loss=0.1,fault-loss-burst=0.5", "a burst is one datagram or more on average")]
    [InlineData("TCP4:127.0.0.1:9,fault-lossy=1", "unknown option \"fault-lossy\"")]
    [InlineData("TCP4:127.0.0.1:9,fault-close=5,fault-slice-variation=2", "varies fault-slice, which is not given")]
    [InlineData("TCP4:127.0.0.1:9,fault-slice=4,fault-slice-variation=4", "a piece varies by less than fault-slice")]
    [InlineData("UDP4:127.0.0.1:9,fault-reset-time=1", "acts on a byte stream, and this address moves datagrams")]
    [InlineData("TCP4:127.0.0.1:9,fault-close-time=-1", "fault-close-time")]
    public async Task BadFaultOptionsAreRefusedBeforeAnythingOpens(string address, string message)
    {
        var r = await Run.SharpCatAsync("-", address);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.LogLines));
    }
}
