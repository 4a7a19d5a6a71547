using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// Socket-to-socket relays run on the relay's own event loop (Relay/Loop): messages through the
/// loop's buffer, bursts by splice, what a full sink does not take held until it is writable.
/// Nothing may be lost or reordered on any of those paths, and connections that end let their
/// descriptors go.
/// </summary>
public class SplicedConnectionTests
{
    [Fact]
    public async Task MessagesAndBurstsBothWaysAtOnceArriveWhole()
    {
        using var backendListener = Listen();
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", $"TCP:127.0.0.1:{Port(backendListener)}");
        await WaitListeningAsync(relay);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var backend = await backendListener.AcceptAsync().WaitAsync(Run.DefaultTimeout);
        backend.NoDelay = true;
        // Sizes from one byte (a message) to 1 MiB (a burst), in both directions at the same time.
        byte[] up = RandomNumberGenerator.GetBytes(8 << 20), down = RandomNumberGenerator.GetBytes(8 << 20);
        var sending = Task.WhenAll(SendInPiecesAsync(client, up, seed: 1), SendInPiecesAsync(backend, down, seed: 2));
        var received = await Task.WhenAll(ReceiveAllAsync(backend), ReceiveAllAsync(client)).WaitAsync(TimeSpan.FromSeconds(60));
        await sending;
        Assert.Equal(up, received[0]);
        Assert.Equal(down, received[1]);
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Theory]
    [InlineData(100)]
    [InlineData(20_000)]
    [InlineData(1 << 20)]
    public async Task ASinkThatStopsReadingLosesNothing(int pieceSize)
    {
        using var backendListener = Listen();
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", "-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
            $"TCP:127.0.0.1:{Port(backendListener)},rcvbuf=8192");
        await WaitListeningAsync(relay);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var backend = await backendListener.AcceptAsync().WaitAsync(Run.DefaultTimeout);
        byte[] data = RandomNumberGenerator.GetBytes(6 << 20);
        var sending = Task.Run(async () =>
        {
            for (int at = 0; at < data.Length; at += pieceSize)
                await client.SendAsync(data.AsMemory(at, Math.Min(pieceSize, data.Length - at)));
            client.Shutdown(SocketShutdown.Send);
        });
        // The backend reads nothing until the relay waits for it with bytes in hand.
        await relay.WaitForStderrAsync("is not writable: ");
        var received = await ReceiveAllAsync(backend).WaitAsync(TimeSpan.FromSeconds(60));
        await sending;
        Assert.Equal(data, received);
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task ManyConnectionsAtOnceAllEndAndLetTheirDescriptorsGo()
    {
        using var echo = new EchoServer();
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{echo.Port}");
        await WaitListeningAsync(relay);
        // A connection per core first: the relay starts a loop per core, and each is then in the baseline.
        for (int i = 0; i < Environment.ProcessorCount; i++) await EchoOnceAsync(port, RandomNumberGenerator.GetBytes(1000));
        var baseline = await SteadyAsync(relay.Pid);
        var connections = Enumerable.Range(0, 40).Select(i => EchoOnceAsync(port, RandomNumberGenerator.GetBytes(i % 2 == 0 ? 100 : 300_000)));
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(60));
        // Every connection's sockets are closed and gone from every epoll set (the loops' and
        // .NET's): both counts return to where they were.
        var after = Descriptors(relay.Pid);
        try { await Wait.UntilAsync(() => (after = Descriptors(relay.Pid)) == baseline, 10); }
        catch (TimeoutException) { }
        Assert.Equal(baseline, after);
        relay.Signal(15);
        await relay.WaitForExitAsync();
    }

    private static async Task EchoOnceAsync(int port, byte[] data)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port);
        var sending = Task.Run(async () =>
        {
            await client.SendAsync(data);
            client.Shutdown(SocketShutdown.Send);
        });
        Assert.Equal(data, await ReceiveAllAsync(client));
        await sending;
    }

    /// <summary>
    /// The process's descriptors once their count holds still (a relay closes its sockets just
    /// after its client has seen the end of file).
    /// </summary>
    private static async Task<(int Sockets, int Registered)> SteadyAsync(int pid)
    {
        var last = Descriptors(pid);
        int same = 0;
        await Wait.UntilAsync(() =>
        {
            var now = Descriptors(pid);
            same = now == last ? same + 1 : 0;
            last = now;
            return same >= 20;
        }, 10);
        return last;
    }

    // Open sockets, and the descriptors registered in epoll sets (each "tfd:" line of an epoll fd's
    // fdinfo). Pipes are left out: the relay keeps a few idle ones for the next burst.
    private static (int Sockets, int Registered) Descriptors(int pid)
    {
        int sockets = 0, registered = 0;
        foreach (var link in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string? target;
            try { target = new FileInfo(link).LinkTarget; } catch (IOException) { continue; }
            if (target?.StartsWith("socket:") == true) sockets++;
            if (target != "anon_inode:[eventpoll]") continue;
            try { registered += File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(link)}").Count(l => l.StartsWith("tfd:")); }
            catch (IOException) { }
        }
        return (sockets, registered);
    }

    private static async Task SendInPiecesAsync(Socket socket, byte[] data, int seed)
    {
        var random = new Random(seed);
        for (int at = 0; at < data.Length;)
        {
            int size = Math.Min(data.Length - at, random.Next(4) switch { 0 => random.Next(1, 100), 1 => random.Next(100, 60_000), 2 => 65536, _ => random.Next(60_000, 1 << 20) });
            await socket.SendAsync(data.AsMemory(at, size));
            at += size;
        }
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<byte[]> ReceiveAllAsync(Socket socket)
    {
        var got = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) got.Write(buffer, 0, n);
        return got.ToArray();
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    private static int Port(Socket listener) => ((IPEndPoint)listener.LocalEndPoint!).Port;

    private static Task WaitListeningAsync(LiveProcess relay) => relay.WaitForStderrAsync("listening on");
}
