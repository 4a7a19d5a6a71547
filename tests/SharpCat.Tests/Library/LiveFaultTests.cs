using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Library;

/// <summary>
/// <see cref="RelayFaults"/>: faults a test changes while an in-process relay runs, taken by open
/// connections at once, drawn from the seed, and reported through <see cref="RelayFaults.Applied"/>
/// beside the bytes each way.
/// </summary>
public class LiveFaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static async Task<(RelayHost Relay, EchoServer Echo, RelayFaults Faults)> StartAsync(ulong seed = 1)
    {
        var echo = new EchoServer();
        var faults = new RelayFaults(seed);
        var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork,reuseaddr", $"TCP4:127.0.0.1:{echo.Port}", new RelayOptions { Faults = faults });
        await relay.StartAsync();
        return (relay, echo, faults);
    }

    private static async Task<Socket> ConnectAsync(RelayHost relay)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)relay.LocalEndPoints[0]).WaitAsync(Bound);
        return client;
    }

    private static async Task<double> RoundTripAsync(Socket client, int bytes = 1)
    {
        var watch = Stopwatch.StartNew();
        await client.SendAsync(new byte[bytes]);
        var buffer = new byte[65536];
        for (int got = 0; got < bytes;)
        {
            int n = await client.ReceiveAsync(buffer).WaitAsync(Bound);
            Assert.NotEqual(0, n);
            got += n;
        }
        return watch.Elapsed.TotalSeconds;
    }

    [Fact]
    public async Task AFaultSetWhileAConnectionIsOpenActsOnItAndGoesWhenRemoved()
    {
        var (relay, echo, faults) = await StartAsync();
        await using var _ = relay;
        using var __ = echo;
        var applied = new ConcurrentQueue<FaultApplied>();
        faults.Applied += (_, e) => applied.Enqueue(e);
        using var client = await ConnectAsync(relay);
        Assert.InRange(await RoundTripAsync(client), 0, 5);
        faults.Set("slow", new Fault { Latency = TimeSpan.FromSeconds(0.4) });
        Assert.InRange(await RoundTripAsync(client), 0.4, 10);
        var hit = Assert.Single(applied);
        Assert.Equal(("slow", "latency 0.4 s"), (hit.Fault, hit.What));
        faults.Remove("slow");
        Assert.InRange(await RoundTripAsync(client), 0, 0.39);
        Assert.Empty(faults.Current);
    }

    [Fact]
    public async Task AStallHoldsTheDataUntilItIsLifted()
    {
        var (relay, echo, faults) = await StartAsync();
        await using var _ = relay;
        using var __ = echo;
        using var client = await ConnectAsync(relay);
        await RoundTripAsync(client, 10);
        faults.Set("freeze", new Fault { StallAfterBytes = 0 });
        await client.SendAsync(new byte[100]);
        var reply = client.ReceiveAsync(new byte[1000]);
        Assert.False(await Task.WhenAny(reply, Task.Delay(TimeSpan.FromSeconds(0.5))) == reply, "bytes through a stall");
        faults.Remove("freeze");
        // Nothing written during the stall was lost.
        int got = await reply.WaitAsync(Bound);
        var buffer = new byte[1000];
        while (got < 100) got += await client.ReceiveAsync(buffer).WaitAsync(Bound);
        Assert.Equal(100, got);
        Assert.Equal(110, relay.Statistics.BytesRightToLeft);
    }

    [Fact]
    public async Task AFaultOnTheWayUpActsOnWhatTheServerReceives()
    {
        var (relay, echo, faults) = await StartAsync();
        await using var _ = relay;
        using var __ = echo;
        faults.Set("up", new Fault { Direction = RelayDirection.LeftToRight, CloseAfterBytes = 5 });
        using var client = await ConnectAsync(relay);
        await client.SendAsync(new byte[50]);
        var buffer = new byte[100];
        int got = 0, n;
        while ((n = await client.ReceiveAsync(buffer).WaitAsync(Bound)) > 0) got += n;
        Assert.InRange(got, 0, 5);
    }

    [Fact]
    public async Task TheSeedDecidesWhichConnectionsGetAFault()
    {
        static async Task<long[]> DrawsAsync()
        {
            var (relay, echo, faults) = await StartAsync(seed: 99);
            await using var _ = relay;
            using var __ = echo;
            var hit = new ConcurrentBag<long>();
            faults.Applied += (_, e) => hit.Add(e.ConnectionId);
            faults.Set("some", new Fault { Latency = TimeSpan.FromMilliseconds(1), Probability = 0.5 });
            for (int i = 0; i < 20; i++)
            {
                using var client = await ConnectAsync(relay);
                await RoundTripAsync(client);
            }
            return [.. hit.Order()];
        }
        long[] first = await DrawsAsync(), again = await DrawsAsync();
        Assert.Equal(first, again);
        Assert.InRange(first.Length, 1, 19);
    }

    [Fact]
    public void ValuesThatCannotMeanAnythingAreRefused()
    {
        var faults = new RelayFaults();
        Assert.Contains("Probability", Assert.Throws<ArgumentException>(() => faults.Set("p", new Fault { Probability = 1.5 })).Message);
        Assert.Contains("Latency", Assert.Throws<ArgumentException>(() => faults.Set("l", new Fault { Latency = TimeSpan.FromSeconds(-1) })).Message);
        Assert.Contains("BytesPerSecond", Assert.Throws<ArgumentException>(() => faults.Set("r", new Fault { BytesPerSecond = 0 })).Message);
        Assert.Throws<ArgumentException>(() => faults.Set("", new Fault()));
        Assert.Empty(faults.Current);
        Assert.False(faults.Remove("nothing"));
    }
}
