using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>fork in one process: many relays at once, limits, and clean-up.</summary>
public class ForkTests
{
    [Fact]
    public async Task AThousandConcurrentConnectionsCompleteAndLeaveNoFds()
    {
        RaiseOwnFdLimit();
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork", "PIPE");
        using var _ = server;
        await EchoOnceAsync(port, RandomNumberGenerator.GetBytes(100)); // warm-up: the runtime's own fds exist now
        await Wait.UntilAsync(() => server.StderrText.Contains("relay 1 finished"));
        int before = FdCount(server.Pid);

        var clients = new List<(TcpClient Client, byte[] Data)>();
        try
        {
            // All 1000 connected at the same time, then all talking at once.
            for (int i = 0; i < 1000; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                clients.Add((c, RandomNumberGenerator.GetBytes(1000 + i)));
            }
            await Task.WhenAll(clients.Select(async x =>
            {
                var stream = x.Client.GetStream();
                await stream.WriteAsync(x.Data);
                x.Client.Client.Shutdown(SocketShutdown.Send);
                var back = new MemoryStream();
                await stream.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(60));
                Assert.Equal(x.Data, back.ToArray());
            }));
        }
        finally
        {
            foreach (var (c, _) in clients) c.Dispose();
        }
        await Wait.UntilAsync(() => FdCount(server.Pid) <= before);
        Assert.True(FdCount(server.Pid) <= before);
    }

    [Fact]
    public async Task IdleSplicedRelaysDoNotHoldUpAccepting()
    {
        // A backend that accepts and holds connections without a word: each relay stays idle in
        // both directions, which must cost no thread (splice on a blocking socket would).
        using var backend = new TcpListener(IPAddress.Loopback, 0);
        backend.Start(1024);
        int backendPort = ((IPEndPoint)backend.LocalEndpoint).Port;
        var held = new System.Collections.Concurrent.ConcurrentBag<TcpClient>();
        using var stop = new CancellationTokenSource();
        var holding = Task.Run(async () =>
        {
            try { while (true) held.Add(await backend.AcceptTcpClientAsync(stop.Token)); }
            catch (OperationCanceledException) { }
        });
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork", $"TCP:127.0.0.1:{backendPort}");
        using var _ = relay;
        var clients = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                clients.Add(c);
            }
            await Wait.UntilAsync(() => held.Count == 200);
            // Idle relays wait in epoll, not in threads: the process keeps a small thread count.
            int threads = int.Parse(File.ReadAllLines($"/proc/{relay.Pid}/status").First(l => l.StartsWith("Threads:"))[8..].Trim());
            Assert.True(threads < 40, $"{threads} threads for 200 idle relays");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            stop.Cancel();
            await holding;
            foreach (var h in held) h.Dispose();
        }
    }

    [Fact]
    public async Task MaxChildrenMakesFurtherClientsWait()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork,max-children=1", "PIPE");
        using var _ = server;
        using var first = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, port);
        var firstStream = first.GetStream();
        await server.WaitForStderrAsync("maxchildren are active, waiting");
        // The second client is connected by the kernel but not served while the first is open.
        using var second = new TcpClient();
        await second.ConnectAsync(IPAddress.Loopback, port);
        var secondStream = second.GetStream();
        await secondStream.WriteAsync("two"u8.ToArray());
        second.Client.Shutdown(SocketShutdown.Send);
        var secondRead = new MemoryStream();
        var secondDone = secondStream.CopyToAsync(secondRead);
        Assert.NotSame(secondDone, await Task.WhenAny(secondDone, Task.Delay(300)));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(server.StderrText, "accepting connection"));
        first.Client.Shutdown(SocketShutdown.Send);
        await firstStream.CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(20));
        await secondDone.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("two", System.Text.Encoding.ASCII.GetString(secondRead.ToArray()));
    }

    [Fact]
    public async Task AcceptTimeoutEndsTheListenerNormally()
    {
        var r = await Run.SharpCatAsync("-d", "TCP-LISTEN:0,reuseaddr,fork,accept-timeout=0.2", "PIPE");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("W accept: Connection timed out", r.LogLines);
    }

    [Fact]
    public async Task FailingSecondAddressEndsOnlyThatRelay()
    {
        using var dir = new TempDir();
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,fork", $"OPEN:{dir["missing"]}/x");
        using var _ = server;
        for (int i = 0; i < 3; i++)
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            Assert.Equal(0, await c.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        await Wait.UntilAsync(() => System.Text.RegularExpressions.Regex.Matches(server.StderrText, " E relay \\d+: open\\(").Count == 3);
        server.Signal(15);
        Assert.Equal(143, await server.WaitForExitAsync());
    }

    private static async Task EchoOnceAsync(int port, byte[] data)
    {
        using var c = new TcpClient();
        await c.ConnectAsync(IPAddress.Loopback, port);
        var stream = c.GetStream();
        await stream.WriteAsync(data);
        c.Client.Shutdown(SocketShutdown.Send);
        var back = new MemoryStream();
        await stream.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(data, back.ToArray());
    }

    // A connection's descriptors: sockets and pipes. The splice loops' epoll and event fds are the
    // process's (two per core, made once at the first wait), whichever connection happens to need
    // them first.
    private static int FdCount(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Count(link =>
    {
        try { return new FileInfo(link).LinkTarget is not ("anon_inode:[eventpoll]" or "anon_inode:[eventfd]"); }
        catch (IOException) { return false; }
    });

    private static unsafe void RaiseOwnFdLimit()
    {
        ulong* limits = stackalloc ulong[2];
        if (getrlimit(7, limits) == 0 && limits[0] < limits[1])
        {
            limits[0] = limits[1];
            setrlimit(7, limits);
        }
    }

    /// <summary>
    /// fork on an address that connects: a new connection as soon as one is made, each relayed on
    /// its own, until the connect fails for good (after retry); socat's "connecting in a loop".
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task ForkOnAConnectingAddressConnectsInALoop(string program)
    {
        using var dir = new TempDir();
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1);
        int port = ((IPEndPoint)server.LocalEndPoint!).Port;
        var serving = Task.Run(async () =>
        {
            for (int i = 0; i < 3; i++)
            {
                using var c = await server.AcceptAsync();
                await c.SendAsync(System.Text.Encoding.ASCII.GetBytes($"hello {i}\n"));
            }
            server.Close(); // the next connect is refused: the loop ends
        });
        var r = await Run.ProgramAsync(Binaries.Of(program),
            ["-u", $"TCP:127.0.0.1:{port},fork,retry=2,interval=0.2", $"OPEN:{dir["out"]},creat,append"], [], Run.DefaultTimeout);
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Connection refused", r.LogLines.Last());
        await Wait.UntilAsync(() => File.ReadAllText(dir["out"]).Length >= 24, seconds: 10);
        // Each connection has its own relay, concurrently: the order in which they append is theirs.
        Assert.Equal(["hello 0", "hello 1", "hello 2"], File.ReadAllLines(dir["out"]).Order());
    }

    /// <summary>
    /// SIGTERM closes the listener and lets transferring relays finish, but a relay still opening
    /// its other address (here a second listener nobody connects to) has moved nothing: it ends at
    /// once, and so does the process, as socat's parent does.
    /// </summary>
    [Fact]
    public async Task SigtermEndsRelaysThatAreStillOpening()
    {
        int second = FreePorts.Next();
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork",
            $"TCP-LISTEN:{second},bind=127.0.0.1,reuseaddr");
        using var _ = relay;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await relay.WaitForStderrAsync($"listening on AF=2 127.0.0.1:{second}");
        relay.Signal(15);
        Assert.Equal(143, await relay.WaitForExitAsync());
    }

    [DllImport("libc")] private static extern unsafe int getrlimit(int resource, ulong* limits);
    [DllImport("libc")] private static extern unsafe int setrlimit(int resource, ulong* limits);

    /// <summary>
    /// An address before a forking one is opened once, as by socat's parent, and every relay
    /// writes into it: a file with o-trunc keeps what each client sent (socat's MAXCHILDREN tests),
    /// and with end-close one connection carries every relay's data (socat's TCP4ENDCLOSE).
    /// </summary>
    [Theory]
    [InlineData("sharpcat", false)]
    [InlineData("sharpcat", true)]
    [InlineData("socat", false)]
    [InlineData("socat", true)]
    public async Task AnAddressBeforeAForkingOneIsOpenedOnce(string program, bool connection)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "out");
        LiveProcess? sink = null;
        string first = $"FILE:{file},o-trunc,o-creat,o-append";
        if (connection)
        {
            // A sink that accepts one connection only: a relay that connected anew would be refused.
            int sinkPort = FreePorts.Next();
            sink = LiveProcess.Start(binary, "-d", "-d", "-u", $"TCP4-LISTEN:{sinkPort},bind=127.0.0.1,reuseaddr", $"CREATE:{file}");
            await sink.WaitForStderrAsync("listening on");
            first = $"TCP4:127.0.0.1:{sinkPort},end-close";
        }
        int port = FreePorts.Next();
        using (sink)
        using (var relay = LiveProcess.Start(binary, "-d", "-d", "-U", first, $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
        {
            await relay.WaitForStderrAsync("listening on");
            for (int i = 1; i <= 2; i++)
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                var stream = client.GetStream();
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"line {i}\n"));
                client.Client.Shutdown(SocketShutdown.Send);
                // The relay closes the client's connection once it has passed the line on.
                await stream.CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(10));
                await Wait.UntilAsync(() => File.Exists(file) && File.ReadAllText(file).Contains($"line {i}\n"), 10);
            }
            Assert.Equal("line 1\nline 2\n", File.ReadAllText(file));
            relay.Signal(15);
            await relay.WaitForExitAsync();
        }
    }
}
