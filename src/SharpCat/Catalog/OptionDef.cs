namespace SharpCat.Catalog;

/// <summary>One address option of the catalog: its canonical name, groups, phase and value type.</summary>
internal sealed record OptionDef(string Name, OptionGroups Groups, OptionPhase Phase, OptionType Type);

/// <summary>One address type of the catalog: keyword, parameter shape and accepted option groups.</summary>
/// <param name="Keyword">Canonical lower-case keyword.</param>
/// <param name="Parameters">Parameters that must be given, in order.</param>
/// <param name="OptionalParameters">Parameters that may follow them.</param>
/// <param name="Groups">Option groups the address accepts (APPL is implied).</param>
internal sealed record AddressKind(string Keyword, string[] Parameters, string[] OptionalParameters, OptionGroups Groups)
{
    /// <summary>The usage shape as the help text prints it, e.g. <c>open:&lt;filename&gt;</c>.</summary>
    public string Usage => Keyword + string.Concat(Parameters.Select(p => $":<{p}>"))
        + (OptionalParameters.Length > 0 ? "[" + string.Concat(OptionalParameters.Select(p => $":<{p}>")) + "]" : "");
}
