using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpCat.Diagnostics;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>-ly and -lm: lines reach a syslog socket in the form glibc's syslog(3) sends.</summary>
public class SyslogTests
{
    private static (Socket Server, TempDir Dir, SocatLoggerProvider Logging) Listen()
    {
        var dir = new TempDir();
        var server = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(dir["log"]));
        var logging = new SocatLoggerProvider { MinimumLevel = LogLevel.Information, SyslogSocketPath = dir["log"] };
        return (server, dir, logging);
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
        var (server, dir, logging) = Listen();
        using var _ = server;
        using var __ = dir;
        using var ___ = logging;
        logging.WriteToSyslog("local3", mixed: false);
        logging.CreateLogger("test").LogInformation("hello syslog");
        string line = await ReceiveAsync(server);
        // local3 (19) * 8 + notice (5) = 157
        Assert.Matches(@"^<157>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d sharpcat\[\d+\]: N hello syslog$", line);
    }

    [Fact]
    public async Task MixedModeSwitchesToSyslogWhenTheRelayStarts()
    {
        var (server, dir, logging) = Listen();
        using var _ = server;
        using var __ = dir;
        using var ___ = logging;
        logging.WriteToSyslog(null, mixed: true);
        var logger = logging.CreateLogger("test");
        logger.LogInformation("still on stderr");
        logging.StartPhaseOver();
        logger.LogInformation("now in syslog");
        string line = await ReceiveAsync(server);
        // daemon (3) * 8 + notice (5) = 29; the first line never reached the socket.
        Assert.Matches(@"^<29>.* N now in syslog$", line);
    }

    [Fact]
    public async Task UnknownFacilityIsAnError()
    {
        var r = await Run.SharpCatAsync("-lynosuchfacility", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown syslog facility \"nosuchfacility\"", r.LogLines.Single());
    }
}
