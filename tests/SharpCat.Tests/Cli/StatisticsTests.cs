using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>
/// socat 1.8's --statistics, in its words (socat.c's socat_print_stats): a warning, then per
/// direction "STATISTICS: left to right: N packets(s), M byte(s)", the numbers padded to one width
/// when both directions run, printed whatever the -d level, at exit and on SIGUSR1.
/// </summary>
public class StatisticsTests
{
    [Fact]
    public async Task AtExitEachDirectionsWritesAndBytesAreLogged()
    {
        var r = await Run.SharpCatAsync("hello world!\n"u8.ToArray(), "--statistics", "-", "SYSTEM:cat >/dev/null; printf x");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("x", r.StdoutText);
        Assert.Equal(["W statistics are experimental",
            "I STATISTICS: left to right: 1 packets(s), 13 byte(s)",
            "I STATISTICS: right to left: 1 packets(s),  1 byte(s)"], r.LogLines);
    }

    [Fact]
    public async Task OneWayHasOneLineAndNoPadding()
    {
        var r = await Run.SharpCatAsync("hello\n"u8.ToArray(), "-u", "--statistics", "-", "-");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["W statistics are experimental", "I STATISTICS: left to right: 1 packets(s), 6 byte(s)"], r.LogLines);
    }

    [Fact]
    public async Task Sigusr1LogsTheFiguresSoFarOfEveryConnection()
    {
        using var relay = LiveProcess.SharpCat("-d", "-d", "--statistics", "TCP4-LISTEN:0,bind=127.0.0.1,fork", "PIPE");
        await relay.WaitForStderrAsync("listening on");
        int port = int.Parse(System.Text.RegularExpressions.Regex.Match(relay.StderrText, @"listening on AF=2 127\.0\.0\.1:(\d+)").Groups[1].Value);
        foreach (string text in new[] { "one\n", "and two\n" })
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port);
            await client.SendAsync(Encoding.ASCII.GetBytes(text));
            var buffer = new byte[100];
            int got = 0;
            while (got < text.Length) got += await client.ReceiveAsync(buffer.AsMemory(got));
        }
        relay.Signal(10);
        await relay.WaitForStderrAsync("right to left: 2 packets(s), 12 byte(s)");
        Assert.Contains("I STATISTICS: left to right: 2 packets(s), 12 byte(s)", relay.StderrText);
        Assert.False(relay.HasExited);
    }
}
