using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>TCP over IPv4 and IPv6 on loopback, through the published binary.</summary>
public class TcpTests
{
    private static string S => Binaries.SharpCat;

    [Theory]
    [InlineData("TCP-LISTEN:0,reuseaddr", "TCP:127.0.0.1:{0}")]
    [InlineData("TCP4-LISTEN:0,reuseaddr", "TCP4:localhost:{0}")]
    [InlineData("TCP6-LISTEN:0,reuseaddr", "TCP6:[::1]:{0}")]
    [InlineData("TCP-LISTEN:0,pf=ip6", "TCP:[::1]:{0}")]
    [InlineData("TCP4-LISTEN:0,bind=127.0.0.1", "TCP:127.0.0.1:{0},nodelay,keepalive,rcvbuf=65536")]
    public async Task EchoThroughAListeningRelay(string listen, string connect)
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", listen, "PIPE");
        using var _ = server;
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        var r = await Run.SharpCatAsync(data, "-", string.Format(connect, port));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, r.Stdout);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    [Fact]
    public async Task ForkServesConcurrentClients()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork", "PIPE");
        using var _ = server;
        var clients = Enumerable.Range(0, 50).Select(async i =>
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            var stream = c.GetStream();
            byte[] data = RandomNumberGenerator.GetBytes(10_000 + i);
            await stream.WriteAsync(data);
            c.Client.Shutdown(SocketShutdown.Send);
            var back = new MemoryStream();
            await stream.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(data, back.ToArray());
        });
        await Task.WhenAll(clients);
        server.Signal(15);
        Assert.Equal(143, await server.WaitForExitAsync());
        Assert.Equal(50, System.Text.RegularExpressions.Regex.Matches(server.StderrText, "accepting connection from AF=2 127.0.0.1:").Count);
    }

    public static TheoryData<string, int> HalfCloseCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string transport in new[] { "TCP", "TCP6", "UNIX" })
            foreach (int size in new[] { 0, 1, 65536, 1 << 20, 64 << 20 })
                data.Add(transport, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(HalfCloseCases))]
    public async Task HalfCloseEachWayAtOnce(string transport, int size)
    {
        using var dir = new TempDir();
        byte[] toServer = RandomNumberGenerator.GetBytes(size);
        byte[] toClient = RandomNumberGenerator.GetBytes(size / 2 + 3);
        File.WriteAllBytes(dir["reply"], toClient);
        File.WriteAllBytes(dir["send"], toServer);
        // The server stores what it receives and sends a file back; each side's EOF must reach the
        // other while the other direction keeps flowing, and no byte may be lost either way.
        string serverAddress = transport switch
        {
            "TCP" => "TCP4-LISTEN:0,reuseaddr",
            "TCP6" => "TCP6-LISTEN:0,reuseaddr",
            _ => $"UNIX-LISTEN:{dir["sock"]}",
        };
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "-t", "10", serverAddress, $"OPEN:{dir["reply"]},rdonly!!CREATE:{dir["got"]}");
        using var _ = server;
        string clientAddress = transport switch
        {
            "TCP" => $"TCP:127.0.0.1:{port}",
            "TCP6" => $"TCP6:[::1]:{port}",
            _ => $"UNIX-CONNECT:{dir["sock"]}",
        };
        var client = await Run.ShellAsync($"{S} -t 10 - {clientAddress} <{dir["send"]}");
        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.Equal(toClient, client.Stdout);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Equal(toServer, File.ReadAllBytes(dir["got"]));
    }

    [Fact]
    public async Task SocketToSocketRelayKeepsEveryByteWithASlowReader()
    {
        // TCP to TCP with no taps goes through splice(2); a reader that lags makes the relay's
        // writes back up, which exercises the path where the pipe is emptied through memory.
        using var backend = new TcpListener(IPAddress.Loopback, 0);
        backend.Start();
        int backendPort = ((IPEndPoint)backend.LocalEndpoint).Port;
        var (relay, port) = await Listeners.SharpCatAsync("-dddd", "TCP-LISTEN:0,reuseaddr", $"TCP:127.0.0.1:{backendPort}");
        using var _ = relay;
        byte[] data = RandomNumberGenerator.GetBytes(8 << 20);
        var received = Task.Run(async () =>
        {
            using var conn = await backend.AcceptTcpClientAsync();
            var stream = conn.GetStream();
            var got = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                got.Write(buffer, 0, n);
                if (got.Length < (2 << 20)) await Task.Delay(1); // lag behind for the first 2 MiB
            }
            return got.ToArray();
        });
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync(data);
            client.Client.Shutdown(SocketShutdown.Send);
            await stream.CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(data, await received.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Contains("is not writable: ", relay.StderrText);
    }

    [Fact]
    public async Task InteroperatesWithSocatBothWays()
    {
        if (Binaries.Socat is null) throw new InvalidOperationException("socat is not installed (test.sh installs it)");
        byte[] data = RandomNumberGenerator.GetBytes(100_000);
        // socat listens, sharpcat connects.
        var (socat, port) = await Listeners.StartAsync(Binaries.Socat, "-d", "-d", "TCP-LISTEN:0,reuseaddr", "PIPE");
        using (socat)
        {
            var r = await Run.SharpCatAsync(data, "-", $"TCP:127.0.0.1:{port}");
            Assert.Equal(data, r.Stdout);
        }
        // sharpcat listens, socat connects.
        var (sharp, port2) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr", "PIPE");
        using (sharp)
        {
            var r = await Run.SocatAsync(data, "-", $"TCP:127.0.0.1:{port2}");
            Assert.Equal(data, r.Stdout);
            Assert.Equal(0, await sharp.WaitForExitAsync());
        }
    }

    [Fact]
    public async Task GenericSocketAddressesSpeakTcp()
    {
        int port = FreePorts.Next();
        string hexPort = $"x{port:x4}";
        using var server = LiveProcess.SharpCat("-d", "-d", $"SOCKET-LISTEN:2:6:{hexPort}x00000000x0000000000000000,reuseaddr", "PIPE");
        await server.WaitForStderrAsync($"listening on AF=2 0.0.0.0:{port}");
        var r = await Run.SharpCatAsync("generic"u8.ToArray(), "-", $"SOCKET-CONNECT:2:6:{hexPort}x7f000001x0000000000000000");
        Assert.Equal("generic", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    /// <summary>
    /// SOCKET-CONNECT over IPv6 (Linux's AF_INET6 is 10) with a bind, and setsockopt's data as an
    /// int (TCP_MAXSEG 512): socat's SOCKET_CONNECT_TCP6 and SETSOCKOPT, beside socat.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task GenericSocketAddressesSpeakTcpOverIpv6(string program)
    {
        string binary = Binaries.Of(program);
        int port = FreePorts.Next(), source = FreePorts.Next();
        using var server = LiveProcess.Start(binary, "-d", "-d", $"TCP6-LISTEN:{port},bind=[::1],reuseaddr", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var r = await Run.ProgramAsync(binary, ["-", $"SOCKET-CONNECT:10:6:x{port:x4}x00000000x00000000000000000000000000000001x00000000,bind=x{source:x4}x00000000x00000000000000000000000000000000x00000000,setsockopt=6:2:512"],
            "generic6"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("generic6", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    /// <summary>
    /// retry covers a listener's bind, as socat's listen loop does (its INTRANETRIPPER test needs
    /// it): a port still held is tried again until it is free.
    /// </summary>
    [Fact]
    public async Task RetryCoversTheListenersBind()
    {
        string binary = Binaries.SharpCat;
        int port = FreePorts.Next();
        var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        holder.Listen();
        using var relay = LiveProcess.Start(binary, "-d", "-d", $"TCP4-LISTEN:{port},bind=127.0.0.1,retry=50,interval=0.2", "PIPE");
        await relay.WaitForStderrAsync("Address already in use");
        holder.Dispose();
        await relay.WaitForStderrAsync("listening on");
        var r = await Run.SharpCatAsync("bound\n"u8.ToArray(), "-t", "5", "-", $"TCP4:127.0.0.1:{port}");
        Assert.Equal("bound\n", r.StdoutText);
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task SocketOptionsReachTheAcceptedConnection()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,keepalive,keepidle=33,rcvbuf=100000,nodelay,tos=0x10", "PIPE");
        using var _ = server;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await server.WaitForStderrAsync("starting data transfer loop");
        var ss = await Run.ProgramAsync("/usr/bin/ss", ["-tnoemH", "state", "established", $"( sport = :{port} )"], [], Run.DefaultTimeout);
        Assert.Matches(@"timer:\(keepalive,(3[0-3]|[12]\d)sec", ss.StdoutText); // keepidle=33 counting down
        Assert.Contains("rb200000", ss.StdoutText);                              // the kernel doubles SO_RCVBUF
    }

    [Fact]
    public async Task RefusedConnection()
    {
        int port = FreePorts.Next();
        var r = await Run.SharpCatAsync("-", $"TCP:127.0.0.1:{port}");
        Assert.Equal(1, r.ExitCode);
        Assert.Matches($@"^E connect\(\d+, AF=2 127\.0\.0\.1:{port}, 16\): Connection refused$", r.LogLines.Single());
    }

    [Fact]
    public async Task RetryTriesAgainThenFails()
    {
        int port = FreePorts.Next();
        var r = await Run.SharpCatAsync("-d", "-", $"TCP:127.0.0.1:{port},retry=2,interval=0.05");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(2, r.LogLines.Count(l => l.StartsWith("W connect(")));
        Assert.StartsWith("E connect(", r.LogLines[^1]);
    }

    [Theory]
    [InlineData("TCP:127.0.0.1:99999", "invalid port \"99999\"")]
    [InlineData("TCP:127.0.0.1:nosuchservice", "unknown service \"nosuchservice\"")]
    [InlineData("TCP-LISTEN:abc", "unknown service \"abc\"")]
    // A malformed name is refused before any lookup: tests never send a DNS query.
    [InlineData("TCP:bad..name:80", "invalid host name \"bad..name\"")]
    [InlineData("TCP4:[::1]:80", "TCP4-CONNECT: \"[::1]\" is an IPv6 address, but TCP4-CONNECT is IPv4 only")]
    public async Task BadTargets(string address, string message)
    {
        var r = await Run.SharpCatAsync("-u", "/dev/null", address);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.LogLines.Single());
    }

    [Fact]
    public async Task UnknownHostInANamespaceWithoutNetwork()
    {
        // unshare -n: only a loopback interface, so the resolver's query cannot leave the machine.
        var r = await Run.ProgramAsync("/usr/bin/unshare", ["-n", Binaries.SharpCat, "-u", "/dev/null", "TCP:no-such-host.invalid:80"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("^E getaddrinfo\\(\"no-such-host.invalid\", \"NULL\", \\{1,0,1,6\\}, \\{\\}\\): ", r.LogLines.Single());
    }

    [Fact]
    public async Task BadPortIsFoundBeforeTheFirstAddressOpens()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync($"OPEN:{dir["f"]},creat", "TCP:127.0.0.1:70000");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("invalid port \"70000\"", r.LogLines.Single());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task PortInUseWithoutReuseaddr()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var r = await Run.SharpCatAsync($"TCP-LISTEN:{port},bind=127.0.0.1", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Matches($@"^E bind\(\d+, {{AF=2 127\.0\.0\.1:{port}}}, 16\): Address already in use$", r.LogLines.Single());
    }

    [Fact]
    public async Task RangeRefusesOutsidersAndKeepsListening()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork,range=10.0.0.0/8", "PIPE");
        using var _ = server;
        using (var c = new TcpClient())
        {
            await c.ConnectAsync(IPAddress.Loopback, port);
            var buffer = new byte[1];
            int n = await c.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, n); // closed on us
        }
        await server.WaitForStderrAsync("refusing connection from AF=2 127.0.0.1:");
        using var again = new TcpClient();
        await again.ConnectAsync(IPAddress.Loopback, port); // still listening
        server.Signal(15);
        Assert.Equal(143, await server.WaitForExitAsync());
    }

    /// <summary>
    /// range= may name its address, looked up when the listener opens (socat's test.sh FDLEAK uses
    /// range=localhost:255.255.255.255): a peer from 127.1.0.1 is refused, one from 127.0.0.1 served.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task RangeMayNameItsAddress(string program)
    {
        string binary = Binaries.Of(program);
        var (server, port) = await Listeners.StartAsync(binary, "-d", "-d", "TCP4-LISTEN:0,reuseaddr,range=localhost:255.255.255.255", "PIPE");
        using var _ = server;
        using (var outsider = new TcpClient(new IPEndPoint(IPAddress.Parse("127.1.0.1"), 0)))
        {
            await outsider.ConnectAsync(IPAddress.Loopback, port);
            int n = await outsider.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, n); // closed on us
        }
        await server.WaitForStderrAsync("refusing connection from AF=2 127.1.0.1:");
        using var insider = new TcpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await insider.ConnectAsync(IPAddress.Loopback, port);
        await insider.GetStream().WriteAsync("inside\n"u8.ToArray());
        var buffer = new byte[7];
        await insider.GetStream().ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("inside\n"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task SocketOptionOnANonSocketFailsLikeSocat()
    {
        var r = await Run.SharpCatAsync("-,reuseaddr", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("E setsockopt(0, 1, 2, {1}, 4): Socket operation on non-socket", r.LogLines.Single());
    }

    [Fact]
    public async Task SourcePortIsUsed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        int source = FreePorts.Next();
        var client = Run.SharpCatAsync("x"u8.ToArray(), "-u", "-", $"TCP:127.0.0.1:{port},sourceport={source}");
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(source, ((IPEndPoint)accepted.Client.RemoteEndPoint!).Port);
        Assert.Equal(0, (await client).ExitCode);
    }
}
