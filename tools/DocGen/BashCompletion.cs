using System.Text;
using SharpCat.Catalog;

namespace SharpCat.DocGen;

/// <summary>
/// sharpcat.bash-completion: the script in Text/sharpcat.bash with its word lists filled in from
/// the catalog. Options are listed per option group and the address types name their groups, as
/// the address check itself matches them, which keeps the lists small.
/// </summary>
internal static class BashCompletion
{
    public static string Build()
    {
        var data = new StringBuilder();
        data.Append("_sharpcat_globals=(").AppendJoin(' ', GlobalOptionDocs.All.SelectMany(o => o.Spellings).Select(Quote)).Append(")\n");
        data.Append("# Keywords and aliases in lower case, with a : where parameters must follow.\n");
        data.Append("_sharpcat_keywords=(").AppendJoin(' ', BuildCatalog.CompletionKeywords().Select(k => Quote(k.Word))).Append(")\n");
        data.Append("declare -gA _sharpcat_kind_groups=(\n");
        foreach (var (word, kind) in BuildCatalog.CompletionKeywords())
            data.Append($"    [{word.TrimEnd(':')}]={Quote(GroupList(BuildCatalog.AcceptedGroups(kind)))}\n");
        data.Append(")\n");
        data.Append("# Option names and aliases per group; name= where a value must follow.\n");
        data.Append("declare -gA _sharpcat_group_options=(\n");
        foreach (var group in Enum.GetValues<OptionGroups>().Where(g => g != OptionGroups.None))
        {
            var words = BuildCatalog.Options.Where(o => o.Groups.HasFlag(group))
                .SelectMany(o => BuildCatalog.OptionAliases(o).Prepend(o.Name).Select(n => BuildCatalog.TakesValue(o) ? n + "=" : n))
                .Order(StringComparer.Ordinal).ToList();
            if (words.Count > 0) data.Append($"    [{group.ToString().ToUpperInvariant()}]={Quote(string.Join(' ', words))}\n");
        }
        data.Append(")\n");
        return Resources.Read("sharpcat.bash").Replace("# @DATA@\n", data.ToString());
    }

    private static string GroupList(OptionGroups groups) => BuildCatalog.GroupNames(groups).Replace(',', ' ');

    /// <summary>Single-quoted for bash (no name in the catalog holds a quote, but -? holds a glob character).</summary>
    private static string Quote(string word) => "'" + word.Replace("'", @"'\''") + "'";
}
