using System.Text.Json;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>
/// -ly with each log format, read by a real rsyslogd listening on a socket of the test's own
/// (imuxsock, with the ordinary parser chain so that RFC 5424 is recognised): rsyslog's
/// mmpstrucdata parses the structured data, mmjsonparse the JSON lines, and a template writes
/// what rsyslog understood as one JSON object per message.
/// </summary>
public class RsyslogTests
{
    private static readonly string[] Config =
    [
        "module(load=\"imuxsock\" SysSock.Use=\"off\")",
        "module(load=\"mmpstrucdata\")",
        "module(load=\"mmjsonparse\")",
        "input(type=\"imuxsock\" Socket=\"{dir}/log\" UseSpecialParser=\"off\" ParseHostname=\"on\")",
        "template(name=\"seen\" type=\"string\" string=\"{\\\"version\\\":\\\"%protocol-version%\\\",\\\"app\\\":\\\"%app-name%\\\",\\\"procid\\\":\\\"%procid%\\\",\\\"msgid\\\":\\\"%msgid%\\\",\\\"severity\\\":\\\"%syslogseverity-text%\\\",\\\"facility\\\":\\\"%syslogfacility-text%\\\",\\\"parsed\\\":%$!%,\\\"msg\\\":\\\"%msg:::json%\\\"}\\n\")",
        "if $protocol-version == \"1\" then { action(type=\"mmpstrucdata\") } else { action(type=\"mmjsonparse\" cookie=\"\") }",
        "action(type=\"omfile\" file=\"{dir}/seen\" template=\"seen\")",
    ];

    private sealed class Rsyslogd : IDisposable
    {
        private readonly TempDir _dir = new();
        private readonly LiveProcess _process;

        private Rsyslogd()
        {
            File.WriteAllLines(_dir["rsyslog.conf"], Config.Select(l => l.Replace("{dir}", _dir.Path)).Prepend($"global(workDirectory=\"{_dir.Path}\")"));
            _process = LiveProcess.Start("rsyslogd", "-n", "-f", _dir["rsyslog.conf"], "-i", _dir["rsyslogd.pid"]);
        }

        public string Socket => _dir["log"];

        public static async Task<Rsyslogd> StartAsync()
        {
            var daemon = new Rsyslogd();
            await Wait.UntilAsync(() => File.Exists(daemon.Socket) || daemon._process.HasExited);
            Assert.False(daemon._process.HasExited, daemon._process.StderrText);
            return daemon;
        }

        /// <summary>What rsyslog wrote, once <paramref name="done"/> holds for it.</summary>
        public async Task<JsonElement[]> SeenAsync(Func<JsonElement[], bool> done)
        {
            JsonElement[] Read() => File.Exists(_dir["seen"])
                ? File.ReadAllLines(_dir["seen"]).Select(l => JsonDocument.Parse(l).RootElement).ToArray() : [];
            await Wait.UntilAsync(() => done(Read()));
            return Read();
        }

        public void Dispose()
        {
            _process.Signal(15);
            _process.Dispose();
            _dir.Dispose();
        }
    }

