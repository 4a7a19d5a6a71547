using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace SharpCat.Cli.Metrics;

/// <summary>
/// Reads the relay's <c>SharpCat</c> meter with a <see cref="MeterListener"/> and writes it in
/// Prometheus' text format 0.0.4. The program reads its figures the way any user of the library
/// would, rather than from a second set of counters: what it serves is what the library's
/// instruments say, and the library stays the one place that decides what is measured.
/// Observable instruments are read at each scrape; counters and the histogram are summed here as
/// measurements come. Names follow OpenTelemetry's Prometheus mapping: dots become underscores,
/// a unit of seconds adds <c>_seconds</c>, a counter ends in <c>_total</c>.
/// </summary>
internal sealed class MeterCollector : IDisposable
{
    private sealed class Series
    {
        public long Value;          // a counter's sum or an observed value
        public long[]? Buckets;     // a histogram's counts per bound, then +Inf
        public double Sum;
        public long Count;
    }

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    // Per instrument, in the order published; per label set, in the order first seen.
    private readonly Dictionary<Instrument, Dictionary<string, Series>> _series = [];

    public MeterCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != global::SharpCat.Metrics.RelayMetrics.MeterName) return;
            // An untagged histogram is served from the start, all zeros, so that a rate over it
            // has a beginning (a counter's tagged series appear with their first measurement).
            lock (_lock)
                _series[instrument] = instrument is Histogram<double> h
                    ? new() { [""] = new Series { Buckets = new long[(h.Advice?.HistogramBucketBoundaries?.Count ?? 0) + 1] } }
                    : [];
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = Labels(tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(instrument, out var all)) return;
            if (!all.TryGetValue(labels, out var s)) all[labels] = s = new Series();
            switch (instrument)
            {
                case Histogram<double> h:
                    var bounds = h.Advice?.HistogramBucketBoundaries ?? [];
                    s.Buckets ??= new long[bounds.Count + 1];
                    int b = 0;
                    while (b < bounds.Count && value > bounds[b]) b++;
                    s.Buckets[b]++;
                    s.Sum += value;
                    s.Count++;
                    break;
                case Counter<long>:
                    s.Value += (long)value;
                    break;
                default: // observed: the value now
                    s.Value = (long)value;
                    break;
            }
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var sb = new StringBuilder();
        foreach (var (key, value) in tags)
        {
            sb.Append(sb.Length == 0 ? '{' : ',').Append(key.Replace('.', '_')).Append("=\"");
            foreach (char c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
                sb.Append(c switch { '\\' => "\\\\", '"' => "\\\"", '\n' => "\\n", _ => c.ToString() });
            sb.Append('"');
        }
        return sb.Append('}').ToString();
    }

    /// <summary>Every series now, as a Prometheus scrape reads it.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (_lock)
        {
            foreach (var (instrument, all) in _series)
            {
                string name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                bool counter = instrument is Counter<long> or ObservableCounter<long>;
                string type = instrument switch
                {
                    Histogram<double> => "histogram",
                    _ when counter => "counter",
                    _ => "gauge",
                };
                text.Append("# HELP ").Append(name).Append(counter ? "_total " : " ").Append(instrument.Description).Append('\n');
                text.Append("# TYPE ").Append(name).Append(counter ? "_total " : " ").Append(type).Append('\n');
                foreach (var (labels, s) in all)
                {
                    if (instrument is Histogram<double> h)
                        Histogram(text, name, labels, s, h.Advice?.HistogramBucketBoundaries ?? []);
                    else
                        text.Append(name).Append(counter ? "_total" : "").Append(labels).Append(' ').Append(s.Value).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private static void Histogram(StringBuilder text, string name, string labels, Series s, IReadOnlyList<double> bounds)
    {
        string open = labels.Length == 0 ? "{" : labels[..^1] + ",";
        long cumulative = 0;
        for (int b = 0; b <= bounds.Count; b++)
        {
            cumulative += s.Buckets![b];
            string le = b < bounds.Count ? bounds[b].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
            text.Append(name).Append("_bucket").Append(open).Append("le=\"").Append(le).Append("\"} ")
                .Append(cumulative).Append('\n');
        }
        text.Append(name).Append("_sum").Append(labels).Append(' ')
            .Append(s.Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(name).Append("_count").Append(labels).Append(' ').Append(s.Count).Append('\n');
    }

    public void Dispose() => _listener.Dispose();
}
