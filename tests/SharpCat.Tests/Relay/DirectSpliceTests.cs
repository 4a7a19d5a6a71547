using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// A direction with a pipe on one side is spliced straight from source to sink (the debug log
/// says so), and loses nothing when the sink fills or the source runs dry; a sink splice cannot
/// write to (a file opened for appending) goes through the copying pump.
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
        var r = await Run.ShellAsync(
            $"(head -c 1000000 {dir["in"]}; tail -c +1000001 {dir["in"]} | head -c 1; tail -c +1000002 {dir["in"]}) " +
            $"| {Binaries.SharpCat} -d -d -d -d -u - - 2>{dir["err"]} | cat > {dir["out"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, File.ReadAllBytes(dir["out"]));
        Assert.Contains(Spliced, File.ReadAllText(dir["err"]));
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
    public async Task AnAppendingFileSinkIsCopiedNotSpliced()
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        File.WriteAllBytes(dir["in"], data);
        File.WriteAllBytes(dir["out"], [1, 2, 3]);
        var r = await Run.ShellAsync($"cat {dir["in"]} | {Binaries.SharpCat} -d -d -d -d -u - OPEN:{dir["out"]},append");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([1, 2, 3, .. data], File.ReadAllBytes(dir["out"]));
        Assert.DoesNotContain(Spliced, r.StderrText);
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
}
