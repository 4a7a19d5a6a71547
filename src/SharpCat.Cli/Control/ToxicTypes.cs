namespace SharpCat.Cli.Control;

/// <summary>
/// Toxiproxy's toxic types: their attributes (names, defaults) as toxiproxy's API shows them, and
/// the <see cref="Fault"/> each one is. Times are toxiproxy's: milliseconds, except the slicer's
/// delay in microseconds; rates in KB/s (1000 bytes).
/// </summary>
internal static class ToxicTypes
{
    /// <summary>One type: its attributes in toxiproxy's order, and the fault the attributes make.</summary>
    public sealed record Type(string Name, string[] Attributes, Func<Dictionary<string, double>, Fault> ToFault, bool Fractions = false);

    private static TimeSpan Ms(double n) => TimeSpan.FromMilliseconds(n);

    public static readonly Type[] All =
    [
        new("latency", ["latency", "jitter"], a => new Fault { Latency = Ms(a["latency"]), Jitter = Ms(a["jitter"]) }),
        // A rate of 0 lets everything through, as in toxiproxy.
        new("bandwidth", ["rate"], a => new Fault { BytesPerSecond = a["rate"] > 0 ? (long)a["rate"] * 1000 : null }),
        new("slow_close", ["delay"], a => new Fault { SlowClose = Ms(a["delay"]) }),
        // No data gets through; the connection closes after the timeout (never for 0).
        new("timeout", ["timeout"], a => new Fault { Discard = true, CloseAfter = a["timeout"] > 0 ? Ms(a["timeout"]) : null }),
        new("reset_peer", ["timeout"], a => new Fault { ResetAfter = Ms(a["timeout"]) }),
        new("slicer", ["average_size", "size_variation", "delay"], a => new Fault
        {
            SliceSize = a["average_size"] > 0 ? (int)Math.Min(a["average_size"], int.MaxValue) : null,
            SliceVariation = (int)Math.Min(a["size_variation"], Math.Max(0, a["average_size"] - 1)),
            SliceDelay = TimeSpan.FromMicroseconds(a["delay"]),
        }),
        new("limit_data", ["bytes"], a => new Fault { CloseAfterBytes = (long)a["bytes"] }),
        // SharpCat's own, for datagram proxies (toxicity picks connections, not datagrams).
        new("loss", ["probability", "burst"], a => new Fault { Loss = a["probability"], LossBurst = Math.Max(1, a["burst"]) }, Fractions: true),
    ];

    public static Type? Find(string name) => Array.Find(All, t => t.Name == name);
}
