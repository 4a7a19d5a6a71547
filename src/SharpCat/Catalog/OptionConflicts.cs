namespace SharpCat.Catalog;

/// <summary>
/// Options of one address that contradict each other. socat lets the last one win, warns, or
/// leaves it to open(2) (<c>rdonly,wronly</c> creates the file and then fails to read it;
/// <c>excl,trunc</c> without <c>creat</c> truncates an existing file). Here they are refused when
/// the address is checked, before anything is opened.
/// </summary>
internal static class OptionConflicts
{
    // At most one option of each set may be on: each sets the same thing to a different value.
    // (Where socat documents that the last one wins, as for cr and crnl, it still does.)
    private static readonly string[][] OneOf =
    [
        ["o-rdonly", "o-wronly", "o-rdwr"],
        ["pty", "pipes"], // socat warns and ignores pipes
        ["proxy-authorization", "proxy-authorization-file"], // socat refuses them together too
    ];

    // Address types whose open(2) has O_CREAT already, where excl does what it says.
    private static readonly string[] CreateImplied = ["gopen", "create"];

    public static void Check(ResolvedAddress address)
    {
        var options = address.Options;
        foreach (string[] set in OneOf)
        {
            ResolvedOption? first = null;
            foreach (var o in options.All)
            {
                if (Array.IndexOf(set, o.Def.Name) < 0 || o.Value is false) continue;
                if (first is not null && first.Def.Name != o.Def.Name)
                    throw new SharpCatException($"{address.Name}: options \"{first.Spelling}\" and \"{o.Spelling}\" exclude each other");
                first = o;
            }
        }
        // open(2) ignores O_EXCL without O_CREAT, and O_TRUNC then empties an existing file.
        if (options.Flag("o-excl") && options.Flag("o-trunc") && !options.Flag("o-create")
            && Array.IndexOf(CreateImplied, address.Kind.Keyword) < 0)
            throw new SharpCatException($"{address.Name}: option \"{options.Find("o-excl")!.Spelling}\" without \"creat\" does not protect an existing file from \"{options.Find("o-trunc")!.Spelling}\" (open(2) ignores O_EXCL without O_CREAT)");
    }
}