    [Fact]
    public async Task Rfc5424StructuredDataIsParsedByRsyslog()
    {
        using var rsyslog = await Rsyslogd.StartAsync();
        var (_, clients, echoPort) = await RecordsAndJsonLogTests.RelayAsync(
            ["-d", "-d", "-lylocal3", $"--syslog-socket={rsyslog.Socket}", "--log-format=rfc5424", "--records"], "first\n", "the second\n");
        var seen = await rsyslog.SeenAsync(s => s.Count(e => e.GetProperty("msgid").GetString() == "connection") == clients.Count + 1);
        Assert.All(seen, e =>
        {
            Assert.Equal("1", e.GetProperty("version").GetString());
            Assert.Equal("sharpcat", e.GetProperty("app").GetString());
            Assert.Equal("local3", e.GetProperty("facility").GetString());
        });
        // socat's level and the connection, as rsyslog parsed them from the structured data
        static JsonElement Data(JsonElement e, string id) => e.GetProperty("parsed").GetProperty("rfc5424-sd").GetProperty(id);
        var transfers = seen.Where(e => e.GetProperty("msg").GetString()!.StartsWith("starting data transfer loop", StringComparison.Ordinal)).ToArray();
        Assert.Equal(clients.Count + 1, transfers.Length);
        Assert.All(transfers, e =>
        {
            Assert.Equal("notice", e.GetProperty("severity").GetString());
            Assert.Equal("N", Data(e, "sharpcat@32473").GetProperty("level").GetString());
        });
        Assert.Equal(["1", "2", "3"], transfers.Select(e => Data(e, "sharpcat@32473").GetProperty("connection").GetString()!).Order());
        // each connection's record as an element of its own
        for (int i = 0; i < clients.Count; i++)
        {
            var record = Assert.Single(seen, e => e.GetProperty("msgid").GetString() == "connection"
                && Data(e, "connection@32473").GetProperty("left_peer").GetString() == clients[i].ToString());
            var fields = Data(record, "connection@32473");
            string length = (i == 0 ? "first\n" : "the second\n").Length.ToString();
            Assert.Equal(length, fields.GetProperty("left_to_right_bytes").GetString());
            Assert.Equal(length, fields.GetProperty("right_to_left_bytes").GetString());
            Assert.Equal("eof", fields.GetProperty("left_to_right_end").GetString());
            Assert.Equal($"127.0.0.1:{echoPort}", fields.GetProperty("right_peer").GetString());
            Assert.Equal(fields.GetProperty("id").GetString(), Data(record, "sharpcat@32473").GetProperty("connection").GetString());
            Assert.StartsWith($"connection {fields.GetProperty("id").GetString()} record: ", record.GetProperty("msg").GetString());
        }
        Assert.Contains(seen, e => e.GetProperty("severity").GetString() == "warning"
            && e.GetProperty("msg").GetString() == "exiting on signal 15"
            && !Data(e, "sharpcat@32473").TryGetProperty("connection", out _));
    }

    [Fact]
    public async Task JsonLinesReachRsyslogAsJson()
    {
        using var rsyslog = await Rsyslogd.StartAsync();
        var (_, clients, _) = await RecordsAndJsonLogTests.RelayAsync(
            ["-d", "-d", "-ly", $"--syslog-socket={rsyslog.Socket}", "--log-format=json", "--records"], "in json\n");
        var seen = await rsyslog.SeenAsync(s => s.Count(e => e.GetProperty("parsed").TryGetProperty("type", out _)) == clients.Count + 1);
        Assert.All(seen, e => Assert.Equal("daemon", e.GetProperty("facility").GetString()));
        var record = Assert.Single(seen, e => e.GetProperty("parsed").TryGetProperty("type", out _)
            && e.GetProperty("parsed").GetProperty("left").GetProperty("peer").GetString() == clients[0].ToString()).GetProperty("parsed");
        Assert.Equal(8, record.GetProperty("left_to_right").GetProperty("bytes").GetInt32());
        Assert.Equal(record.GetProperty("id").GetInt32(), record.GetProperty("connection").GetInt32());
        Assert.Contains(seen, e => e.GetProperty("parsed").TryGetProperty("message", out var m)
            && m.GetString()!.StartsWith("starting data transfer loop", StringComparison.Ordinal)
            && e.GetProperty("parsed").GetProperty("connection").GetInt32() > 0);
    }

    [Fact]
    public async Task SocatLinesReachRsyslogAsSyslog3Would()
    {
        using var rsyslog = await Rsyslogd.StartAsync();
        await RecordsAndJsonLogTests.RelayAsync(["-d", "-d", "-ly", $"--syslog-socket={rsyslog.Socket}"], "plain\n");
        var seen = await rsyslog.SeenAsync(s => s.Any(e => e.GetProperty("msg").GetString()!.Contains("exiting on signal 15")));
        Assert.All(seen, e =>
        {
            Assert.Equal("0", e.GetProperty("version").GetString());   // RFC 3164, as glibc sends
            Assert.Equal("sharpcat", e.GetProperty("app").GetString());
        });
        Assert.Contains(seen, e => e.GetProperty("severity").GetString() == "notice"
            && e.GetProperty("msg").GetString()!.TrimStart().StartsWith("N starting data transfer loop", StringComparison.Ordinal));
    }
}
