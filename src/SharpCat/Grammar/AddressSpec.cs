namespace SharpCat.Grammar;

/// <summary>One option as written on an address: <c>name</c> or <c>name=value</c>, unquoted.</summary>
/// <param name="Name">The option name as typed (catalog lookup is case-insensitive).</param>
/// <param name="Value">The value after <c>=</c>, or null when none was given.</param>
public sealed record AddressOption(string Name, string? Value)
{
    /// <inheritdoc/>
    public override string ToString() => Value is null ? Name : $"{Name}={Value}";
}

/// <summary>
/// A single address as parsed from text: keyword, parameters and options, with quotes and
/// escapes already removed. Shortcuts are expanded (<c>-</c> is STDIO, a number FD, a path GOPEN).
/// </summary>
/// <param name="Keyword">The keyword as typed, or the one a shortcut stands for.</param>
/// <param name="Parameters">The <c>:</c>-separated parameters.</param>
/// <param name="Options">The <c>,</c>-separated options in order.</param>
/// <param name="Text">The address text as given, for messages.</param>
public sealed record AddressSpec(string Keyword, IReadOnlyList<string> Parameters, IReadOnlyList<AddressOption> Options, string Text)
{
    /// <summary>Creates an address from parts, e.g. <c>new AddressSpec("OPEN", ["/tmp/f"], [new("creat", null)])</c>.</summary>
    public AddressSpec(string keyword, IReadOnlyList<string> parameters, IReadOnlyList<AddressOption> options)
        : this(keyword, parameters, options, Format(keyword, parameters, options)) { }

    private static string Format(string keyword, IReadOnlyList<string> parameters, IReadOnlyList<AddressOption> options) =>
        string.Join(':', parameters.Prepend(keyword)) + string.Concat(options.Select(o => "," + o));

    /// <inheritdoc/>
    public override string ToString() => Text;
}

/// <summary>
/// One side of a relay: a single address, or the dual form <c>read!!write</c> where reading and
/// writing go to different addresses.
/// </summary>
public sealed record EndpointSpec
{
    /// <summary>The single address, or the reading half of a dual.</summary>
    public AddressSpec Primary { get; }

    /// <summary>The writing half of a dual, or null.</summary>
    public AddressSpec? WriteSide { get; }

    /// <summary>True for <c>read!!write</c>.</summary>
    public bool IsDual => WriteSide is not null;

    /// <summary>A single address.</summary>
    public EndpointSpec(AddressSpec single) => Primary = single;

    /// <summary>A dual address: read from <paramref name="read"/>, write to <paramref name="write"/>.</summary>
    public EndpointSpec(AddressSpec read, AddressSpec write) { Primary = read; WriteSide = write; }

    /// <summary>Parses address text (see <see cref="AddressParser"/>).</summary>
    public static EndpointSpec Parse(string text) => AddressParser.Parse(text);

    /// <inheritdoc/>
    public override string ToString() => IsDual ? $"{Primary}!!{WriteSide}" : Primary.ToString();
}
