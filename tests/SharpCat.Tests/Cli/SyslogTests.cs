using System.Net.Sockets;
using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>The logger is process-wide: these tests change it, so they run alone.</summary>
[CollectionDefinition("process-wide logger", DisableParallelization = true)]
public class LoggerCollection;

/// <summary>-ly and -lm: lines reach a syslog socket in the form glibc's syslog(3) sends.</summary>
[Collection("process-wide logger")]
public class SyslogTests
{
    private static (Socket Server, TempDir Dir) Listen()
    {
        var dir = new TempDir();
        var server = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(dir["log"]));
        Log.SyslogSocketPath = dir["log"];
        return (server, dir);
    }

    /// <summary>Runs a check with the logger at notice level, and puts it back to stderr afterwards.</summary>
    private static async Task WithLoggerAsync(Func<Task> check)
    {
        var threshold = Log.Threshold;
        try
        {
            Log.Threshold = Severity.Notice;
            await check();
        }
        finally
        {
            Log.Threshold = threshold;
            Log.ResetTarget();
        }
    }

    private static async Task<string> ReceiveAsync(Socket server)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await server.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task SyslogLineHasPriorityTimestampNameAndLevel()
    {
        var (server, dir) = Listen();
        using var _ = server;
        using var __ = dir;
        await WithLoggerAsync(async () =>
        {
            Log.ToSyslog("local3", mixed: false);
            Log.Notice("hello syslog");
            string line = await ReceiveAsync(server);
            // local3 (19) * 8 + notice (5) = 157
            Assert.Matches(@"^<157>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d sharpcat\[\d+\]: N hello syslog$", line);
        });
    }

    [Fact]
    public async Task MixedModeSwitchesToSyslogWhenTheRelayStarts()
    {
        var (server, dir) = Listen();
        using var _ = server;
        using var __ = dir;
        await WithLoggerAsync(async () =>
        {
            Log.ToSyslog(null, mixed: true);
            Log.Notice("still on stderr");
            Log.StartPhaseOver();
            Log.Notice("now in syslog");
            string line = await ReceiveAsync(server);
            // daemon (3) * 8 + notice (5) = 29; the first line never reached the socket.
            Assert.Matches(@"^<29>.* N now in syslog$", line);
        });
    }

    [Fact]
    public async Task UnknownFacilityIsAnError()
    {
        var r = await Run.SharpCatAsync("-lynosuchfacility", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown syslog facility \"nosuchfacility\"", r.LogLines.Single());
    }
}
