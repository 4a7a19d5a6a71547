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
    private sealed class Recorder : IDisposable
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
