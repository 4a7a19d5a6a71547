using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>
/// socat 1.8's global options beside socat 1.8.0.3 itself: <c>-d0</c>…<c>-d4</c>, <c>-0</c>,
/// <c>-S &lt;mask&gt;</c> and <c>--experimental</c>.
/// </summary>
public class Socat18GlobalOptionTests
{
    /// <summary>The lowest level letter a run logged: D, I, N, W, E, or '-' when it logged nothing.</summary>
    private static char LowestLevel(RunResult r) =>
        r.LogLines.Select(l => l.Length > 1 && l[1] == ' ' ? "DINWEF".IndexOf(l[0]) : -1).Where(i => i >= 0)
            .DefaultIfEmpty(-1).Min() is int i and >= 0 ? "DINWEF"[i] : '-';

    [Theory]
    [InlineData("socat18", new[] { "-d2" }, 'N')]
    [InlineData("sharpcat", new[] { "-d2" }, 'N')]
    [InlineData("socat18", new[] { "-d3" }, 'I')]
    [InlineData("sharpcat", new[] { "-d3" }, 'I')]
    [InlineData("socat18", new[] { "-d4" }, 'D')]
    [InlineData("sharpcat", new[] { "-d4" }, 'D')]
    // -dN sets the level, -d adds one, in the order given.
    [InlineData("socat18", new[] { "-d2", "-d" }, 'I')]
    [InlineData("sharpcat", new[] { "-d2", "-d" }, 'I')]
    [InlineData("socat18", new[] { "-ddd", "-d0" }, '-')]
    [InlineData("sharpcat", new[] { "-ddd", "-d0" }, '-')]
    public async Task DashDWithADigitSetsTheLevel(string program, string[] levels, char lowest)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), [.. levels, "-u", "-", "UDP-SENDTO:127.0.0.1:9,bind=127.0.0.1"], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(lowest, LowestLevel(r));
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task DashD0ShowsErrorsOnly(string program)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-d0", "-u", $"OPEN:{dir}/missing", "-"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal('E', LowestLevel(r));
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task DashD5IsRefused(string program)
    {
        // socat 1.8 prints its usage and goes on; both refuse to relay anything (sharpcat: exit 1 at once).
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-d5", "-u", "-", "OPEN:/dev/null"], "x"u8.ToArray(), Run.DefaultTimeout);
        if (program == "sharpcat")
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("E unknown option \"-d5\"", r.StderrText);
        }
        else Assert.Contains("Usage:", r.StderrText);
    }

    /// <summary>-0: a listener that names no IP version binds [::] and serves IPv4 and IPv6 clients.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task DashZeroListensOnBothIpVersions(string program)
    {
        int port = FreePorts.Next();
        using var server = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-0", $"TCP-LISTEN:{port},reuseaddr,fork", "PIPE");
        await server.WaitForStderrAsync("listening on");
        Assert.Contains($"listening on AF=10 [0000:0000:0000:0000:0000:0000:0000:0000]:{port}", server.StderrText);
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            using var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(10));
            await client.SendAsync("both\n"u8.ToArray());
            var buffer = new byte[5];
            int got = 0;
            while (got < 5) got += await client.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("both\n"u8.ToArray(), buffer);
        }
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task WithoutDashZeroTheListenerTakesIpv4(string program)
    {
        using var server = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "TCP-LISTEN:0", "PIPE");
        await server.WaitForStderrAsync("listening on");
        Assert.Contains("listening on AF=2 0.0.0.0:", server.StderrText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task VersionListsNamespacesAndStatistics(string program)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-V"], [], Run.DefaultTimeout);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("  #define WITH_NAMESPACES 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_STATS 1\n", r.StdoutText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ExperimentalIsAccepted(string program)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), ["--experimental", "-u", "-", "-"], "exp\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("exp\n", r.StdoutText);
    }

    // A python parent tells a death by signal (returncode -N) from an exit with status 128+N.
    private const string SignalScript = """
        import subprocess, sys, select, time
        sig = int(sys.argv[1])
        p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = b""
        deadline = time.time() + 20
        while b"starting data transfer loop" not in err and time.time() < deadline:
            if select.select([p.stderr], [], [], 1)[0]:
                chunk = p.stderr.read1(4096)
                if not chunk: break
                err += chunk
        p.send_signal(sig)
        # stdin stays open until the end: its EOF must not end the relay before the signal does.
        p.wait(timeout=20)
        rest = p.stderr.read()
        print(p.returncode)
        sys.stdout.write((err + rest).decode())
        """;

    /// <summary>Sends a signal once the relay runs; returns how it ended ("143" exit, "-15" killed) and its log.</summary>
    private static async Task<(string End, string Log)> SignalAsync(string program, int signal, params string[] options)
    {
        var r = await Run.ProgramAsync("python3", ["-c", SignalScript, signal.ToString(), Binaries.Of(program), "-d", "-d", .. options, "-", "PIPE"],
            [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.StdoutText.Split('\n', 2);
        return (lines[0], lines.Length > 1 ? lines[1] : "");
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ByDefaultTermIsCaughtAndLogged(string program)
    {
        var (end, log) = await SignalAsync(program, 15);
        Assert.Equal("143", end);
        Assert.Contains("W exiting on signal 15", log);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AMaskWithoutTermLetsTermKill(string program)
    {
        var (end, log) = await SignalAsync(program, 15, "-S", "0");
        Assert.Equal("-15", end);
        Assert.DoesNotContain("exiting on signal", log);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AMaskWithUsr2CatchesIt(string program)
    {
        // SIGUSR2 is 12: bit 0x1000. Its default action would kill silently.
        var (end, log) = await SignalAsync(program, 12, "-S", "0x1000");
        Assert.Equal("140", end);
        Assert.Contains("E exiting on signal 12", log);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AMaskReplacesTheDefaultSet(string program)
    {
        // Only SIGHUP (bit 1): SIGINT now kills.
        var (end, _) = await SignalAsync(program, 2, "-S2");
        Assert.Equal("-2", end);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ABadMaskIsRefused(string program)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-S", "abc", "-u", "-", "-"], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.StdoutText);
        Assert.Contains(" E ", r.StderrText);
        Assert.Contains("-S", r.StderrText);
    }
}
