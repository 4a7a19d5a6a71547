using System.Diagnostics.Metrics;

namespace SharpCat.Metrics;

/// <summary>
/// A relay's instruments, on a <see cref="Meter"/> named <c>SharpCat</c> that the host's
/// <see cref="RelayOptions.MeterFactory"/> makes. Made only when a factory is given: a relay without
/// one has no meter and does no work per connection for metrics (DESIGN §10, off costs nothing).
/// The pumps are not touched: the figures that already exist (<see cref="RelayHost.Statistics"/>)
/// are observed when a listener asks, and the rest comes from the host's own
/// <see cref="RelayHost.ConnectionClosed"/> records, to which this subscribes like any user.
/// </summary>
internal sealed class RelayMetrics
{
    /// <summary>The meter's name, which listeners and exporters select by.</summary>
    public const string MeterName = "SharpCat";

    // From a millisecond to about an hour: request/response connections and long tunnels both land
    // in buckets that say something.
    private static readonly double[] DurationBuckets =
        [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

    private static readonly KeyValuePair<string, object?> LeftToRight = new("direction", "left_to_right");
    private static readonly KeyValuePair<string, object?> RightToLeft = new("direction", "right_to_left");

    // TLS and DTLS handshakes take from well under a millisecond (resumed, loopback) to seconds.
    private static readonly double[] HandshakeBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _ends;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _datagramsDropped;
    private readonly Counter<long> _datagramsCut;
    private readonly Histogram<double> _handshakes;

    public RelayMetrics(RelayHost host, IMeterFactory factory, string? relayName)
    {
        // The host is the scope, so that two relays on one factory get two meters, told apart by
        // the optional relay tag when they are exported side by side.
        var meter = factory.Create(new MeterOptions(MeterName)
        {
            Scope = host,
            Tags = relayName is null ? null : [new("sharpcat.relay", relayName)],
        });
        meter.CreateObservableUpDownCounter("sharpcat.connections.open", () => host.Statistics.ConnectionsOpen,
            "{connection}", "Connections transferring data now");
        meter.CreateObservableCounter("sharpcat.connections", () => host.Statistics.ConnectionsTotal,
            "{connection}", "Connections whose transfer has started");
        meter.CreateObservableCounter("sharpcat.bytes", () =>
        {
            var s = host.Statistics;
            return new[]
            {
                new Measurement<long>(s.BytesLeftToRight, LeftToRight),
                new Measurement<long>(s.BytesRightToLeft, RightToLeft),
            };
        }, "By", "Bytes written to the other address, by direction");
        _ends = meter.CreateCounter<long>("sharpcat.connection.ends", "{direction}",
            "Directions of connections that ended, by how they ended");
        _duration = meter.CreateHistogram("sharpcat.connection.duration", "s", "How long connections transferred",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _errors = meter.CreateCounter<long>("sharpcat.errors", "{error}",
            "Failures by kind: open (an address could not be opened), handshake (TLS/DTLS), refused (a peer an access check refused, by reason), resources (out of descriptors or memory), transfer (a direction ended with an error)");
        _datagramsDropped = meter.CreateCounter<long>("sharpcat.datagrams.dropped", "{datagram}",
            "Datagrams received and not relayed, by reason: refused (an access check), wrong_peer (not from the connected peer), no_peer (nowhere to send yet)");
        _datagramsCut = meter.CreateCounter<long>("sharpcat.datagrams.cut", "{datagram}",
            "Datagrams longer than the buffer (-b), relayed cut to its size");
        _handshakes = meter.CreateHistogram("sharpcat.handshake.duration", "s", "TLS and DTLS handshakes, by protocol, role and outcome",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HandshakeBuckets });
        host.ConnectionClosed += OnConnectionClosed;
    }

    /// <summary>An address could not be opened (a connect refused, a file missing, …).</summary>
    public void OpenFailed() => _errors.Add(1, new KeyValuePair<string, object?>("kind", "open"));

    /// <summary>A listener or a relay waits for descriptors or memory.</summary>
    public void ResourcesExhausted() => _errors.Add(1, new KeyValuePair<string, object?>("kind", "resources"));

    /// <summary>A peer was refused by an access check (range, sourceport, lowport, tcpwrap, …).</summary>
    public void Refused(string reason) =>
        _errors.Add(1, new KeyValuePair<string, object?>("kind", "refused"), new KeyValuePair<string, object?>("reason", reason));

    public void DatagramDropped(string reason) => _datagramsDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DatagramCut() => _datagramsCut.Add(1);

    /// <summary>A TLS or DTLS handshake ended; a failed one also counts as an error.</summary>
    public void Handshake(bool dtls, bool client, TimeSpan duration, bool succeeded)
    {
        _handshakes.Record(duration.TotalSeconds,
            new KeyValuePair<string, object?>("protocol", dtls ? "dtls" : "tls"),
            new KeyValuePair<string, object?>("role", client ? "client" : "server"),
            new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));
        if (!succeeded) _errors.Add(1, new KeyValuePair<string, object?>("kind", "handshake"));
    }

    private void OnConnectionClosed(object? sender, RelayConnectionClosed record)
    {
        Ended(LeftToRight, record.LeftToRight.End);
        Ended(RightToLeft, record.RightToLeft.End);
        _duration.Record(record.Duration.TotalSeconds);
    }

    private void Ended(KeyValuePair<string, object?> direction, DirectionEnd end)
    {
        string? kind = end switch
        {
            DirectionEnd.EndOfFile => "eof",
            DirectionEnd.Reset => "reset",
            DirectionEnd.ClosingTimeout => "closing_timeout",
            DirectionEnd.InactivityTimeout => "inactivity_timeout",
            DirectionEnd.Stopped => "stopped",
            DirectionEnd.Error => "error",
            _ => null, // a direction that was not relayed did not end
        };
        if (kind is not null) _ends.Add(1, direction, new("end", kind));
        if (end == DirectionEnd.Error) _errors.Add(1, new KeyValuePair<string, object?>("kind", "transfer"));
    }
}
