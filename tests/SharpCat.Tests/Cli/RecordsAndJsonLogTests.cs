using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>--records and --log-format=json: a line per connection when it ends, and log lines tools parse.</summary>
public class RecordsAndJsonLogTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A fork relay to an echo server; each payload goes through a connection of its own. (The
    /// probe that waits for the port is a connection too: tests pick records by client address.)
    /// </summary>
    internal static async Task<(string Stderr, List<EndPoint> Clients, int EchoPort)> RelayAsync(string[] options, params string[] payloads)
    {
        using var echo = new EchoServer();
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat([.. options, $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP4:127.0.0.1:{echo.Port}"]);
        await Wait.UntilAsync(() => Probe.CanConnect(port));
        var clients = new List<EndPoint>();
        foreach (string payload in payloads)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
            clients.Add(client.LocalEndPoint!);
            await client.SendAsync(Encoding.ASCII.GetBytes(payload));
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            while (await client.ReceiveAsync(buffer).WaitAsync(Bound) > 0) { }
        }
        // The first signal lets live relays finish: every record is written before the exit.
        relay.Signal(15);
        await relay.WaitForExitAsync();
        return (relay.StderrText, clients, echo.Port);
    }

    [Fact]
    public async Task RecordsSayWhoMovedHowMuchAndHowEachWayEnded()
    {
        var (stderr, clients, echoPort) = await RelayAsync(["--records"], "first\n", "the second one\n");
        var lines = stderr.Split('\n');
        var records = clients.Select(c => Assert.Single(lines, l => l.Contains(" record: ") && l.Contains($"peer {c})"))).ToArray();
        Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d sharpcat\[\d+\] N connection \d+ record: TCP4-LISTEN:", records[0]);
        Assert.Contains($"peer 127.0.0.1:{echoPort}", records[0]);
        Assert.Contains("left to right 6 bytes in 1 writes, eof; right to left 6 bytes in 1 writes, eof", records[0]);
        Assert.Contains("left to right 15 bytes in 1 writes, eof; right to left 15 bytes in 1 writes, eof", records[1]);
        // Records whatever the level: nothing else was logged (no -d).
        Assert.DoesNotContain(" N starting data transfer loop", stderr);
    }

    [Fact]
    public async Task JsonRecordsAreReadByJq()
    {
        var (stderr, clients, echoPort) = await RelayAsync(["--records=json"], "through jq\n");
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith('{') && l.Contains($"\"peer\":\"{clients[0]}\""));
        var jq = await Run.ProgramAsync("jq", ["-r", "[.type, .id, .left.peer, .right.peer, .left_to_right.bytes, .right_to_left.end] | @tsv"],
            Encoding.UTF8.GetBytes(line), Bound);
        Assert.True(jq.ExitCode == 0, jq.ToString());
        Assert.Matches($@"^connection\t\d+\t{Regex.Escape(clients[0].ToString()!)}\t127\.0\.0\.1:{echoPort}\t11\teof\n$", jq.StdoutText);
        using var parsed = JsonDocument.Parse(line);
        Assert.True(parsed.RootElement.GetProperty("duration_s").GetDouble() >= 0);
        Assert.True(DateTimeOffset.TryParse(parsed.RootElement.GetProperty("start").GetString(), out _));
    }

    [Fact]
    public async Task JsonLogLinesAreEachAnObject()
    {
        var (stderr, _, _) = await RelayAsync(["--log-format=json", "-d", "-d"], "logged as json\n");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 5, stderr);
        var jq = await Run.ProgramAsync("jq", ["-e", "-s", "all(.[]; (.time | test(\"^\\\\d{4}-\\\\d\\\\d-\\\\d\\\\dT.*Z$\")) and (.level | test(\"^[DINWEF]$\")) and .program == \"sharpcat\" and (.pid | type == \"number\") and (.message | type == \"string\"))"],
            Encoding.UTF8.GetBytes(stderr), Bound);
        Assert.True(jq.ExitCode == 0, $"{jq}\n{stderr}");
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("message").GetString()!.StartsWith("starting data transfer loop", StringComparison.Ordinal));
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("level").GetString() == "W"); // exiting on signal 15
        // Lines written while a connection is relayed name it; the probe's connection is the first.
        var transfers = lines.Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("message").GetString()!.StartsWith("starting data transfer loop", StringComparison.Ordinal)).ToArray();
        // (the probe's relay and the client's may run at once: their lines interleave)
        Assert.Equal(Enumerable.Range(1, transfers.Length), transfers.Select(e => e.GetProperty("connection").GetInt32()).Order());
        Assert.DoesNotContain(lines, l => l.Contains("\"exiting on signal") && l.Contains("\"connection\""));
    }

    [Theory]
    [InlineData("--records=xml", "option --records: \"xml\" is not one of text, json")]
    [InlineData("--log-format", "option --log-format requires a value: --log-format=<value>")]
    [InlineData("--log-format=yaml", "option --log-format: \"yaml\" is not one of socat, json, rfc5424")]
    [InlineData("--syslog-socket=/dev/null", "option --syslog-socket: the log goes to syslog only with -ly or -lm")]
    [InlineData("--record", "unknown option \"--record\"")]
    public async Task BadValuesAreRefusedBeforeAnythingIsOpened(string option, string message)
    {
        var r = await Run.SharpCatAsync(option, "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"E {message}", Assert.Single(r.LogLines));
    }
}
