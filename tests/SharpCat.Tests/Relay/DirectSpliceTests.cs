using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// A direction with a pipe on one side is spliced straight from source to sink, one between a
/// socket and a file through a pipe of the relay's (the debug log says which), and loses nothing
/// when the sink fills or the source runs dry; a sink splice cannot write to (a file opened for
/// appending) goes through the copying pump.
/// </summary>
public class DirectSpliceTests
{
    private const string Spliced = "directly";

    [Fact]
    public async Task AFileIntoAPipeThatFillsArrivesWhole()
    {
        using var dir = new TempDir();
        // 16 MiB through a 64 KiB pipe: the sink is full again and again while the test reads.
        byte[] data = RandomNumberGenerator.GetBytes(16 << 20);
        File.WriteAllBytes(dir["in"], data);
        using var p = LiveProcess.SharpCat("-d", "-d", "-d", "-d", "-u", $"OPEN:{dir["in"]}", "-");
        Assert.Equal(0, await p.WaitForExitAsync());
        Assert.Equal(data, p.Stdout);
        Assert.Contains(Spliced, p.StderrText);
    }

    [Fact]
    public async Task APipeThatRunsDryAndRefillsArrivesWhole()
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(3 << 20);
        File.WriteAllBytes(dir["in"], data);
        // Three writers one after another: the relay finds stdin empty between them and waits.
        var r = await Run.ShellAsync($"{WritersWithGaps(dir["in"])} | {Binaries.SharpCat} -d -d -d -d -u - - 2>{dir["err"]} | cat > {dir["out"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, File.ReadAllBytes(dir["out"]));
        Assert.Contains(Spliced, File.ReadAllText(dir["err"]));
    }

    [Fact]
    public async Task StdioBothWaysSplicesInTurnsAndLosesNothing()
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(12 << 20);
        File.WriteAllBytes(dir["in"], data);
        // `- -` reads stdin in both directions by turns; with nothing to look at the bytes each turn
        // is a splice. The source runs dry between its writers, and a reader taking 1 KiB at a time
        // fills the sink again and again.
        var r = await Run.ShellAsync($"{WritersWithGaps(dir["in"])} | {Binaries.SharpCat} -d -d -d -d - - 2>{dir["err"]} | dd bs=1024 of={dir["out"]} 2>/dev/null");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, File.ReadAllBytes(dir["out"]));
        Assert.Contains("in turns", File.ReadAllText(dir["err"]));
    }

    [Fact]
    public async Task SocketIntoPipeAndBackIsSplicedBothWays()
    {
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", "-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "PIPE");
        await relay.WaitForStderrAsync("listening on");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
        var sending = Task.Run(async () =>
        {
            await client.SendAsync(data);
            client.Shutdown(SocketShutdown.Send);
        });
        var echoed = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await client.ReceiveAsync(buffer).WaitAsync(Run.DefaultTimeout)) > 0) echoed.Write(buffer, 0, n);
        await sending;
        Assert.Equal(data, echoed.ToArray());
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal(2, relay.StderrText.Split('\n').Count(l => l.Contains(Spliced)));
    }

    [Fact]
    public async Task AFileIntoASlowSocketAndASocketIntoAFileGoThroughAPipe()
    {
        using var dir = new TempDir();
        // More than the socket buffers and the relay's pipe hold together.
        byte[] data = RandomNumberGenerator.GetBytes(24 << 20);
        File.WriteAllBytes(dir["in"], data);
        // File to socket: the test reads in small pieces, so the socket is full again and again.
        using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            listener.Listen();
            int port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
            using var sender = LiveProcess.SharpCat("-d", "-d", "-d", "-d", "-u", $"OPEN:{dir["in"]}", $"TCP:127.0.0.1:{port}");
            using var accepted = await listener.AcceptAsync().WaitAsync(Run.DefaultTimeout);
            var got = new MemoryStream();
            var buffer = new byte[1000];
            int n;
            while ((n = await accepted.ReceiveAsync(buffer).WaitAsync(Run.DefaultTimeout)) > 0) got.Write(buffer, 0, n);
            Assert.Equal(data, got.ToArray());
            Assert.Equal(0, await sender.WaitForExitAsync());
            Assert.Contains("through a pipe", sender.StderrText);
        }
        // Socket to file.
        int relayPort = FreePorts.Next();
        using var receiver = LiveProcess.SharpCat("-d", "-d", "-d", "-d", "-u", $"TCP-LISTEN:{relayPort},bind=127.0.0.1,reuseaddr", $"CREATE:{dir["out"]}");
        await receiver.WaitForStderrAsync("listening on");
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, relayPort);
            // In pieces: between them the relay may find the socket empty and wait.
            for (int at = 0; at < data.Length; at += 1 << 20)
                await client.SendAsync(data.AsMemory(at, 1 << 20));
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await receiver.WaitForExitAsync());
        }
        Assert.Equal(data, File.ReadAllBytes(dir["out"]));
        Assert.Contains("through a pipe", receiver.StderrText);
    }

    [Fact]
    public async Task AnAppendingFileSinkIsCopiedNotSpliced()
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        File.WriteAllBytes(dir["in"], data);
        File.WriteAllBytes(dir["out"], [1, 2, 3]);
        var r = await Run.ShellAsync($"cat {dir["in"]} | {Binaries.SharpCat} -d -d -d -d -u - OPEN:{dir["out"]},append");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([1, 2, 3, .. data], File.ReadAllBytes(dir["out"]));
        Assert.DoesNotContain("splicing", r.StderrText);
    }

    [Fact]
    public async Task AReaderThatLeavesEndsTheRelayAsSocatDoes()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["in"], new byte[8 << 20]);
        string Pipeline(string program) => $"cat {dir["in"]} | {program} -u - - | head -c 10 >/dev/null; echo ${{PIPESTATUS[1]}}";
        var ours = await Run.ProgramAsync("bash", ["-c", Pipeline(Binaries.SharpCat)], [], Run.DefaultTimeout);
        var socat = await Run.ProgramAsync("bash", ["-c", Pipeline("socat")], [], Run.DefaultTimeout);
        Assert.Equal(socat.StdoutText, ours.StdoutText);
        Assert.Contains("Broken pipe", ours.StderrText);
    }

    // The file written by three commands one after another (the first megabyte, one byte, the
    // rest): whoever reads the pipe finds it empty between them.
    private static string WritersWithGaps(string file) =>
        $"(head -c 1000000 {file}; tail -c +1000001 {file} | head -c 1; tail -c +1000002 {file})";
}
