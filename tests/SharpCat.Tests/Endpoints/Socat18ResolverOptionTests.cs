using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's resolver options and variables beside socat 1.8.0.3: getaddrinfo's flags
/// (ai-v4mapped, ai-passive, ai-addrconfig, ai-all), SOCAT_PREFERRED_RESOLVE_IP and
/// SOCAT_DEFAULT_LISTEN_IP (the _res options: Socat18ResolverStateTests). This machine's /etc/hosts
/// names localhost for 127.0.0.1 only, which is what the v4mapped and preference cases rely on.
/// </summary>
public class Socat18ResolverOptionTests
{
    private static readonly string[] Programs = ["socat18", "sharpcat"];

    private static bool LocalhostIsIpv4Only() =>
        Dns.GetHostAddresses("localhost").All(a => a.AddressFamily == AddressFamily.InterNetwork);

    /// <summary>ai-v4mapped on TCP6: localhost (IPv4 only) becomes ::ffff:127.0.0.1, which a dual-stack listener accepts.</summary>
    [Theory]
    [InlineData("TCP6:localhost:{port},ai-v4mapped=1")]
    [InlineData("TCP6:localhost:{port},v4mapped")]
    [InlineData("TCP6:localhost:{port},ai-v4mapped,ai-all")]
    [InlineData("TCP6:127.0.0.1:{port},ai-v4mapped")]
    public async Task V4MappedConnectsToTheMappedAddressAsSocat18Does(string address)
    {
        if (!LocalhostIsIpv4Only()) return;
        foreach (string program in Programs)
        {
            using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            listener.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            listener.Listen();
            int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            var run = Run.ProgramAsync(Binaries.Of(program), ["-", address.Replace("{port}", port.ToString())], "mapped\n"u8.ToArray(), Run.DefaultTimeout);
            using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1"), ((IPEndPoint)accepted.RemoteEndPoint!).Address);
            var buffer = new byte[16];
            int n = await accepted.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("mapped\n", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            accepted.Shutdown(SocketShutdown.Both);
            Assert.Equal(0, (await run).ExitCode);
        }
    }

    [Theory]
    [InlineData("TCP6:localhost:9,ai-v4mapped=0")]
    [InlineData("UDP6-SENDTO:localhost:9,v4mapped=0")]
    public async Task WithoutV4MappedAnIpv4OnlyNameFailsAsWithSocat18(string address)
    {
        if (!LocalhostIsIpv4Only()) return;
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-", address], [], Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(r.LogLines, l => l.StartsWith("E ") && l.EndsWith("Name or service not known"));
        }
    }

    /// <summary>ai-passive=0: a listener or receiver without bind= binds to the loopback address, as getaddrinfo answers then.</summary>
    [Theory]
    [InlineData("TCP4-LISTEN:0,ai-passive=0", "PIPE", "127.0.0.1")]
    [InlineData("TCP6-LISTEN:0,passive=0", "PIPE", "[::1]")]
    [InlineData("TCP4-LISTEN:0,ai-passive=1", "PIPE", "0.0.0.0")]
    [InlineData("UDP4-RECV:0,ai-passive=0", "-", "127.0.0.1")]
    [InlineData("UDP6-RECV:0,ai-passive=0", "-", "[::1]")]
    public async Task PassiveDecidesWhereAListenerBindsAsInSocat18(string address, string other, string expected)
    {
        foreach (string program in Programs)
        {
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-u", address, other);
            await relay.WaitForStderrAsync(log => log.Contains("listening on") || log.Contains("starting data transfer loop"), "the socket is bound");
            using var socket = ForeignSocket.Find(relay.Pid, s => s.Family is 2 or 10)
                ?? throw new InvalidOperationException($"{program}: no socket; stderr:\n{relay.StderrText}");
            Assert.StartsWith(expected + ":", socket.Local);
        }
    }

    /// <summary>ai-addrconfig: localhost still resolves on a machine whose only other family is configured as well.</summary>
    [Fact]
    public async Task AddrconfigAndAllResolveAsWithSocat18()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        foreach (string program in Programs)
        foreach (string options in new[] { "ai-addrconfig=0", "addrconfig", "ai-all=1" })
        {
            var run = Run.ProgramAsync(Binaries.Of(program), ["-", $"TCP4:localhost:{port},{options}"], "a\n"u8.ToArray(), Run.DefaultTimeout);
            using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
            accepted.Client.Shutdown(SocketShutdown.Send);
            var r = await run;
            Assert.True(r.ExitCode == 0, $"{program} {options}: {r}");
        }
    }

    [Theory]
    [InlineData("STDIO,ai-all")]
    [InlineData("FD:0,ai-passive=0")]
    public async Task ResolverFlagsWhereNothingIsResolvedAreRefused(string address)
    {
        var r = await Run.SharpCatAsync(address, "PIPE");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("sets name resolution", Assert.Single(r.LogLines));
    }

    /// <summary>
    /// SOCAT_PREFERRED_RESOLVE_IP=6 is a preference: a name with only an IPv4 address still
    /// connects over IPv4, as under socat 1.8 (and 1.7.4); -6 is the same preference for names.
    /// </summary>
    [Theory]
    [InlineData("SOCAT_PREFERRED_RESOLVE_IP", "6", false)]
    [InlineData("SOCAT_PREFERRED_RESOLVE_IP", "4", false)]
    [InlineData(null, null, true)]
    public async Task PreferredResolveVersionFallsBackAsInSocat18(string? variable, string? value, bool minus6)
    {
        if (!LocalhostIsIpv4Only()) return;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        foreach (string program in Programs)
        {
            var env = variable is null ? null : new Dictionary<string, string?> { [variable] = value };
            string[] args = minus6 ? ["-6", "-", $"TCP:localhost:{port}"] : ["-", $"TCP:localhost:{port}"];
            var run = Run.ProgramAsync(Binaries.Of(program), args, "p\n"u8.ToArray(), Run.DefaultTimeout, environment: env);
            using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
            accepted.Client.Shutdown(SocketShutdown.Send);
            var r = await run;
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
        }
    }

    /// <summary>SOCAT_DEFAULT_LISTEN_IP=4/6: the family a listener or receiver takes, read off its socket.</summary>
    [Theory]
    [InlineData("4", "TCP-LISTEN:0", 2)]
    [InlineData("6", "TCP-LISTEN:0", 10)]
    [InlineData("6", "UDP-RECV:0", 10)]
    [InlineData("6", "UDPLITE-RECV:0", 10)]
    public async Task DefaultListenVersionIsTheListenersFamilyAsInSocat18(string value, string address, int family)
    {
        foreach (string program in Programs)
        {
            using var relay = LiveProcess.Start("/usr/bin/env", $"SOCAT_DEFAULT_LISTEN_IP={value}", Binaries.Of(program), "-d", "-d", "-u", address, "-");
            await relay.WaitForStderrAsync(log => log.Contains("listening on") || log.Contains("starting data transfer loop"), "the socket is bound");
            using var socket = ForeignSocket.Find(relay.Pid, s => s.Family is 2 or 10)
                ?? throw new InvalidOperationException($"{program}: no socket; stderr:\n{relay.StderrText}");
            Assert.Equal(family, socket.Family);
        }
    }
}
