using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>Raw IP on loopback (as root): sharpcat and socat on either side, IPv4 and IPv6, and the refusals.</summary>
public class RawIpTests
{
    [Theory]
    [InlineData("IP4", "127.0.0.1", true, false)]
    [InlineData("IP4", "127.0.0.1", false, true)]
    [InlineData("IP6", "[::1]", true, false)]
    [InlineData("IP6", "[::1]", true, true)]
    public async Task SendtoReachesRecvWithoutTheIpHeader(string family, string host, bool sharpcatReceives, bool sharpcatSends)
    {
        int protocol = RawProtocols.Next();
        using var receiver = sharpcatReceives
            ? LiveProcess.SharpCat("-d", "-d", "-u", $"{family}-RECV:{protocol}", "-")
            : LiveProcess.Start(Binaries.Socat!, "-d", "-d", "-u", $"{family}-RECV:{protocol}", "-");
        await receiver.WaitForStderrAsync("starting data transfer loop");
        var payload = Encoding.ASCII.GetBytes($"raw {family} {protocol}\n");
        var send = sharpcatSends
            ? await Run.SharpCatAsync(payload, "-u", "-", $"{family}-SENDTO:{host}:{protocol}")
            : await Run.SocatAsync(payload, "-u", "-", $"{family}-SENDTO:{host}:{protocol}");
        Assert.Equal(0, send.ExitCode);
        await receiver.WaitForStdoutAsync(o => o.Length >= payload.Length);
        Assert.Equal(payload, receiver.Stdout);
    }

    /// <summary>IP-RECVFROM with fork serves each packet with a relay (and child) of its own, and waits for the next.</summary>
    [Theory]
    [InlineData("IP4", "127.0.0.1")]
    [InlineData("IP6", "[::1]")]
    public async Task RecvfromWithForkGivesEachPacketItsOwnRelay(string family, string host)
    {
        using var dir = new TempDir();
        int protocol = RawProtocols.Next();
        using var receiver = LiveProcess.SharpCat("-d", "-d", "-u", $"{family}-RECVFROM:{protocol},fork", $"SYSTEM:cat>>{dir["out"]}");
        await receiver.WaitForStderrAsync("receiving protocol");
        foreach (string name in new[] { "a", "b", "c" })
        {
            var send = await Run.SocatAsync(Encoding.ASCII.GetBytes(name + "\n"), "-u", "-", $"{family}-SENDTO:{host}:{protocol}");
            Assert.Equal(0, send.ExitCode);
        }
        await Wait.UntilAsync(() => File.Exists(dir["out"]) && File.ReadAllLines(dir["out"]).Length == 3);
        Assert.Equal(["a", "b", "c"], File.ReadAllLines(dir["out"]).Order());
        // Three children, no more: without a packet to wait for, a relay would follow a relay.
        static int Children(string log) => log.Split("forked off child process").Length - 1;
        await receiver.WaitForStderrAsync(log => Children(log) >= 3, "three children");
        Assert.Equal(3, Children(receiver.StderrText));
    }

    [Fact]
    public async Task WithoutCapNetRawTheSocketIsRefusedAsInSocat()
    {
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            var r = await Run.ProgramAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", program, "-u", "-", "IP4-SENDTO:127.0.0.1:253"], [], Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.EndsWith("E socket(2, 3, 253): Operation not permitted", r.StderrText.Trim());
        }
    }

    [Fact]
    public async Task AProtocolNumberOutOfRangeIsNamed()
    {
        var r = await Run.SharpCatAsync([], "-u", "IP4-RECV:300", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E IP protocol \"300\": a number from 0 to 255"], r.LogLines);
    }
}
