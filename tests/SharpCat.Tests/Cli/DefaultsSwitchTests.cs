using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>
/// socat 1.8's changed defaults: sharpcat keeps 1.7.4's and takes 1.8's with --defaults=1.8; each
/// default is checked beside the socat that has it (socat is 1.7.4, socat18 is 1.8.0.3).
/// </summary>
public class DefaultsSwitchTests
{
    /// <summary>"socat", "socat18", "sharpcat" or "sharpcat18" (sharpcat --defaults=1.8): the binary and its leading arguments.</summary>
    private static (string Binary, string[] Args) Program(string program) => program == "sharpcat18"
        ? (Binaries.SharpCat, ["--defaults=1.8"])
        : (Binaries.Of(program), []);

    /// <summary>socat 1.8 logs warnings without -d; 1.7.4 logs errors only.</summary>
    [Theory]
    [InlineData("socat", false)]
    [InlineData("sharpcat", false)]
    [InlineData("socat18", true)]
    [InlineData("sharpcat18", true)]
    public async Task WarningsAreShownByDefaultUnder18(string program, bool shown)
    {
        var (binary, args) = Program(program);
        int port = FreePorts.Next();
        using var relay = LiveProcess.Start(binary, [.. args, $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", "PIPE"]);
        await Wait.UntilAsync(() =>
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { probe.Connect(IPAddress.Loopback, port); return true; }
            catch (SocketException) { return false; }
        }, 10);
        relay.Signal(15);
        Assert.Equal(143, await relay.WaitForExitAsync());
        Assert.Equal(shown, relay.StderrText.Contains(" W exiting on signal 15"));
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat18")]
    public async Task DashD0HidesWarningsAgain(string program)
    {
        var (binary, args) = Program(program);
        var r = await Run.ProgramAsync(binary, [.. args, "-d0", "-u", "-", "-"], "x\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.StderrText);
    }

    /// <summary>
    /// SO_REUSEADDR on a TCP listener: the listener closes a connection first (its port is left in
    /// TIME_WAIT), then a second listener on that port binds only with SO_REUSEADDR.
    /// </summary>
    [Theory]
    [InlineData("socat", "", false)]
    [InlineData("sharpcat", "", false)]
    [InlineData("socat18", "", true)]
    [InlineData("sharpcat18", "", true)]
    [InlineData("socat18", ",reuseaddr=0", false)]
    [InlineData("sharpcat18", ",reuseaddr=0", false)]
    public async Task TcpListenersReuseTheAddressUnder18(string program, string option, bool rebinds)
    {
        var (binary, args) = Program(program);
        int port = FreePorts.Next();
        using (var first = LiveProcess.Start(binary, [.. args, $"TCP4-LISTEN:{port},bind=127.0.0.1{option}", "SYSTEM:echo hi"]))
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await Wait.UntilAsync(() =>
            {
                try { client.Connect(IPAddress.Loopback, port); return true; }
                catch (SocketException) { return false; }
            }, 10);
            // Read to the end: the relay closed its side first.
            var buffer = new byte[16];
            while (await client.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10)) > 0) { }
            Assert.Equal(0, await first.WaitForExitAsync());
        }
        var second = await Run.ProgramAsync(binary, [.. args, "-d", "-d", "-d", "-T", "0.1", $"TCP4-LISTEN:{port},bind=127.0.0.1{option},accept-timeout=0.1", "PIPE"], [], Run.DefaultTimeout);
        Assert.Equal(rebinds, !second.StderrText.Contains("Address already in use"));
        Assert.Equal(rebinds && option == "", second.StderrText.Contains("I Setting SO_REUSADDR on TCP listen socket implicitly"));
    }

    /// <summary>-T 0: no timeout for socat 1.7.4, zero seconds for 1.8 (where a negative value means none).</summary>
    [Theory]
    [InlineData("socat", "0", true)]
    [InlineData("sharpcat", "0", true)]
    [InlineData("socat18", "0", false)]
    [InlineData("sharpcat18", "0", false)]
    [InlineData("socat18", "-1", true)]
    [InlineData("sharpcat18", "-1", true)]
    public async Task DashTZero(string program, string seconds, bool waitsForData)
    {
        var (binary, args) = Program(program);
        // The data comes after the relay started; only a relay without a timeout is still there.
        var r = await Run.ProgramAsync("sh", ["-c", "(sleep 0.5; echo late) | \"$@\"", "sh", binary, .. args, "-u", "-T", seconds, "-", "-"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(waitsForData ? "late\n" : "", r.StdoutText);
    }

    /// <summary>SOCAT_DEFAULT_LISTEN_IP=0: socat 1.8 listens on both versions (as -0); 1.7.4 stays on IPv4.</summary>
    [Theory]
    [InlineData("socat", "AF=2 0.0.0.0:")]
    [InlineData("sharpcat", "AF=2 0.0.0.0:")]
    [InlineData("socat18", "AF=10 [0000:0000:0000:0000:0000:0000:0000:0000]:")]
    [InlineData("sharpcat18", "AF=10 [0000:0000:0000:0000:0000:0000:0000:0000]:")]
    public async Task DefaultListenIpZero(string program, string listening)
    {
        var (binary, args) = Program(program);
        using var relay = LiveProcess.Start("env", ["SOCAT_DEFAULT_LISTEN_IP=0", binary, .. args, "-d", "-d", "TCP-LISTEN:0", "PIPE"]);
        await relay.WaitForStderrAsync("listening on");
        Assert.Contains("listening on " + listening, relay.StderrText);
    }

    [Fact]
    public async Task ANegativeDashTIsRefusedUnder174()
    {
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-T", "-1", "-u", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("option -T: invalid time \"-1\"", r.StderrText);
    }

    [Fact]
    public async Task AnUnknownDefaultsVersionIsRefused()
    {
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "--defaults=1.9", "-u", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("option --defaults: \"1.9\" is not one of 1.7.4, 1.8", r.StderrText);
    }

    /// <summary>
    /// A name with an IPv4 and an IPv6 address where only the IPv6 one listens: socat 1.8 and
    /// sharpcat (in both settings) try the next address; socat 1.7.4 gives up after the first.
    /// The name comes from a hosts file bind-mounted in a mount namespace of the run's own.
    /// </summary>
    [Theory]
    [InlineData("socat", false)]
    [InlineData("socat18", true)]
    [InlineData("sharpcat", true)]
    [InlineData("sharpcat18", true)]
    public async Task EveryResolvedAddressIsTried(string program, bool connects)
    {
        var (binary, args) = Program(program);
        using var dir = new TempDir();
        File.WriteAllText(dir["hosts"], "127.0.0.1 localhost\n127.0.0.1 both.sharpcat.test\n::1 both.sharpcat.test\n");
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var served = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await peer.SendAsync("v6\n"u8.ToArray());
            peer.Shutdown(SocketShutdown.Send);
            var sink = new byte[64];
            while (await peer.ReceiveAsync(sink) > 0) { }
        });
        var r = await Run.ProgramAsync("unshare", ["-m", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", dir["hosts"],
            binary, .. args, "-", $"TCP:both.sharpcat.test:{port}"], [], Run.DefaultTimeout);
        Assert.Equal(connects ? 0 : 1, r.ExitCode);
        Assert.Equal(connects ? "v6\n" : "", r.StdoutText);
        if (connects) await served.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
