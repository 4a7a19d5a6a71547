using Xunit.Abstractions;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Soak;

/// <summary>
/// The soak suite (docs/RELIABILITY.md): a fork relay under randomized, seeded load on loopback,
/// every byte checked both ways, descriptors, memory and processes read from /proc. The short
/// form runs in ./test.sh; <c>SHARPCAT_SOAK=long</c> runs the long form.
/// </summary>
public class SoakTests(ITestOutputHelper output)
{
    public static TheoryData<string> Paths => new() { "splice", "copy" };

    /// <summary>The relay's arguments for each path: "-r /dev/null" is a tap, so bytes go through the copying pump.</summary>
    private static string[] Globals(string path) => path == "copy" ? ["-r", "/dev/null"] : [];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task RandomHalfClosesLoseNoByte(string path)
    {
        int connections = SoakSettings.Pick(150, 2000), maxPayload = SoakSettings.Pick(1 << 20, 4 << 20), parallel = SoakSettings.Pick(16, 64);
        int seed = SoakSettings.Seed;
        var failures = new ConcurrentQueue<string>();
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1024);
        using var stop = new CancellationTokenSource();
        var serving = ServeScenariosAsync(server, seed, maxPayload, failures, stop.Token);
        // Both peers live in this test process, which on 2 cores with 64 transfers of megabytes can
        // stall a peer for more than the default half second after the other's EOF: -t 5 keeps this
        // test about bytes lost in half-close, not about the test host's scheduling (ClosingWaitTests
        // test -t itself). More pool threads up front, so that none waits for the pool to grow.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 2 * parallel + 8), io);
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}", [.. Globals(path), "-t", "5"]);
        int startFds = relay.Descriptors;
        long moved = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, connections), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
        {
            var scenario = HalfCloseScenario.Make(seed, i, maxPayload);
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                using var client = await relay.ConnectAsync();
                await client.SendAsync(HalfCloseScenario.Header(i), SocketFlags.None, bound.Token);
                byte[] received = await scenario.RunSideAsync(client, client: true, bound.Token);
                if (!received.AsSpan().SequenceEqual(scenario.ServerPayload))
                    failures.Enqueue($"{scenario}: the client got {received.Length} bytes, not the server's {scenario.ServerPayload.Length}");
                Interlocked.Add(ref moved, scenario.ClientPayload.Length + scenario.ServerPayload.Length);
            }
            catch (Exception e)
            {
                failures.Enqueue($"{scenario}: client: {e.GetType().Name}: {e.Message}");
            }
        });
        await relay.SettledAsync(startFds);
        stop.Cancel();
        await serving;
        Assert.True(failures.IsEmpty, $"seed {seed}, {failures.Count} failures:\n{string.Join('\n', failures.Take(20))}\nrelay:\n{relay.Process.StderrText}");
        Assert.Equal(0, relay.Children);
        SoakSettings.Report(output, $"half-close ({path}): {connections} connections, {moved / (1 << 20)} MiB checked both ways, "
            + $"{clock.Elapsed.TotalSeconds:0.0} s, 0 bytes lost, descriptors {startFds} -> {relay.Descriptors} (seed {seed})");
    }

    /// <summary>The server side of the half-close soak: each connection names its scenario in its first four bytes.</summary>
    private static async Task ServeScenariosAsync(Socket server, int seed, int maxPayload, ConcurrentQueue<string> failures, CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var accepted = await server.AcceptAsync(ct);
                connections.Add(Task.Run(async () =>
                {
                    using var c = accepted;
                    using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    var header = new byte[4];
                    int got = 0, n;
                    try
                    {
                        while (got < 4 && (n = await c.ReceiveAsync(header.AsMemory(got), SocketFlags.None, bound.Token)) > 0) got += n;
                        if (got < 4) { failures.Enqueue($"server: a connection ended after {got} header bytes"); return; }
                        var scenario = HalfCloseScenario.Make(seed, BinaryPrimitives.ReadInt32LittleEndian(header), maxPayload);
                        byte[] received = await scenario.RunSideAsync(c, client: false, bound.Token);
                        if (!received.AsSpan().SequenceEqual(scenario.ClientPayload))
                            failures.Enqueue($"{scenario}: the server got {received.Length} bytes, not the client's {scenario.ClientPayload.Length}");
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue($"server: {e.GetType().Name}: {e.Message}");
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(connections);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task SlowReaderKeepsTheRelaysMemoryBounded(string path)
    {
        // The reader takes 16 KiB a millisecond at most; the writer pushes as fast as it can. The
        // relay must hold back (back-pressure), not buffer: its resident memory stays within 32 MiB
        // of where it started, and every byte arrives.
        long size = (long)SoakSettings.Pick(48, 512) << 20;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        var reading = Task.Factory.StartNew(() =>
        {
            using var c = server.Accept();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[16 * 1024];
            long total = 0;
            int n;
            while ((n = c.Receive(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                total += n;
                Thread.Sleep(1);
            }
            return (total, Convert.ToHexString(hash.GetHashAndReset()));
        }, TaskCreationOptions.LongRunning);
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}", Globals(path));
        long startRss = relay.RssKiB, maxRss = startRss;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxRss = Math.Max(maxRss, relay.RssKiB);
                try { await Task.Delay(20, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        string sent;
        using (var client = await relay.ConnectAsync())
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var r = new Random(SoakSettings.Seed);
            var chunk = new byte[256 * 1024];
            for (long left = size; left > 0; left -= chunk.Length)
            {
                r.NextBytes(chunk);
                int n = (int)Math.Min(chunk.Length, left);
                hash.AppendData(chunk, 0, n);
                await client.SendAsync(chunk.AsMemory(0, n)).AsTask().WaitAsync(TimeSpan.FromSeconds(120));
            }
            client.Shutdown(SocketShutdown.Send);
            sent = Convert.ToHexString(hash.GetHashAndReset());
        }
        var (total, got) = await reading.WaitAsync(TimeSpan.FromSeconds(300));
        sampling.Cancel();
        await sampler;
        Assert.Equal(size, total);
        Assert.Equal(sent, got);
        Assert.True(maxRss - startRss < 32 * 1024, $"RSS grew from {startRss} to {maxRss} KiB under a slow reader");
        SoakSettings.Report(output, $"slow reader ({path}): {size >> 20} MiB at <= 16 MiB/s, relay RSS {startRss} -> at most {maxRss} KiB, every byte arrived");
    }

    [Fact]
    public async Task PeersThatResetOrVanishEndTheirRelays()
    {
        // Half the clients reset mid-stream (linger 0), half close without reading what the server
        // keeps sending (the kernel resets those too). The server must see each connection end,
        // and the relay must let go of every descriptor.
        int connections = SoakSettings.Pick(100, 1000);
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1024);
        int ended = 0;
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            var open = new List<Task>();
            try
            {
                while (true)
                {
                    var c = await server.AcceptAsync(stop.Token);
                    open.Add(Task.Run(async () =>
                    {
                        using (c)
                        {
                            // Send until the relay gives up on us, reading meanwhile.
                            var reading = Task.Run(async () =>
                            {
                                var b = new byte[65536];
                                try { while (await c.ReceiveAsync(b) > 0) { } } catch (SocketException) { }
                            });
                            var data = new byte[65536];
                            try { while (!reading.IsCompleted) await c.SendAsync(data); } catch (SocketException) { }
                            await reading;
                        }
                        Interlocked.Increment(ref ended);
                    }));
                }
            }
            catch (OperationCanceledException) { }
            await Task.WhenAll(open);
        });
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}");
        int startFds = relay.Descriptors;
        var r = new Random(SoakSettings.Seed);
        for (int i = 0; i < connections; i++)
        {
            using var client = await relay.ConnectAsync();
            var buffer = new byte[r.Next(1, 65536)];
            await client.SendAsync(buffer);
            int got = 0;
            while (got < 1024) got += await client.ReceiveAsync(new byte[1024 - got]);
            if (i % 2 == 0) client.LingerState = new LingerOption(true, 0);
        }
        await Wait.UntilAsync(() => Volatile.Read(ref ended) == connections, seconds: 30);
        await relay.SettledAsync(startFds);
        stop.Cancel();
        await serving.WaitAsync(TimeSpan.FromSeconds(30));
        SoakSettings.Report(output, $"resets and vanished readers: {connections} connections, every server side ended, descriptors {startFds} -> {relay.Descriptors}");
    }

    [Fact]
    public async Task SigtermLetsConnectionsInFlightFinish()
    {
        // Twenty uploads are under way when SIGTERM comes: the listener closes at once, every
        // upload still arrives whole, and the relay then exits with 143.
        const int Uploads = 20;
        const int Size = 4 << 20;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(64);
        int accepted = 0;
        var counting = Task.Run(async () =>
        {
            var sinks = new List<Task>();
            for (int i = 0; i < Uploads; i++)
            {
                var c = await server.AcceptAsync();
                Interlocked.Increment(ref accepted);
                sinks.Add(Task.Run(async () =>
                {
                    using (c)
                    {
                        long total = 0;
                        var b = new byte[65536];
                        int n;
                        while ((n = await c.ReceiveAsync(b)) > 0) total += n;
                        var reply = new byte[8];
                        BinaryPrimitives.WriteInt64LittleEndian(reply, total);
                        await c.SendAsync(reply);
                    }
                }));
            }
            await Task.WhenAll(sinks);
        });
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}");
        using var go = new SemaphoreSlim(0);
        var uploads = Enumerable.Range(0, Uploads).Select(async _ =>
        {
            using var client = await relay.ConnectAsync();
            var chunk = new byte[64 * 1024];
            for (int sent = 0; sent < Size; sent += chunk.Length)
            {
                if (sent == chunk.Length) await go.WaitAsync(TimeSpan.FromSeconds(30)); // hold until SIGTERM is sent
                await client.SendAsync(chunk);
                await Task.Delay(2);
            }
            client.Shutdown(SocketShutdown.Send);
            var reply = new byte[8];
            int got = 0;
            while (got < 8) got += await client.ReceiveAsync(reply.AsMemory(got));
            return BinaryPrimitives.ReadInt64LittleEndian(reply);
        }).ToArray();
        await Wait.UntilAsync(() => Volatile.Read(ref accepted) == Uploads, seconds: 30);
        relay.Process.Signal(15);
        await relay.Process.WaitForStderrAsync("exiting on signal 15");
        go.Release(Uploads);
        var totals = await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(totals, t => Assert.Equal(Size, t));
        Assert.Equal(143, await relay.Process.WaitForExitAsync());
        await counting.WaitAsync(TimeSpan.FromSeconds(10));
        SoakSettings.Report(output, $"SIGTERM: {Uploads} uploads of {Size >> 20} MiB in flight all arrived whole, exit 143");
    }

    [Fact]
    public async Task ManySequentialConnectionsKeepDescriptorsAndMemoryFlat()
    {
        // The heap grows until the GC's budget is reached (some 15 000 connections on this machine,
        // whose 260 MiB L3 cache makes the budget large), then stays: flat means the second half
        // of the run needs no more than the middle of it did.
        int connections = SoakSettings.Pick(30_000, 100_000);
        using var echo = new EchoServer();
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{echo.Port}");
        int startFds = relay.Descriptors;
        var samples = new List<long>();
        var clock = Stopwatch.StartNew();
        var buffer = new byte[1];
        for (int i = 0; i < connections; i++)
        {
            using (var client = await relay.ConnectAsync())
            {
                await client.SendAsync(new[] { (byte)i });
                int n = await client.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(20));
                Assert.True(n == 1 && buffer[0] == (byte)i, $"connection {i}: echo {n} bytes");
            }
            if ((i + 1) % (connections / 10) == 0) samples.Add(relay.PssKiB);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        await relay.SettledAsync(startFds);
        long middle = samples[4], secondHalf = samples.Skip(5).Max();
        Assert.True(secondHalf - middle < 8 * 1024, $"PSS kept growing: {string.Join(", ", samples)} KiB at each tenth");
        SoakSettings.Report(output, $"sequential: {connections} connections in {seconds:0.0} s, descriptors {startFds} -> {relay.Descriptors}, "
            + $"PSS at each tenth {string.Join(" ", samples)} KiB");
    }

    /// <summary>
    /// Idle connections through one fork relay: 2 descriptors each, little memory, and the
    /// descriptors back to where they were when they close. The relay runs with a 4 MiB gen0
    /// budget, so that the GC runs during the burst and what the memory grows by is what the
    /// connections keep (plus at most one budget of garbage): 5.3 to 5.6 KiB each; the check
    /// allows 6. With the default budget (sized from the CPU's cache) no GC runs, the figure is
    /// what they allocated, and it went from 5.3 to 6.2 KiB between runs of the same binary. 9 900 of them: ten thousand would need
    /// 20 000 descriptors plus the runtime's own, over this machine's hard limit of 20 000 (which a
    /// container without CAP_SYS_RESOURCE cannot raise). The server end lives in a process of its
    /// own (python3) so that the test process holds only the clients.
    /// </summary>
    [Fact]
    public async Task ThousandsOfIdleConnectionsCostTwoDescriptorsAndLittleMemoryEach()
    {
        const int Connections = 9900;
        using var holder = LiveProcess.Start("python3", "-c", HolderScript);
        await holder.WaitForStdoutAsync(o => o.Contains((byte)'\n'));
        int serverPort = int.Parse(System.Text.Encoding.ASCII.GetString(holder.Stdout).Trim());
        using var relay = await SoakRelay.StartAsync($"TCP:127.0.0.1:{serverPort}",
            new Dictionary<string, string?> { ["DOTNET_GCgen0size"] = "400000" /* hex, as the runtime reads it: 4 MiB */ });
        // Warm up (the runtime's first connections allocate what later ones reuse), then measure.
        await ExchangeAsync(relay, 200, keep: null);
        int startFds = relay.Descriptors;
        await relay.SettledAsync(startFds);
        startFds = relay.Descriptors;
        long startPss = relay.PssKiB, startPrivate = relay.PrivateKiB;
        var clients = new List<Socket>(Connections);
        try
        {
            await ExchangeAsync(relay, Connections, keep: clients);
            int fds = relay.Descriptors;
            long pss = relay.PssKiB, own = relay.PrivateKiB;
            double fdsEach = (fds - startFds) / (double)Connections, kibEach = (pss - startPss) / (double)Connections,
                privateEach = (own - startPrivate) / (double)Connections;
            Assert.True(fds - startFds <= 2 * Connections + SoakRelay.PooledPipeDescriptors, $"{fds - startFds} descriptors for {Connections} idle connections");
            // The check reads private memory: PSS also moves by the binary's pages as the suite's
            // other sharpcat processes come and go.
            Assert.True(privateEach <= 6.0, $"{privateEach:0.00} KiB private memory per idle connection ({startPrivate} -> {own} KiB; PSS {kibEach:0.00} KiB each)");
            SoakSettings.Report(output, $"idle: {Connections} connections, {fdsEach:0.000} descriptors, {kibEach:0.00} KiB PSS and {privateEach:0.00} KiB private memory each "
                + $"(descriptors {startFds} -> {fds}, PSS {startPss} -> {pss} KiB)");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        await relay.SettledAsync(startFds, seconds: 60);
        SoakSettings.Report(output, $"idle: all closed, descriptors back to {relay.Descriptors} (from {startFds})");
    }

    /// <summary>Opens <paramref name="count"/> connections with one round trip each; kept open in <paramref name="keep"/>, or closed.</summary>
    private static async Task ExchangeAsync(SoakRelay relay, int count, List<Socket>? keep)
    {
        var buffer = new byte[1];
        for (int i = 0; i < count; i++)
        {
            var client = await relay.ConnectAsync();
            await client.SendAsync(new[] { (byte)'x' });
            int n = await client.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(1, n);
            if (keep is not null) keep.Add(client);
            else client.Dispose();
        }
    }

    /// <summary>An echo server holding thousands of connections with one thread (selectors), printing its port.</summary>
    private const string HolderScript = """
        import selectors, socket
        sel = selectors.DefaultSelector()
        srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4096); srv.setblocking(False)
        print(srv.getsockname()[1], flush=True)
        sel.register(srv, selectors.EVENT_READ)
        while True:
            for key, _ in sel.select():
                s = key.fileobj
                if s is srv:
                    while True:
                        try: c, _ = srv.accept()
                        except BlockingIOError: break
                        c.setblocking(False); sel.register(c, selectors.EVENT_READ)
                else:
                    try: d = s.recv(4096)
                    except OSError: d = b""
                    if d: s.send(d)
                    else: sel.unregister(s); s.close()
        """;
}
