namespace SharpCat.DocGen;

/// <summary>_sharpcat: a short zsh completion, global options and address keywords only (Text/sharpcat.zsh).</summary>
internal static class ZshCompletion
{
    public static string Build()
    {
        string globals = string.Join(' ', GlobalOptionDocs.All.SelectMany(o => o.Spellings).Select(Quote));
        string keywords = string.Join(' ', BuildCatalog.CompletionKeywords().Select(k => Quote(k.Word.ToUpperInvariant())));
        return Resources.Read("sharpcat.zsh").Replace("# @DATA@\n", $"  globals=({globals})\n  keywords=({keywords})\n");
    }

    private static string Quote(string word) => "'" + word.Replace("'", "''") + "'";
}
