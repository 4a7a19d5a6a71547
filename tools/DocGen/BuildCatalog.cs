using SharpCat.Catalog;
using SharpCat.Endpoints;

namespace SharpCat.DocGen;

/// <summary>
/// What this build has, read from the tables the program checks addresses against: the man page
/// and the completions list exactly the address types and options an address may use, so they
/// cannot promise something the binary refuses.
/// </summary>
internal static class BuildCatalog
{
    /// <summary>Address types with an opener in this build, by keyword.</summary>
    public static IReadOnlyList<AddressKind> Kinds { get; } =
        AddressCatalog.AllKinds.Where(k => EndpointRegistry.IsImplemented(k.Keyword)).OrderBy(k => k.Keyword, StringComparer.Ordinal).ToList();

    /// <summary>Address types of the catalog that this build refuses as "not supported".</summary>
    public static IReadOnlyList<AddressKind> MissingKinds { get; } =
        AddressCatalog.AllKinds.Where(k => !EndpointRegistry.IsImplemented(k.Keyword)).OrderBy(k => k.Keyword, StringComparer.Ordinal).ToList();

    /// <summary>Options this build applies (the refused ones, such as openssl-egd, are left out).</summary>
    public static IReadOnlyList<OptionDef> Options { get; } =
        OptionCatalog.All
            .Where(o => OptionCatalog.IsImplemented(o) && !ImplementedOptions.Refused.ContainsKey(o.Name))
            .OrderBy(o => o.Name, StringComparer.Ordinal).ToList();

    public static IEnumerable<string> KindAliases(AddressKind kind) => AddressCatalog.AliasesOf(kind.Keyword).Order(StringComparer.Ordinal);

    public static IEnumerable<string> OptionAliases(OptionDef option) =>
        OptionCatalog.Aliases.Concat(OptionCatalog.ExtraAliases).Where(a => a.Name == option.Name).Select(a => a.Alias)
            .Distinct().Order(StringComparer.Ordinal);

    /// <summary>The groups an option must share with an address, as the address check computes them (APPL is everywhere).</summary>
    public static OptionGroups AcceptedGroups(AddressKind kind) => AddressCatalog.AcceptedGroups(kind) | OptionGroups.Appl;

    /// <summary>
    /// Whether the option needs <c>=value</c>: asked of the program's own value parser, which
    /// takes a bare name for flags, constants and socat's "a bare number option is 1" rule.
    /// </summary>
    public static bool TakesValue(OptionDef option)
    {
        try
        {
            OptionValueParser.Parse(option, option.Name, null);
            return false;
        }
        catch (SharpCatException)
        {
            return true;
        }
    }

    /// <summary>Group flags as the program prints them (<c>FD,SOCKET</c>).</summary>
    public static string GroupNames(OptionGroups groups) => AddressResolver.GroupNames(groups);

    /// <summary>The value type as <c>sharpcat -hh</c> and socat print it.</summary>
    public static string TypeName(OptionType type) => type switch
    {
        OptionType.IntArray3 => "INT[3]",
        OptionType.StringNull => "STRING-NULL",
        _ => type.ToString().ToUpperInvariant().Replace('_', ':'),
    };

    /// <summary>Every keyword and alias of an address type of this build, with a ':' where parameters must follow, as completion offers them.</summary>
    public static IEnumerable<(string Word, AddressKind Kind)> CompletionKeywords() =>
        Kinds.SelectMany(k => KindAliases(k).Prepend(k.Keyword).Select(w => (Word: k.Parameters.Length > 0 ? w + ":" : w, Kind: k)))
            .OrderBy(k => k.Word, StringComparer.Ordinal);
}
