namespace SharpCat.Catalog;

/// <summary>
/// The checked options of one address, in the order given. Openers ask for options by their
/// canonical catalog name; aliases were resolved when the address was checked.
/// </summary>
internal sealed class OptionSet
{
    private readonly List<ResolvedOption> _options;

    internal OptionSet(List<ResolvedOption> options, bool sloppy = false)
    {
        _options = options;
        Sloppy = sloppy;
    }

    /// <summary>
    /// Under <c>-s</c> a failure to apply one of these options is logged and opening goes on,
    /// as socat's sloppy mode does.
    /// </summary>
    public bool Sloppy { get; }

    /// <summary>Applies one option step; under <see cref="Sloppy"/> its error is logged instead of thrown.</summary>
    internal void Apply(Action step) => Apply(step, static s => s());

    /// <summary>
    /// The same with the step's state passed in, so that a static lambda needs no closure: the
    /// options of every accepted connection go through here.
    /// </summary>
    internal void Apply<TState>(TState state, Action<TState> step)
    {
        try
        {
            step(state);
        }
        catch (SharpCatException e) when (Sloppy)
        {
            Diagnostics.Log.Error(e.Message);
        }
    }

    /// <summary>An empty set.</summary>
    public static OptionSet Empty { get; } = new([]);

    /// <summary>All options in the order given.</summary>
    public IReadOnlyList<ResolvedOption> All => _options;

    /// <summary>All options in the order given, without an enumerator object (the openers' loops).</summary>
    internal ReadOnlySpan<ResolvedOption> Items => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_options);

    /// <summary>The last occurrence of an option (later options override earlier ones, as in socat).</summary>
    public ResolvedOption? Find(string name)
    {
        for (int i = _options.Count - 1; i >= 0; i--)
            if (_options[i].Def.Name == name) return _options[i];
        return null;
    }

    /// <summary>True when the option is given (whatever its value).</summary>
    public bool Has(string name) => Find(name) is not null;

    /// <summary>A boolean or constant option; <paramref name="fallback"/> when absent.</summary>
    public bool Flag(string name, bool fallback = false) => Find(name)?.Value is bool b ? b : fallback;

    /// <summary>A numeric option, or null when absent.</summary>
    public long? Number(string name) => Find(name)?.Value switch { long l => l, uint u => u, _ => null };

    /// <summary>A mode, uid or gid option, or null when absent.</summary>
    public uint? Id(string name) => Find(name)?.Value is uint u ? u : null;

    /// <summary>A string option, or null when absent.</summary>
    public string? Text(string name) => Find(name)?.Value as string;

    /// <summary>A duration option in seconds, or null when absent.</summary>
    public double? Seconds(string name) => Find(name)?.Value is double d ? d : null;
}
