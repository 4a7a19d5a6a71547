using SharpCat.Catalog;

namespace SharpCat.DocGen;

/// <summary>One line per option saying what it does; see Meaning for the families described by rule.</summary>
internal static class OptionDocs
{
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
    };

    public static string? Meaning(OptionDef option) => Meanings.GetValueOrDefault(option.Name);
}
