using System.Diagnostics;

namespace SharpCat.Faults;

/// <summary>
/// What one connection's side is subject to now: the faults drawn for it merged into one, with the
/// byte counts and moments at which a stall, reset or close fires (counted from when each fault
/// reached the connection, so a fault added mid-stream acts on what comes after it).
/// </summary>
internal sealed record FaultState(Fault Fault, long? StallAt, long? ResetAt, long? CloseAt, long StallDue, long ResetDue, long CloseDue)
{
    public const long Never = long.MaxValue;

    public static readonly FaultState None = new(new Fault(), null, null, null, Never, Never, Never);

    /// <summary>A fault as it reached the connection: after how many bytes, at which stopwatch tick.</summary>
    public sealed record Reached(string Name, Fault Fault, long Serial, long WrittenThen, long TickThen);

    /// <summary>The faults that reached the connection, acting together.</summary>
    public static FaultState Merge(IReadOnlyCollection<Reached> faults)
    {
        if (faults.Count == 0) return None;
        var f = new Fault();
        long? stallAt = null, resetAt = null, closeAt = null;
        long stallDue = Never, resetDue = Never, closeDue = Never;
        static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
        static long Due(long tick, TimeSpan? after) => after is { } t ? tick + (long)(t.TotalSeconds * Stopwatch.Frequency) : Never;
        static double Either(double a, double b) => 1 - (1 - a) * (1 - b);
        foreach (var r in faults)
        {
            var g = r.Fault;
            // Delays add up, as chained slow links do; limits take the strictest.
            bool slices = g.SliceSize is int s && (f.SliceSize is null || s < f.SliceSize);
            f = f with
            {
                Latency = f.Latency + g.Latency,
                Jitter = f.Jitter + g.Jitter,
                BytesPerSecond = Min(f.BytesPerSecond, g.BytesPerSecond),
                SliceSize = slices ? g.SliceSize : f.SliceSize,
                SliceVariation = slices ? g.SliceVariation : f.SliceVariation,
                SliceDelay = slices ? g.SliceDelay : f.SliceDelay,
                SlowClose = f.SlowClose + g.SlowClose,
                Discard = f.Discard || g.Discard,
                Loss = Either(f.Loss, g.Loss),
                LossBurst = Math.Max(f.LossBurst, g.LossBurst),
                Duplicate = Either(f.Duplicate, g.Duplicate),
                Reorder = Either(f.Reorder, g.Reorder),
            };
            stallAt = Min(stallAt, r.WrittenThen + g.StallAfterBytes);
            resetAt = Min(resetAt, r.WrittenThen + g.ResetAfterBytes);
            closeAt = Min(closeAt, r.WrittenThen + g.CloseAfterBytes);
            stallDue = Math.Min(stallDue, Due(r.TickThen, g.StallAfter));
            resetDue = Math.Min(resetDue, Due(r.TickThen, g.ResetAfter));
            closeDue = Math.Min(closeDue, Due(r.TickThen, g.CloseAfter));
        }
        return new FaultState(f, stallAt, resetAt, closeAt, stallDue, resetDue, closeDue);
    }

    /// <summary>The first moment at which a stall, reset or close fires by time.</summary>
    public long NextDue => Math.Min(StallDue, Math.Min(ResetDue, CloseDue));

    public bool StreamOnly(out string what)
    {
        var f = Fault;
        what = f.SliceSize is not null ? "slicing" : StallAt is not null || StallDue != Never ? "a stall"
            : ResetAt is not null || ResetDue != Never ? "a reset" : CloseAt is not null || CloseDue != Never ? "a close"
            : f.SlowClose > TimeSpan.Zero ? "a slow close" : "";
        return what.Length > 0;
    }

    public bool DatagramOnly => Fault.Loss > 0 || Fault.Duplicate > 0 || Fault.Reorder > 0;
}
