namespace SharpCat;

/// <summary>
/// One fault a relay injects into what it writes in one direction: the library's form of the
/// <c>fault-…</c> address options and of a toxiproxy toxic. Every property left at its default
/// does nothing; several set together act together (a slow link that also resets after a while).
/// Give it to <see cref="RelayFaults.Set"/>; connections that are open take it at their next write.
/// </summary>
/// <example>
/// Half a second of latency on what the client receives, then a reset after 64 KiB:
/// <code>
/// var faults = new RelayFaults();   // given to the relay as RelayOptions.Faults
/// faults.Set("slow", new Fault { Latency = TimeSpan.FromSeconds(0.5) });
/// faults.Set("cut", new Fault { ResetAfterBytes = 65536 });
/// </code>
/// </example>
public sealed record Fault
{
    /// <summary>
    /// Which writes it acts on: <see cref="RelayDirection.RightToLeft"/> (the default) shapes what
    /// the first address's peer receives (toxiproxy's downstream when the first address listens),
    /// <see cref="RelayDirection.LeftToRight"/> what the second's receives (upstream), or both.
    /// </summary>
    public RelayDirection Direction { get; init; } = RelayDirection.RightToLeft;

    /// <summary>The share of connections (0 to 1) that get it, drawn per connection from <see cref="RelayFaults.Seed"/>.</summary>
    public double Probability { get; init; } = 1;

    /// <summary>How long each write waits before it goes out; writes in flight overlap, as on a slow link.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>How much each write's <see cref="Latency"/> varies, up or down; the order of the bytes never changes.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>At most this many bytes a second.</summary>
    public long? BytesPerSecond { get; init; }

    /// <summary>Writes cut into pieces of about this size.</summary>
    public int? SliceSize { get; init; }

    /// <summary>How much a piece's size varies around <see cref="SliceSize"/>, up or down.</summary>
    public int SliceVariation { get; init; }

    /// <summary>The pause between the pieces of a write.</summary>
    public TimeSpan SliceDelay { get; init; }

    /// <summary>After this many bytes nothing more is written, and the connection stays open.</summary>
    public long? StallAfterBytes { get; init; }

    /// <summary>This long after the fault applies nothing more is written, and the connection stays open.</summary>
    public TimeSpan? StallAfter { get; init; }

    /// <summary>After this many bytes the connection is reset (its peer sees ECONNRESET).</summary>
    public long? ResetAfterBytes { get; init; }

    /// <summary>This long after the fault applies the connection is reset.</summary>
    public TimeSpan? ResetAfter { get; init; }

    /// <summary>After this many bytes the connection is closed (its peer sees the end of the stream).</summary>
    public long? CloseAfterBytes { get; init; }

    /// <summary>This long after the fault applies the connection is closed.</summary>
    public TimeSpan? CloseAfter { get; init; }

    /// <summary>The end of the stream reaches the peer this much later than it would.</summary>
    public TimeSpan SlowClose { get; init; }

    /// <summary>Everything written is dropped while the fault applies (toxiproxy's timeout toxic).</summary>
    public bool Discard { get; init; }

    /// <summary>Datagrams: the share lost.</summary>
    public double Loss { get; init; }

    /// <summary>Datagrams: the mean length of a run of losses (1: each loss on its own).</summary>
    public double LossBurst { get; init; } = 1;

    /// <summary>Datagrams: the share sent twice.</summary>
    public double Duplicate { get; init; }

    /// <summary>Datagrams: the share held back and sent after the next one.</summary>
    public double Reorder { get; init; }

    /// <summary>Refuses values that cannot mean anything, naming the property.</summary>
    /// <exception cref="ArgumentException">A negative time or size, or a share outside 0 to 1.</exception>
    internal void Check(string name)
    {
        void Share(double v, string what)
        {
            if (!(v >= 0 && v <= 1)) throw new ArgumentException($"fault \"{name}\": {what} {v} is not a share (0 to 1)");
        }
        void NotNegative(TimeSpan? t, string what)
        {
            if (t < TimeSpan.Zero) throw new ArgumentException($"fault \"{name}\": {what} is negative");
        }
        void NotNegativeCount(long? n, string what)
        {
            if (n < 0) throw new ArgumentException($"fault \"{name}\": {what} is negative");
        }
        Share(Probability, nameof(Probability));
        Share(Loss, nameof(Loss));
        Share(Duplicate, nameof(Duplicate));
        Share(Reorder, nameof(Reorder));
        if (LossBurst < 1) throw new ArgumentException($"fault \"{name}\": {nameof(LossBurst)} is a mean run length, 1 or more");
        NotNegative(Latency, nameof(Latency));
        NotNegative(Jitter, nameof(Jitter));
        NotNegative(SliceDelay, nameof(SliceDelay));
        NotNegative(StallAfter, nameof(StallAfter));
        NotNegative(ResetAfter, nameof(ResetAfter));
        NotNegative(CloseAfter, nameof(CloseAfter));
        NotNegative(SlowClose, nameof(SlowClose));
        NotNegativeCount(StallAfterBytes, nameof(StallAfterBytes));
        NotNegativeCount(ResetAfterBytes, nameof(ResetAfterBytes));
        NotNegativeCount(CloseAfterBytes, nameof(CloseAfterBytes));
        NotNegativeCount(SliceVariation, nameof(SliceVariation));
        if (BytesPerSecond is <= 0) throw new ArgumentException($"fault \"{name}\": {nameof(BytesPerSecond)} must be 1 or more");
        if (SliceSize is <= 0) throw new ArgumentException($"fault \"{name}\": {nameof(SliceSize)} must be 1 or more");
        if (Direction is not (RelayDirection.LeftToRight or RelayDirection.RightToLeft or RelayDirection.Both))
            throw new ArgumentException($"fault \"{name}\": {nameof(Direction)} {Direction} is not a direction");
    }
}
