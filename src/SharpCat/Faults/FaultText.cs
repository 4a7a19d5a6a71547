using System.Globalization;
using System.Text;

namespace SharpCat.Faults;

/// <summary>A fault in words, for the log line that says which connection got it.</summary>
internal static class FaultText
{
    public static string Describe(Fault f)
    {
        var sb = new StringBuilder();
        void Add(string s) => sb.Append(sb.Length == 0 ? "" : ", ").Append(s);
        if (f.Latency > TimeSpan.Zero) Add(f.Jitter > TimeSpan.Zero ? $"latency {Seconds(f.Latency)} s ± {Seconds(f.Jitter)} s" : $"latency {Seconds(f.Latency)} s");
        if (f.BytesPerSecond is long rate) Add($"rate {rate} bytes/s");
        if (f.SliceSize is int slice)
            Add((f.SliceVariation > 0 ? $"slices of {slice} ± {f.SliceVariation} bytes" : $"slices of {slice} bytes")
                + (f.SliceDelay > TimeSpan.Zero ? $" every {Seconds(f.SliceDelay)} s" : ""));
        if (f.StallAfterBytes is long stall) Add($"stall after {stall} bytes");
        if (f.StallAfter is { } stallTime) Add($"stall after {Seconds(stallTime)} s");
        if (f.ResetAfterBytes is long reset) Add($"reset after {reset} bytes");
        if (f.ResetAfter is { } resetTime) Add($"reset after {Seconds(resetTime)} s");
        if (f.CloseAfterBytes is long close) Add($"close after {close} bytes");
        if (f.CloseAfter is { } closeTime) Add($"close after {Seconds(closeTime)} s");
        if (f.SlowClose > TimeSpan.Zero) Add($"end of stream {Seconds(f.SlowClose)} s late");
        if (f.Discard) Add("everything written dropped");
        if (f.Loss > 0) Add(f.LossBurst > 1 ? $"loss {Share(f.Loss)} in bursts of {Share(f.LossBurst)} on average" : $"loss {Share(f.Loss)}");
        if (f.Duplicate > 0) Add($"duplication {Share(f.Duplicate)}");
        if (f.Reorder > 0) Add($"reordering {Share(f.Reorder)}");
        return sb.Length == 0 ? "nothing" : sb.ToString();
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Share(double d) => d.ToString(CultureInfo.InvariantCulture);
}
