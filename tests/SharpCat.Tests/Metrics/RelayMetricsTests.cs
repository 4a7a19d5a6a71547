using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Metrics;

/// <summary>The library's instruments, read in-process with a <see cref="MeterListener"/>.</summary>
public class RelayMetricsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>Every measurement of one relay's instruments: instrument name, value, tags as "k=v,…".</summary>
    internal sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        public List<(string Name, double Value, string Tags)> Measurements { get; } = [];
        public List<Instrument> Instruments { get; } = [];

        public Recorder(Func<Meter, bool> mine)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (!mine(i.Meter)) return;
                lock (Instruments) Instruments.Add(i);
                l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
            _listener.Start();
        }

        private void Add(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string t = string.Join(",", tags.ToArray().Select(kv => $"{kv.Key}={kv.Value}"));
            lock (Measurements) Measurements.Add((i.Name, v, t));
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public double[] Values(string name, string tags = "")
        {
            lock (Measurements) return Measurements.Where(m => m.Name == name && m.Tags == tags).Select(m => m.Value).ToArray();
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task TheInstrumentsReportAConnection()
    {
        using var echo = new EchoServer();
        using var factory = new SharpCat.Cli.Metrics.ProgramMeterFactory(); // the program's own
        var options = new RelayOptions { MeterFactory = factory, MetricsName = "db" };
        await using var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1", $"TCP4:127.0.0.1:{echo.Port}", options);
        using var recorder = new Recorder(m => m.Scope == relay);
        var meter = Assert.Single(factory.Meters);
        Assert.Equal("SharpCat", meter.Name);
        Assert.Contains(new KeyValuePair<string, object?>("sharpcat.relay", "db"), meter.Tags!);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionClosed += (_, _) => closed.TrySetResult();

        await relay.StartAsync().WaitAsync(Bound);
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(relay.LocalEndPoints[0]).WaitAsync(Bound);
            await client.SendAsync(new byte[1000]).WaitAsync(Bound);
            var buffer = new byte[4096];
            int received = 0;
            while (received < 1000) received += await client.ReceiveAsync(buffer).WaitAsync(Bound);
            recorder.Observe();
            Assert.Equal([1.0], recorder.Values("sharpcat.connections.open"));
            client.Shutdown(SocketShutdown.Send);
            while (await client.ReceiveAsync(buffer).WaitAsync(Bound) > 0) { }
        }
        await closed.Task.WaitAsync(Bound);
        recorder.Observe();

        // Observed instruments: the value now is the last one read.
        Assert.Equal([1.0, 0.0], recorder.Values("sharpcat.connections.open"));
        Assert.Equal(1.0, recorder.Values("sharpcat.connections")[^1]);
        Assert.Equal(1000.0, recorder.Values("sharpcat.bytes", "direction=left_to_right")[^1]);
        Assert.Equal(1000.0, recorder.Values("sharpcat.bytes", "direction=right_to_left")[^1]);
        Assert.Equal([1.0], recorder.Values("sharpcat.connection.ends", "direction=left_to_right,end=eof"));
        Assert.Equal([1.0], recorder.Values("sharpcat.connection.ends", "direction=right_to_left,end=eof"));
        var duration = Assert.Single(recorder.Values("sharpcat.connection.duration"));
        Assert.InRange(duration, 0, Bound.TotalSeconds);
        var histogram = Assert.IsType<Histogram<double>>(recorder.Instruments.Single(i => i.Name == "sharpcat.connection.duration"));
        Assert.Equal("s", histogram.Unit);
        Assert.NotEmpty(histogram.Advice!.HistogramBucketBoundaries!);
    }

    private static async Task<(RelayHost Relay, Recorder Recorder)> StartMeteredAsync(string left, string right, IMeterFactory meters, int bufferSize = 8192)
    {
        var relay = new RelayHost(left, right, new RelayOptions { MeterFactory = meters, BufferSize = bufferSize });
        var recorder = new Recorder(m => m.Scope == relay);
        await relay.StartAsync().WaitAsync(Bound);
        return (relay, recorder);
    }

    private static async Task ConnectAndReadToEndAsync(EndPoint to)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(to).WaitAsync(Bound);
        try
        {
            while (await client.ReceiveAsync(new byte[256]).WaitAsync(Bound) > 0) { }
        }
        catch (SocketException)
        {
        }
    }

    [Fact]
    public async Task FailuresAreCountedByKind()
    {
        using var meters = new SharpCat.Cli.Metrics.ProgramMeterFactory();
        var (refusing, refusals) = await StartMeteredAsync("TCP4-LISTEN:0,bind=127.0.0.1,fork,range=10.0.0.0/8", "TCP4:127.0.0.1:9", meters);
        await using (refusing)
        using (refusals)
        {
            await ConnectAndReadToEndAsync(refusing.LocalEndPoints[0]);
            await Wait.UntilAsync(() => refusals.Values("sharpcat.errors", "kind=refused,reason=range").Length == 1);
        }
        int closedPort = FreePorts.Next();
        var (failing, failures) = await StartMeteredAsync("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{closedPort}", meters);
        await using (failing)
        using (failures)
        {
            await ConnectAndReadToEndAsync(failing.LocalEndPoints[0]);
            await Wait.UntilAsync(() => failures.Values("sharpcat.errors", "kind=open").Length == 1);
            Assert.Empty(failures.Values("sharpcat.errors", "kind=refused,reason=range"));
        }
    }

    [Fact]
    public async Task DatagramsCutOrDroppedAreCounted()
    {
        using var meters = new SharpCat.Cli.Metrics.ProgramMeterFactory();
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int recvPort = FreePorts.Next();
        var (relay, recorder) = await StartMeteredAsync($"UDP4-RECV:{recvPort},bind=127.0.0.1", $"UDP4-SENDTO:127.0.0.1:{((IPEndPoint)sink.LocalEndPoint!).Port}", meters, bufferSize: 10);
        await using (relay)
        using (recorder)
        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await sender.SendToAsync(new byte[100], new IPEndPoint(IPAddress.Loopback, recvPort)).WaitAsync(Bound);
            var buffer = new byte[200];
            Assert.Equal(10, await sink.ReceiveAsync(buffer).WaitAsync(Bound));
            Assert.Equal([1.0], recorder.Values("sharpcat.datagrams.cut"));
        }
        int refusingPort = FreePorts.Next();
        (relay, recorder) = await StartMeteredAsync($"UDP4-RECV:{refusingPort},bind=127.0.0.1,range=10.0.0.0/8", $"UDP4-SENDTO:127.0.0.1:{((IPEndPoint)sink.LocalEndPoint!).Port}", meters);
        await using (relay)
        using (recorder)
        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await sender.SendToAsync(new byte[5], new IPEndPoint(IPAddress.Loopback, refusingPort)).WaitAsync(Bound);
            await Wait.UntilAsync(() => recorder.Values("sharpcat.datagrams.dropped", "reason=refused").Length == 1);
            Assert.Equal([1.0], recorder.Values("sharpcat.errors", "kind=refused,reason=range"));
        }
    }

    [Fact]
    public async Task WithoutAFactoryThereIsNoMeter()
    {
        RelayHost? relay = null;
        using var recorder = new Recorder(m => m.Name == "SharpCat" && ReferenceEquals(m.Scope, relay));
        relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1", "TCP4:127.0.0.1:9");
        await using var _ = relay;
        await relay.StartAsync().WaitAsync(Bound);
        Assert.Empty(recorder.Instruments);
        Assert.False(relay.HasConnectionListeners); // and no connection records gathered for metrics
    }
}
