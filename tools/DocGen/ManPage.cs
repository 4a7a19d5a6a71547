using System.Text.RegularExpressions;
using SharpCat.Catalog;

namespace SharpCat.DocGen;

/// <summary>
/// sharpcat.1 in man(7) macros: the handwritten sections come from Text/, the lists of global
/// options, address types and options from the tables (see BuildCatalog), and the examples from
/// README.md's Examples, so that the page and the program describe the same build.
/// </summary>
internal static partial class ManPage
{
    public static string Build()
    {
        var page = new Roff();
        page.Raw($".TH SHARPCAT 1 {Date()} \"SharpCat {Version()}\" \"User Commands\"");
        page.Macro("SH", "NAME").Raw(@"sharpcat \- relay data between two addresses, compatible with socat");
        page.Macro("SH", "SYNOPSIS")
            .Raw(@"\fBsharpcat\fR [\fIoptions\fR] \fIaddress1\fR \fIaddress2\fR").Macro("br")
            .Raw(@"\fBsharpcat \-V\fR").Macro("br")
            .Raw(@"\fBsharpcat \-h\fR[\fBh\fR[\fBh\fR]]");
        page.Macro("SH", "DESCRIPTION").Raw(Resources.Read("description.man"));
        page.Macro("SH", "OPTIONS");
        foreach (var option in GlobalOptionDocs.All) page.Macro("TP").Raw(option.Synopsis).Text(option.Meaning);
        page.Macro("SH", "ADDRESS SPECIFICATIONS").Raw(Resources.Read("addresses.man"));
        AddressTypes(page);
        AddressOptions(page);
        page.Macro("SH", "ENVIRONMENT").Raw(Resources.Read("environment.man"));
        page.Macro("SH", "EXIT STATUS").Raw(Resources.Read("exit-status.man"));
        Examples(page);
        page.Macro("SH", "DIFFERENCES FROM SOCAT").Raw(Resources.Read("differences.man"));
        page.Macro("SH", "SEE ALSO").Raw(@".BR socat (1),").Raw(@".BR socket (7),").Raw(@".BR termios (3),").Raw(@".BR openssl (1)");
        return page.ToString();
    }

    private static void AddressTypes(Roff page)
    {
        page.Macro("SH", "ADDRESS TYPES")
            .Text("The address types of this build, with their parameters, the option groups they accept (any APPL option is accepted too) and their aliases. Keywords are case-insensitive.");
        foreach (var kind in BuildCatalog.Kinds)
        {
            page.Macro("TP").Raw(Usage(kind));
            if (AddressDocs.Meaning(kind.Keyword) is { } meaning) page.Text(meaning);
            var aliases = BuildCatalog.KindAliases(kind).Select(a => @"\fB" + Roff.Escape(a.ToUpperInvariant()) + @"\fR").ToList();
            if (aliases.Count > 0) page.Raw("Aliases: " + string.Join(", ", aliases) + ".");
            page.Text("Option groups: " + BuildCatalog.GroupNames(AddressCatalog.AcceptedGroups(kind)).Replace(",", ", ") + ".");
        }
        if (BuildCatalog.MissingKinds.Count == 0) return;
        page.Macro("PP").Text("socat's address types that this build recognises but refuses as not supported: "
            + string.Join(", ", BuildCatalog.MissingKinds.Select(k => k.Keyword.ToUpperInvariant())) + ".");
    }

    /// <summary>TCP-LISTEN:port, PIPE[:filename], in bold and italics.</summary>
    private static string Usage(AddressKind kind)
    {
        string Params(IEnumerable<string> names) => string.Concat(names.Select(p => @":\fI" + Roff.Escape(p) + @"\fR"));
        string text = @"\fB" + Roff.Escape(kind.Keyword.ToUpperInvariant()) + @"\fR" + Params(kind.Parameters);
        return kind.OptionalParameters.Length > 0 ? text + "[" + Params(kind.OptionalParameters) + "]" : text;
    }

    private static void AddressOptions(Roff page)
    {
        page.Macro("SH", "ADDRESS OPTIONS")
            .Text("Every option this build applies, by name, with its other spellings, the option groups it belongs to and the type of its value. An option may be used on an address whose type accepts one of its groups. Options of socat's catalog that are not listed here are recognised and refused with \"not supported by this build\".");
        page.Macro("SS", "Option groups");
        foreach (var (group, text) in GroupDocs.All) page.Macro("TP").Raw(@"\fB" + group + @"\fR").Text(text);
        page.Macro("SS", "Options");
        foreach (var option in BuildCatalog.Options)
        {
            page.Macro("TP").Raw(@"\fB" + Roff.Escape(option.Name) + @"\fR" + ValueSynopsis(option));
            if (OptionDocs.Meaning(option) is { } meaning) page.Text(meaning);
            var aliases = BuildCatalog.OptionAliases(option).Select(a => @"\fB" + Roff.Escape(a) + @"\fR").ToList();
            if (aliases.Count > 0) page.Raw("Also: " + string.Join(", ", aliases) + ".");
            page.Text($"Groups: {BuildCatalog.GroupNames(option.Groups).Replace(",", ", ")}; type: {BuildCatalog.TypeName(option.Type)}.");
        }
    }

    /// <summary>
    /// =value where a value must be given, [=value] where the name alone means something (a socket
    /// option given bare is 1, as in socat), nothing for flags and constants (described in
    /// ADDRESS SPECIFICATIONS: bare, =0 or =1).
    /// </summary>
    private static string ValueSynopsis(OptionDef option)
    {
        if (option.Type is OptionType.Bool or OptionType.Const) return "";
        string value = @"=\fI" + GroupDocs.ValueWord(option.Type) + @"\fR";
        return BuildCatalog.TakesValue(option) ? value : "[" + value + "]";
    }

    /// <summary>README.md's Examples block: "command  # what it does" per line (no command there holds " # ").</summary>
    private static void Examples(Roff page)
    {
        page.Macro("SH", "EXAMPLES");
        var block = ExamplesBlock().Match(Resources.Read("README.md"));
        if (!block.Success) throw new InvalidOperationException("README.md has no ## Examples section with a sh code block");
        foreach (string line in block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int hash = line.LastIndexOf(" # ", StringComparison.Ordinal);
            string command = (hash < 0 ? line : line[..hash]).Trim();
            string comment = hash < 0 ? "" : line[(hash + 3)..].Trim();
            page.Macro("TP").Raw(@"\fB" + Roff.Escape(command) + @"\fR");
            // As README writes it (it starts with a command's name as often as not: "ssh through ...").
            if (comment.Length > 0) page.Text(comment);
        }
    }

    [GeneratedRegex(@"^## Examples\n+```sh\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ExamplesBlock();

    /// <summary>SOURCE_DATE_EPOCH when set (reproducible packages), otherwise today.</summary>
    private static string Date()
    {
        var when = long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out long epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch) : DateTimeOffset.UtcNow;
        return when.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Version() => typeof(AddressKind).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0";
}
