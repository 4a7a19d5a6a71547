using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>UDP addresses with real sockets: one datagram per read and per write, peers, errors.</summary>
public class UdpTests
{
    /// <summary>A UDP echo server on 127.0.0.1 that answers "R:" + the datagram to its sender.</summary>
    private sealed class UdpEcho : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

        public UdpEcho()
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var r = await _udp.ReceiveAsync(_stop.Token);
                        byte[] reply = [.. "R:"u8, .. r.Buffer];
                        await _udp.SendAsync(reply, reply.Length, r.RemoteEndPoint);
                    }
                }
                catch (Exception) { }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _udp.Dispose();
        }
    }

    [Fact]
    public async Task UdpClientSendsADatagramPerReadAndReadsReplies()
    {
        using var echo = new UdpEcho();
        using var relay = LiveProcess.SharpCat("-", $"UDP:127.0.0.1:{echo.Port}");
        await relay.Stdin.WriteAsync("one\n"u8.ToArray());
        await relay.Stdin.FlushAsync();
        await relay.WaitForStdoutAsync(o => o.Length >= 6);
        await relay.Stdin.WriteAsync("two\n"u8.ToArray());
        await relay.Stdin.FlushAsync();
        await relay.WaitForStdoutAsync(o => o.Length >= 12);
        relay.Stdin.Close();
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("R:one\nR:two\n", Encoding.ASCII.GetString(relay.Stdout));
    }

    [Fact]
    public async Task PortUnreachableIsAnErrorLikeSocats()
    {
        int port = FreePorts.Next();
        foreach (var run in new[] { Run.SharpCatAsync("x\n"u8.ToArray(), "-t", "2", "-", $"UDP:127.0.0.1:{port}"), Run.SocatAsync("x\n"u8.ToArray(), "-t", "2", "-", $"UDP:127.0.0.1:{port}") })
        {
            var r = await run;
            Assert.Equal(1, r.ExitCode);
            Assert.Matches(@"^E read\(\d+, (8192|0x[0-9a-f]+, 8192)\): Connection refused$", Assert.Single(r.LogLines));
        }
    }

    [Fact]
    public async Task TenThousandDatagramsKeepTheirBoundaries()
    {
        // Lock-step with a window, so that the receiver keeps up: on loopback none may be lost.
        const string script = """
            import os, random, socket, sys, time
            relay_port, sink = int(sys.argv[1]), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("127.0.0.1", int(sys.argv[2]))); sink.settimeout(10)
            sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            src = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rnd = random.Random(7); sent = []; got = 0; window = 8
            sizes = [rnd.choice([1, 2, 100, 1400, 8192, 8193, 30000, 65507]) if i % 3 else rnd.randint(1, 65507) for i in range(10000)]
            for i, n in enumerate(sizes):
                d = os.urandom(n); sent.append(d); src.sendto(d, ("127.0.0.1", relay_port))
                while len(sent) - got > window:
                    r = sink.recv(70000)
                    if r != sent[got]: print("MISMATCH at", got, len(r), len(sent[got])); sys.exit(1)
                    got += 1
            while got < len(sent):
                r = sink.recv(70000)
                if r != sent[got]: print("MISMATCH at", got, len(r), len(sent[got])); sys.exit(1)
                got += 1
            print("ok", got)
            """;
        int relayPort, sinkPort;
        using (var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) relayPort = ((IPEndPoint)a.Client.LocalEndPoint!).Port;
        using (var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) sinkPort = ((IPEndPoint)b.Client.LocalEndPoint!).Port;
        using var relay = LiveProcess.SharpCat("-d", "-d", "-b", "65536", "-u", $"UDP-RECV:{relayPort},bind=127.0.0.1,rcvbuf=4194304", $"UDP-SENDTO:127.0.0.1:{sinkPort}");
        await relay.WaitForStderrAsync("starting data transfer loop");
        var r = await Run.ProgramAsync("python3", ["-c", script, relayPort.ToString(), sinkPort.ToString()], [], TimeSpan.FromSeconds(120));
        Assert.True(r.StdoutText == "ok 10000\n", r.ToString() + relay.StderrText);
    }

    [Fact]
    public async Task ADatagramLongerThanTheBufferIsCutToItWithAWarning()
    {
        using var echo = new UdpEcho();
        var data = new byte[1000];
        Random.Shared.NextBytes(data);
        foreach (bool ours in new[] { true, false })
        {
            using var relay = LiveProcess.Start(ours ? Binaries.SharpCat : Binaries.Socat!, "-d", "-b", "100", "-", $"UDP:127.0.0.1:{echo.Port}");
            await relay.Stdin.WriteAsync(data.AsMemory(0, 50));
            await relay.Stdin.FlushAsync();
            // The echo is 52 bytes; now a reply longer than -b: ask for one by sending 98 more bytes.
            await relay.WaitForStdoutAsync(o => o.Length >= 52);
            await relay.Stdin.WriteAsync(data.AsMemory(0, 100));
            await relay.Stdin.FlushAsync();
            await relay.WaitForStdoutAsync(o => o.Length >= 152);
            relay.Stdin.Close();
            await relay.WaitForExitAsync();
            Assert.Equal(152, relay.Stdout.Length); // the 102-byte reply was cut to 100
            if (ours) Assert.Contains("a datagram of 102 bytes was cut to 100 (-b)", relay.StderrText);
        }
    }

    [Fact]
    public async Task UdpListenKeepsToItsFirstPeer()
    {
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "UDP-LISTEN:0,bind=127.0.0.1", "PIPE");
        using var _ = relay;
        using var first = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var second = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await first.SendAsync("first"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        var back = await first.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("first", Encoding.ASCII.GetString(back.Buffer));
        await relay.WaitForStderrAsync("accepting UDP connection from AF=2 127.0.0.1:");
        // Another peer is not heard: the socket is connected to the first one.
        await second.SendAsync("second"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        await first.SendAsync("again"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        back = await first.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("again", Encoding.ASCII.GetString(back.Buffer));
        Assert.Equal(0, second.Available);
    }

    [Fact]
    public async Task RecvfromAnswersTheSenderOfItsOneDatagramThenEnds()
    {
        // As socat without fork: one datagram, its answer to the sender, then end of file.
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "UDP-RECVFROM:0,bind=127.0.0.1", "SYSTEM:read l; echo got-$l");
        using var _ = relay;
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await peer.SendAsync("a\n"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        var back = await peer.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("got-a\n", Encoding.ASCII.GetString(back.Buffer));
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task SendtoExchangesDatagramsWithItsPeer()
    {
        using var echo = new UdpEcho();
        using var relay = LiveProcess.SharpCat("-d", "-d", "-", $"UDP-SENDTO:127.0.0.1:{echo.Port}");
        await relay.Stdin.WriteAsync("hi\n"u8.ToArray());
        await relay.Stdin.FlushAsync();
        await relay.WaitForStdoutAsync(o => o.Length >= 5);
        Assert.Equal("R:hi\n", Encoding.ASCII.GetString(relay.Stdout));
        relay.Stdin.Close();
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Theory]
    [InlineData("UDP-LISTEN")]
    [InlineData("UDP-RECVFROM")]
    public async Task WithForkEveryPeerGetsItsOwnRelay(string keyword)
    {
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", $"{keyword}:0,bind=127.0.0.1,fork", "SYSTEM:read l; echo got-$l-$$");
        using var _ = relay;
        var answers = new HashSet<string>();
        foreach (string name in new[] { "a", "b", "c" })
        {
            using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await peer.SendAsync(Encoding.ASCII.GetBytes(name + "\n"), new IPEndPoint(IPAddress.Loopback, port));
            var back = await peer.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
            string text = Encoding.ASCII.GetString(back.Buffer);
            Assert.StartsWith($"got-{name}-", text);
            answers.Add(text[6..].Trim());
        }
        // Three shells: a relay each.
        Assert.True(answers.Count == 3, $"shell pids {string.Join(", ", answers)}\n{relay.StderrText}");
        // socat's words: LISTEN accepts a "connection", RECVFROM receives a "packet". The log may
        // reach us after the answer.
        string peerLine = keyword == "UDP-LISTEN" ? "accepting UDP connection from" : "receiving packet from";
        await relay.WaitForStderrAsync(log => Regex.Matches(log, peerLine).Count >= 3, $"three \"{peerLine}\"");
        Assert.Equal(3, Regex.Matches(relay.StderrText, peerLine).Count);
    }

    [Fact]
    public async Task ATcpToUdpBridgeWorksBothWays()
    {
        using var echo = new UdpEcho();
        var (bridge, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,bind=127.0.0.1", $"UDP:127.0.0.1:{echo.Port}");
        using var _ = bridge;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync("over tcp"u8.ToArray());
        var buffer = new byte[64];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("R:over tcp", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task EmptyDatagramsAreSkippedUnlessNullEof()
    {
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", "-u", $"UDP-RECV:{port},bind=127.0.0.1,null-eof", "-");
        using var sender = new UdpClient();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        await Wait.UntilAsync(() => File.ReadAllText("/proc/net/udp").Contains($":{port:X4} "));
        await sender.SendAsync("before"u8.ToArray(), target);
        await relay.WaitForStdoutAsync(o => o.Length >= 6);
        await sender.SendAsync(Array.Empty<byte>(), target);
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("before"u8.ToArray(), relay.Stdout);
    }

    /// <summary>
    /// lowport on a UDP client binds a privileged port, 640 to 1023, and -d -d -d -d shows the bind
    /// as socat's does, port and all (socat's UDP_LOWPORT reads it from there).
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "UDP4-SENDTO")]
    [InlineData("socat", "UDP4-SENDTO")]
    [InlineData("sharpcat", "UDP4")]
    [InlineData("socat", "UDP4")]
    public async Task LowportBindsAPrivilegedPortAndDebugShowsIt(string program, string address)
    {
        string binary = Binaries.Of(program);
        var r = await Run.ProgramAsync(binary, ["-d", "-d", "-d", "-d", "/dev/null", $"{address}:127.0.0.1:{FreePorts.Next()},lowport"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        var bind = Regex.Match(r.StderrText, @" D bind\(\d+, AF=2 0\.0\.0\.0:(\d+), \d+\)");
        Assert.True(bind.Success, r.StderrText);
        Assert.InRange(int.Parse(bind.Groups[1].Value), 640, 1023);
    }
}
