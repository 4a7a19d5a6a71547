using System.Globalization;
using System.Text;
using SharpCat.Catalog;

namespace SharpCat.Faults;

/// <summary>
/// The faults an address's options ask for (<c>fault-…</c>, in the APPL group, so valid on every
/// address), acting on what the relay writes to that address: on the first address they shape what
/// the client receives, on the second what the server receives (toxiproxy's downstream and
/// upstream). Which connections get them is drawn from <c>fault-seed</c>: the same seed and the
/// same connections give the same faults.
/// </summary>
internal sealed record FaultPlan(
    TimeSpan Latency, TimeSpan Jitter, long? Rate, int? SliceSize, TimeSpan SliceDelay,
    long? StallAfter, long? ResetAfter, long? CloseAfter, double Probability, ulong Seed,
    double Loss = 0, double LossBurst = 1, double Duplicate = 0, double Reorder = 0)
{
    /// <summary>The options of this family: each one alone turns faults on, except the three that only qualify others.</summary>
    public static readonly string[] Names =
    [
        "fault-latency", "fault-jitter", "fault-rate", "fault-slice", "fault-slice-delay",
        "fault-stall", "fault-reset", "fault-close", "fault-probability", "fault-seed",
        "fault-loss", "fault-loss-burst", "fault-duplicate", "fault-reorder",
    ];

    // What only a byte stream can have, and what only datagrams can.
    private static readonly string[] StreamOnly = ["fault-slice", "fault-slice-delay", "fault-stall", "fault-reset", "fault-close"];
    private static readonly string[] DatagramOnly = ["fault-loss", "fault-loss-burst", "fault-duplicate", "fault-reorder"];

    private static readonly string[] Qualifiers = ["fault-jitter", "fault-slice-delay", "fault-probability", "fault-seed", "fault-loss-burst"];

    // With no fault-seed, one seed for the whole process, logged once, so that a run can be replayed.
    private static readonly Lazy<ulong> ProcessSeed = new(() => (ulong)Random.Shared.NextInt64(1, long.MaxValue));

    /// <summary>The plan of an address with fault options, or null (the usual case, at the cost of one scan).</summary>
    public static FaultPlan? From(OptionSet options)
    {
        bool any = false;
        foreach (var o in options.Items)
            if (o.Def.Name.StartsWith("fault-", StringComparison.Ordinal)) { any = true; break; }
        if (!any) return null;
        static TimeSpan Time(OptionSet o, string name) => TimeSpan.FromSeconds(o.Seconds(name) ?? 0);
        return new FaultPlan(
            Time(options, "fault-latency"), Time(options, "fault-jitter"), options.Number("fault-rate"),
            options.Number("fault-slice") is long slice ? (int)slice : null, Time(options, "fault-slice-delay"),
            options.Number("fault-stall"), options.Number("fault-reset"), options.Number("fault-close"),
            options.Seconds("fault-probability") ?? 1.0,
            options.Number("fault-seed") is long seed ? (ulong)seed : ProcessSeed.Value,
            options.Seconds("fault-loss") ?? 0, options.Seconds("fault-loss-burst") ?? 1,
            options.Seconds("fault-duplicate") ?? 0, options.Seconds("fault-reorder") ?? 0);
    }

    /// <summary>Refuses, before anything is opened, fault options that cannot mean anything on this address.</summary>
    public static void Check(ResolvedAddress address)
    {
        var options = address.Options;
        var given = Names.Where(options.Has).ToArray();
        if (given.Length == 0) return;
        if (given.All(n => Array.IndexOf(Qualifiers, n) >= 0))
            throw new SharpCatException($"{address.Name}: option \"{options.Find(given[0])!.Spelling}\" qualifies a fault, and none is given (fault-latency, fault-rate, fault-slice, fault-stall, fault-reset, fault-close, fault-loss, fault-duplicate, fault-reorder)");
        if (options.Has("fault-jitter") && !options.Has("fault-latency"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-jitter")!.Spelling}\" varies fault-latency, which is not given");
        if (options.Has("fault-slice-delay") && !options.Has("fault-slice"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-slice-delay")!.Spelling}\" paces fault-slice, which is not given");
        if (options.Has("fault-loss-burst") && !options.Has("fault-loss"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-loss-burst")!.Spelling}\" groups fault-loss, which is not given");
        foreach (string name in new[] { "fault-probability", "fault-loss", "fault-duplicate", "fault-reorder" })
            if (options.Seconds(name) is > 1.0)
                throw new SharpCatException($"{address.Name}: option \"{options.Find(name)!.Spelling}\": {options.Seconds(name)!.Value.ToString(CultureInfo.InvariantCulture)} is not a probability (0 to 1)");
        if (options.Seconds("fault-loss") is 1.0 && options.Has("fault-loss-burst"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-loss-burst")!.Spelling}\": with fault-loss=1 every datagram is lost, there are no bursts");
        if (options.Seconds("fault-loss-burst") is < 1.0)
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-loss-burst")!.Spelling}\": a burst is one datagram or more on average");
        bool datagrams = IsDatagramKeyword(address.Kind.Keyword);
        foreach (string name in datagrams ? StreamOnly : DatagramOnly)
            if (options.Has(name))
                throw new SharpCatException(datagrams
                    ? $"{address.Name}: option \"{options.Find(name)!.Spelling}\" acts on a byte stream, and this address moves datagrams"
                    : $"{address.Name}: option \"{options.Find(name)!.Spelling}\" acts on datagrams, and this address is a byte stream");
    }

    // Datagram addresses by name: UDP and raw IP, DTLS, INTERFACE and the generic and UNIX datagram forms.
    private static bool IsDatagramKeyword(string k) =>
        AddressCatalog.IsIpDatagram(k)
        || k.Contains("dtls", StringComparison.Ordinal) || k.Contains("sendto", StringComparison.Ordinal)
        || k.Contains("recv", StringComparison.Ordinal) || k.Contains("datagram", StringComparison.Ordinal) || k == "interface";

    /// <summary>Whether connection <paramref name="id"/>'s side gets the faults, drawn from the seed, and the generator its jitter then uses.</summary>
    public Random? Draw(long id, int side)
    {
        // SplitMix64 over the seed, the connection and the side: the same three give the same draws
        // in every run and on every machine (System.Random with an int seed is stable too).
        ulong z = Seed + 0x9E3779B97F4A7C15UL * (ulong)(id * 2 + side);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        var random = new Random((int)(z & 0x7FFFFFFF));
        return random.NextDouble() < Probability ? random : null;
    }

    /// <summary>The faults in words, for the log line that says which connection got them.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Add(string s) => sb.Append(sb.Length == 0 ? "" : ", ").Append(s);
        if (Latency > TimeSpan.Zero) Add(Jitter > TimeSpan.Zero ? $"latency {Seconds(Latency)} s ± {Seconds(Jitter)} s" : $"latency {Seconds(Latency)} s");
        if (Rate is long rate) Add($"rate {rate} bytes/s");
        if (SliceSize is int slice) Add(SliceDelay > TimeSpan.Zero ? $"slices of {slice} bytes every {Seconds(SliceDelay)} s" : $"slices of {slice} bytes");
        if (StallAfter is long stall) Add($"stall after {stall} bytes");
        if (ResetAfter is long reset) Add($"reset after {reset} bytes");
        if (CloseAfter is long close) Add($"close after {close} bytes");
        if (Loss > 0) Add(LossBurst > 1 ? $"loss {Loss} in bursts of {LossBurst} on average" : $"loss {Loss}");
        if (Duplicate > 0) Add($"duplication {Duplicate}");
        if (Reorder > 0) Add($"reordering {Reorder}");
        return sb.ToString();
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture);
}
