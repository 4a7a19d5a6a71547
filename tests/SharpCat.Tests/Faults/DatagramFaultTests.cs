using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Faults;

/// <summary>
/// Datagram faults, counted at the receiver. The statistical tests run over UNIX datagram sockets,
/// which hold a sender back instead of dropping (so every missing datagram is the fault's); UDP
/// gets the extremes and the latency.
/// </summary>
public class DatagramFaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private const int Count = 2000;

    /// <summary>
    /// Sends 0..Count-1 through a UNIX datagram relay with the faults on its second address, then
    /// "end" until one comes through (nothing is reordered past it); the numbers received, in order.
    /// </summary>
    private static async Task<List<int>> ThroughUnixAsync(string faults)
    {
        using var dir = new TempDir();
        using var sink = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sink.Bind(new UnixDomainSocketEndPoint(dir["sink"]));
        using var relay = LiveProcess.SharpCat("-d", "-d", "-u", $"UNIX-RECV:{dir["in"]}", $"UNIX-SENDTO:{dir["sink"]},{faults}");
        await Wait.UntilAsync(() => File.Exists(dir["in"]));
        using var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var to = new UnixDomainSocketEndPoint(dir["in"]);
        var received = new List<int>();
        var buffer = new byte[64];
        var receiving = Task.Run(async () =>
        {
            while (true)
            {
                int n = await sink.ReceiveAsync(buffer).WaitAsync(Bound);
                string text = Encoding.ASCII.GetString(buffer, 0, n);
                if (text == "end") return;
                received.Add(int.Parse(text));
            }
        });
        for (int i = 0; i < Count; i++) await sender.SendToAsync(Encoding.ASCII.GetBytes(i.ToString()), to).WaitAsync(Bound);
        // The end marker may be lost too: sent again until the receiver has it.
        for (int tries = 0; !receiving.IsCompleted; tries++)
        {
            Assert.True(tries < 100, "no end marker came through");
            await sender.SendToAsync(Encoding.ASCII.GetBytes("end"), to).WaitAsync(Bound);
            await Task.WhenAny(receiving, Task.Delay(200));
        }
        await receiving;
        relay.Signal(15);
        await relay.WaitForExitAsync();
        return received;
    }

    [Fact]
    public async Task LossIsWithinTheBinomialBoundAndTheSeedRepeatsIt()
    {
        var first = await ThroughUnixAsync("fault-loss=0.2,fault-seed=11");
        // 2000 datagrams, each lost with 0.2: 1600 arrive, σ = 17.9; five σ either way.
        Assert.InRange(first.Count, 1600 - 90, 1600 + 90);
        Assert.Equal(first.Order(), first);     // loss alone keeps the order
        Assert.Equal(first.Distinct(), first);  // and duplicates nothing
        Assert.Equal(first, await ThroughUnixAsync("fault-loss=0.2,fault-seed=11"));
        Assert.NotEqual(first, await ThroughUnixAsync("fault-loss=0.2,fault-seed=12"));
    }

    [Fact]
    public async Task BurstyLossLosesRunsOfDatagrams()
    {
        static double MeanRun(List<int> received)
        {
            var runs = new List<int>();
            for (int i = 1; i < received.Count; i++)
                if (received[i] - received[i - 1] > 1) runs.Add(received[i] - received[i - 1] - 1);
            return runs.Average();
        }
        var bursty = await ThroughUnixAsync("fault-loss=0.2,fault-loss-burst=5,fault-seed=3");
        var single = await ThroughUnixAsync("fault-loss=0.2,fault-seed=3");
        Assert.InRange(bursty.Count, 1600 - 250, 1600 + 250); // bursts widen the spread
        Assert.True(MeanRun(bursty) > 3, $"mean run of losses {MeanRun(bursty)}");
        Assert.True(MeanRun(single) < 2, $"mean run of losses {MeanRun(single)}");
    }

    [Fact]
    public async Task DuplicatesFollowTheirOriginal()
    {
        var received = await ThroughUnixAsync("fault-duplicate=0.1,fault-seed=5");
        Assert.Equal(Enumerable.Range(0, Count), received.Distinct());
        int duplicates = received.Count - Count;
        Assert.InRange(duplicates, 200 - 68, 200 + 68); // σ = 13.4
        for (int i = 1; i < received.Count; i++)
            Assert.True(received[i] >= received[i - 1], $"{received[i]} after {received[i - 1]}");
    }

    [Fact]
    public async Task ReorderingSwapsNeighbours()
    {
        var received = await ThroughUnixAsync("fault-reorder=0.1,fault-seed=9");
        Assert.Equal(Enumerable.Range(0, Count), received.Order());
        int swaps = 0;
        for (int i = 0; i < received.Count; i++)
        {
            if (received[i] == i) continue;
            // Each one held back changes places with the next.
            Assert.Equal(i + 1, received[i]);
            Assert.Equal(i, received[i + 1]);
            swaps++;
            i++;
        }
        // Held with 0.1 when none is held: about 180 of 2000.
        Assert.InRange(swaps, 100, 280);
    }

    [Fact]
    public async Task UdpDatagramsAreDelayedDuplicatedOrLost()
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int sinkPort = ((IPEndPoint)sink.LocalEndPoint!).Port;
        async Task<(List<string> Got, TimeSpan Took)> SendAsync(string faults, int count, Func<List<string>, bool> done)
        {
            int port = FreePorts.Next();
            using var relay = LiveProcess.SharpCat("-d", "-d", "-d", "-u", $"UDP4-RECV:{port},bind=127.0.0.1", $"UDP4-SENDTO:127.0.0.1:{sinkPort},{faults}");
            await relay.WaitForStderrAsync("starting data transfer loop");
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) await sender.SendToAsync(Encoding.ASCII.GetBytes($"d{i}"), new IPEndPoint(IPAddress.Loopback, port));
            var got = new List<string>();
            var buffer = new byte[64];
            while (!done(got)) got.Add(Encoding.ASCII.GetString(buffer, 0, await sink.ReceiveAsync(buffer).WaitAsync(Bound)));
            if (faults.Contains("fault-loss=1"))
            {
                // Every one of them dropped: the relay's count says so once it ends.
                await relay.WaitForStderrAsync(e => e.Split("transferred 2 bytes").Length - 1 == count, $"{count} datagrams relayed");
                relay.Signal(15);
                await relay.WaitForExitAsync();
                Assert.Contains($"faults: {count} datagrams written, {count} lost", relay.StderrText);
            }
            return (got, watch.Elapsed);
        }
        var (doubled, _) = await SendAsync("fault-duplicate=1", 10, g => g.Count == 20);
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(i => new[] { $"d{i}", $"d{i}" }), doubled);
        Assert.Empty((await SendAsync("fault-loss=1", 10, _ => true)).Got);
        var (delayed, took) = await SendAsync("fault-latency=0.3", 1, g => g.Count == 1);
        Assert.Equal(["d0"], delayed);
        Assert.InRange(took.TotalSeconds, 0.3, 15);
    }
}
