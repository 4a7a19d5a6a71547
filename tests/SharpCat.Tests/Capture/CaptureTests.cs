using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Capture;

/// <summary>
/// <c>--pcap</c> and <see cref="RelayOptions.CaptureFile"/>: what tshark finds in the capture — one
/// TCP conversation per relayed connection, between the real peers, carrying exactly the bytes
/// relayed each way, with nothing it would flag — and the capture's failures.
/// </summary>
public class CaptureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ForkedConnectionsAreConversationsBetweenTheRealPeers()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        string file = dir["relay.pcapng"];
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"--pcap={file}",
            $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP4:127.0.0.1:{echo.Port}");
        await relay.WaitForStderrAsync("listening on");
        var large = new byte[20000];
        new Random(20).NextBytes(large);
        byte[][] payloads = [Encoding.ASCII.GetBytes("first\n"), Encoding.ASCII.GetBytes("the second connection\n"), large];
        // Concurrent, so that the three relays' packets interleave in the one file.
        int[] clientPorts = await Task.WhenAll(payloads.Select(p => EchoThroughAsync(port, p)));
        await relay.WaitForStderrAsync(s => System.Text.RegularExpressions.Regex.Matches(s, @"relay \d+ finished").Count == 3,
            "three relays to finish");
        relay.Signal(15);
        await relay.WaitForExitAsync();

        Assert.Equal("", await Tshark.ComplaintsAsync(file));
        Assert.Equal(3, await Tshark.TcpStreamCountAsync(file));
        var seen = new Dictionary<int, byte[]>();
        for (int i = 0; i < 3; i++)
        {
            var c = await Tshark.FollowTcpAsync(file, i);
            Assert.Equal($"127.0.0.1:{echo.Port}", c.Node1);
            Assert.StartsWith("127.0.0.1:", c.Node0);
            Assert.Equal(c.FromNode0, c.FromNode1);   // an echo: the same bytes each way
            seen[int.Parse(c.Node0["127.0.0.1:".Length..])] = c.FromNode0;
        }
        for (int i = 0; i < 3; i++)
            Assert.Equal(payloads[i], seen[clientPorts[i]]);
    }

    [Fact]
    public async Task APeersResetIsAnRstFromThatPeerAfterItsData()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        string file = dir["reset.pcapng"];
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"--pcap={file}",
            $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP4:127.0.0.1:{echo.Port}");
        await relay.WaitForStderrAsync("listening on");
        int clientPort;
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
            clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
            await client.SendAsync(Encoding.ASCII.GetBytes("before the reset\n")).WaitAsync(Bound);
            var buffer = new byte[64];
            int got = 0;
            while (got < 17) got += await client.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Bound);
            client.LingerState = new LingerOption(true, 0); // close sends an RST
        }
        await relay.WaitForStderrAsync(s => s.Contains("relay 1 finished"), "the relay to finish");
        relay.Signal(15);
        await relay.WaitForExitAsync();

        // One RST, from the client's address, after the bytes both ways; nothing else tshark flags.
        string resets = await Tshark.RunAsync("-r", file, "-Y", "tcp.flags.reset == 1", "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport");
        Assert.Equal($"127.0.0.1\t{clientPort}", resets.Trim());
        var c = await Tshark.FollowTcpAsync(file, 0);
        Assert.Equal("before the reset\n", Encoding.ASCII.GetString(c.FromNode0));
        Assert.Equal("before the reset\n", Encoding.ASCII.GetString(c.FromNode1));
        Assert.Equal("", await Tshark.RunAsync("-r", file, "-Y", "tcp.flags.fin == 1 && tcp.srcport == " + clientPort));
    }

    /// <summary>Sends the payload through the relay, half-closes, reads the echo to its end; returns the client's port.</summary>
    private static async Task<int> EchoThroughAsync(int port, byte[] payload)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
        await client.SendAsync(payload).WaitAsync(Bound);
        client.Shutdown(SocketShutdown.Send);
        var echoed = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await client.ReceiveAsync(buffer).WaitAsync(Bound)) > 0) echoed.Write(buffer, 0, n);
        Assert.Equal(payload, echoed.ToArray());
        return ((IPEndPoint)client.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task DatagramsAreUdpPacketsOnePerDatagram()
    {
        using var dir = new TempDir();
        string file = dir["udp.pcapng"];
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"--pcap={file}",
            $"UDP4-RECVFROM:{port},bind=127.0.0.1,reuseaddr,fork", "SYSTEM:tr a-z A-Z");
        await relay.WaitForStderrAsync("receiving on");
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
        foreach (string text in new[] { "one", "two datagram" })
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(text), new IPEndPoint(IPAddress.Loopback, port)).AsTask().WaitAsync(Bound);
            var reply = await client.ReceiveAsync().WaitAsync(Bound);
            Assert.Equal(text.ToUpperInvariant(), Encoding.ASCII.GetString(reply.Buffer));
        }
        await relay.WaitForStderrAsync(s => System.Text.RegularExpressions.Regex.Matches(s, @"relay \d+ finished").Count == 2,
            "two relays to finish");
        relay.Signal(15);
        await relay.WaitForExitAsync();

        Assert.Equal("", await Tshark.ComplaintsAsync(file));
        string packets = await Tshark.RunAsync("-r", file, "-T", "fields", "-E", "separator= ",
            "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "udp.payload");
        // The sender's real address; the program's made up, a port per connection.
        Assert.Equal(
            $"127.0.0.1 {clientPort} 127.0.0.3 1024 6f6e65\n127.0.0.3 1024 127.0.0.1 {clientPort} 4f4e45\n"
            + $"127.0.0.1 {clientPort} 127.0.0.3 1025 74776f20646174616772616d\n127.0.0.3 1025 127.0.0.1 {clientPort} 54574f20444154414752414d\n",
            packets);
    }

    [Fact]
    public async Task ALibraryRelayCapturesAndAnEndThatIsNotIpGetsAMadeUpAddress()
    {
        using var dir = new TempDir();
        string file = dir["library.pcapng"];
        var options = new RelayOptions { CaptureFile = file };
        int clientPort;
        await using (var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", "EXEC:cat", options))
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            relay.ConnectionClosed += (_, _) => closed.TrySetResult();
            await relay.StartAsync().WaitAsync(Bound);
            clientPort = await EchoThroughAsync(((IPEndPoint)relay.LocalEndPoints[0]).Port, Encoding.ASCII.GetBytes("through cat\n"));
            await closed.Task.WaitAsync(Bound);
            await relay.StopAsync().WaitAsync(Bound);
        }

        Assert.Equal("", await Tshark.ComplaintsAsync(file));
        var c = await Tshark.FollowTcpAsync(file, 0);
        Assert.Equal($"127.0.0.1:{clientPort}", c.Node0);
        Assert.Equal("127.0.0.3:1024", c.Node1);   // connection 1's made-up port
        Assert.Equal("through cat\n", Encoding.ASCII.GetString(c.FromNode0));
        Assert.Equal("through cat\n", Encoding.ASCII.GetString(c.FromNode1));
        string comments = await Tshark.RunAsync("-r", file, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment");
        Assert.Contains("relay 1: TCP4-LISTEN:0,bind=127.0.0.1,fork <-> EXEC:cat", comments);
        Assert.Contains("the second address is not an IP socket: 127.0.0.3 port 1024 stands for it", comments);
    }

    [Fact]
    public async Task AnUnwritableCaptureFileIsAnErrorBeforeAnythingIsOpened()
    {
        int port = FreePorts.Next();
        var r = await Run.SharpCatAsync("-d", "-d", "--pcap=/nonexistent/dir/x.pcapng", $"TCP4-LISTEN:{port},bind=127.0.0.1", "TCP4:127.0.0.1:9");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("E option --pcap \"/nonexistent/dir/x.pcapng\": No such file or directory", r.LogLines);
        Assert.DoesNotContain("listening", r.StderrText);

        var relay = new RelayHost($"TCP4-LISTEN:{port},bind=127.0.0.1", "TCP4:127.0.0.1:9",
            new RelayOptions { CaptureFile = "/nonexistent/dir/x.pcapng" });
        await using (relay)
        {
            var e = await Assert.ThrowsAsync<SharpCatException>(() => relay.StartAsync().WaitAsync(Bound));
            Assert.Contains("--pcap", e.Message);
        }
    }

    [Fact]
    public async Task AFailingWriteStopsTheCaptureWithOneWarningAndTheRelayGoesOn()
    {
        using var dir = new TempDir();
        string file = dir["small.pcapng"];
        var input = new byte[30000];
        new Random(30).NextBytes(input);
        // A file size limit of 8 KiB (SIGXFSZ ignored, so write(2) fails with EFBIG): the headers
        // fit, the relayed data does not.
        var r = await Run.ProgramAsync("/bin/sh",
            ["-c", "ulimit -f 8; trap '' XFSZ; exec \"$0\" \"$@\"", Binaries.SharpCat, "-d", $"--pcap={file}", "-", "EXEC:cat"],
            input, Run.DefaultTimeout);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(input, r.Stdout);
        var warnings = r.LogLines.Where(l => l.StartsWith("W ", StringComparison.Ordinal)).ToArray();
        Assert.StartsWith($"W --pcap \"{file}\": write(", Assert.Single(warnings));
        Assert.Contains("File too large: capture stops here, the relay goes on", warnings[0]);
    }
}
