using System.Globalization;
using SharpCat.Catalog;

namespace SharpCat.Faults;

/// <summary>
/// The faults an address's options ask for (<c>fault-…</c>, in the APPL group, so valid on every
/// address), acting on what the relay writes to that address: on the first address they shape what
/// the client receives, on the second what the server receives (toxiproxy's downstream and
/// upstream). Which connections get them is drawn from <c>fault-seed</c>: the same seed and the
/// same connections give the same faults.
/// </summary>
internal sealed record FaultPlan(Fault Fault, ulong Seed)
{
    /// <summary>The options of this family: each one alone turns faults on, except the ones that only qualify others.</summary>
    public static readonly string[] Names =
    [
        "fault-latency", "fault-jitter", "fault-rate", "fault-slice", "fault-slice-delay", "fault-slice-variation",
        "fault-stall", "fault-reset", "fault-close", "fault-stall-time", "fault-reset-time", "fault-close-time",
        "fault-slow-close", "fault-discard", "fault-probability", "fault-seed",
        "fault-loss", "fault-loss-burst", "fault-duplicate", "fault-reorder",
    ];

    // What only a byte stream can have, and what only datagrams can.
    private static readonly string[] StreamOnly =
    [
        "fault-slice", "fault-slice-delay", "fault-slice-variation", "fault-stall", "fault-reset", "fault-close",
        "fault-stall-time", "fault-reset-time", "fault-close-time", "fault-slow-close",
    ];
    private static readonly string[] DatagramOnly = ["fault-loss", "fault-loss-burst", "fault-duplicate", "fault-reorder"];

    private static readonly string[] Qualifiers = ["fault-jitter", "fault-slice-delay", "fault-slice-variation", "fault-probability", "fault-seed", "fault-loss-burst"];

    // With no fault-seed, one seed for the whole process, logged once, so that a run can be replayed.
    private static readonly Lazy<ulong> ProcessSeed = new(() => (ulong)Random.Shared.NextInt64(1, long.MaxValue));

    /// <summary>The plan of an address with fault options, or null (the usual case, at the cost of one scan).</summary>
    public static FaultPlan? From(OptionSet options)
    {
        bool any = false;
        foreach (var o in options.Items)
            if (o.Def.Name.StartsWith("fault-", StringComparison.Ordinal)) { any = true; break; }
        if (!any) return null;
        TimeSpan Time(string name) => TimeSpan.FromSeconds(options.Seconds(name) ?? 0);
        TimeSpan? Moment(string name) => options.Seconds(name) is double s ? TimeSpan.FromSeconds(s) : null;
        var fault = new Fault
        {
            Probability = options.Seconds("fault-probability") ?? 1.0,
            Latency = Time("fault-latency"), Jitter = Time("fault-jitter"), BytesPerSecond = options.Number("fault-rate"),
            SliceSize = options.Number("fault-slice") is long slice ? (int)slice : null,
            SliceVariation = (int)(options.Number("fault-slice-variation") ?? 0), SliceDelay = Time("fault-slice-delay"),
            StallAfterBytes = options.Number("fault-stall"), ResetAfterBytes = options.Number("fault-reset"), CloseAfterBytes = options.Number("fault-close"),
            StallAfter = Moment("fault-stall-time"), ResetAfter = Moment("fault-reset-time"), CloseAfter = Moment("fault-close-time"),
            SlowClose = Time("fault-slow-close"), Discard = options.Flag("fault-discard"),
            Loss = options.Seconds("fault-loss") ?? 0, LossBurst = options.Seconds("fault-loss-burst") ?? 1,
            Duplicate = options.Seconds("fault-duplicate") ?? 0, Reorder = options.Seconds("fault-reorder") ?? 0,
        };
        return new FaultPlan(fault, options.Number("fault-seed") is long seed ? (ulong)seed : ProcessSeed.Value);
    }

    /// <summary>Refuses, before anything is opened, fault options that cannot mean anything on this address.</summary>
    public static void Check(ResolvedAddress address)
    {
        var options = address.Options;
        var given = Names.Where(options.Has).ToArray();
        if (given.Length == 0) return;
        if (given.All(n => Array.IndexOf(Qualifiers, n) >= 0))
            throw new SharpCatException($"{address.Name}: option \"{options.Find(given[0])!.Spelling}\" qualifies a fault, and none is given (fault-latency, fault-rate, fault-slice, fault-stall, fault-reset, fault-close, fault-slow-close, fault-discard, fault-loss, fault-duplicate, fault-reorder)");
        if (options.Has("fault-jitter") && !options.Has("fault-latency"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-jitter")!.Spelling}\" varies fault-latency, which is not given");
        if (options.Has("fault-slice-delay") && !options.Has("fault-slice"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-slice-delay")!.Spelling}\" paces fault-slice, which is not given");
        if (options.Has("fault-slice-variation") && !options.Has("fault-slice"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-slice-variation")!.Spelling}\" varies fault-slice, which is not given");
        if (options.Number("fault-slice-variation") is long variation && variation >= options.Number("fault-slice"))
            throw new SharpCatException($"{address.Name}: option \"{options.Find("fault-slice-variation")!.Spelling}\": a piece varies by less than fault-slice ({options.Number("fault-slice")} bytes)");
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
        var random = new Random(FaultDraws.Mix(Seed, id * 2 + side));
        return random.NextDouble() < Fault.Probability ? random : null;
    }
}
