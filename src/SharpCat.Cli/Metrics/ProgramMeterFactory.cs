using System.Diagnostics.Metrics;

namespace SharpCat.Cli.Metrics;

/// <summary>
/// The program's <see cref="IMeterFactory"/>: the library makes its meter through one, as in an
/// ASP.NET host, and the program has no dependency-injection container to supply the default one.
/// </summary>
internal sealed class ProgramMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    /// <summary>The meters made so far (the library makes one per relay).</summary>
    public IReadOnlyList<Meter> Meters
    {
        get { lock (_meters) return [.. _meters]; }
    }

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (_meters) _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (_meters) foreach (var m in _meters) m.Dispose();
    }
}
