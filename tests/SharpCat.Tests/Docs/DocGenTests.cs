using SharpCat.Catalog;
using SharpCat.DocGen;
using SharpCat.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Docs;

/// <summary>
/// tools/DocGen: the man page passes mandoc's and groff's checks and names everything this build
/// has (checked against the catalog itself, not the generator's view of it); the bash completion
/// offers what an address accepts and nothing of another group.
/// </summary>
public class DocGenTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The catalog's own answer to "which address types does this build open".</summary>
    private static IEnumerable<AddressKind> ImplementedKinds => AddressCatalog.AllKinds.Where(k => EndpointRegistry.IsImplemented(k.Keyword));

    private static IEnumerable<OptionDef> ImplementedOptionDefs =>
        OptionCatalog.All.Where(o => OptionCatalog.IsImplemented(o) && !ImplementedOptions.Refused.ContainsKey(o.Name));

    private static string Generate(TempDir dir)
    {
        var files = Generator.Write(dir.Path);
        Assert.Contains(dir["sharpcat.1"], files);
        Assert.Contains(dir["sharpcat.bash-completion"], files);
        Assert.Contains(dir["_sharpcat"], files);
        Assert.Contains(dir["sharpcat.fish"], files);
        return dir["sharpcat.1"];
    }

    private static string Tool(string name) =>
        Binaries.FindOnPath(name) ?? throw new InvalidOperationException($"{name} is not installed (test.sh installs it: apt-get install {name})");

    [Fact]
    public async Task ManPagePassesMandocLint()
    {
        using var dir = new TempDir();
        string page = Generate(dir);
        var r = await Run.ProgramAsync(Tool("mandoc"), ["-T", "lint", "-W", "warning", page], stdin: [], ToolTimeout);
        Assert.True(r.ExitCode == 0 && r.Stdout.Length == 0 && r.Stderr.Length == 0, $"mandoc -T lint -W warning:\n{r.StdoutText}{r.StderrText}");
    }

    [Fact]
    public async Task ManPageRendersWithoutGroffWarnings()
    {
        using var dir = new TempDir();
        string page = Generate(dir);
        var r = await Run.ProgramAsync(Tool("groff"), ["-man", "-Tutf8", "-ww", "-z", page], stdin: [], ToolTimeout);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, $"groff -man -Tutf8 -ww: {r}");
        // And man itself renders it.
        var man = await Run.ProgramAsync(Tool("man"), ["-l", page], stdin: [], ToolTimeout);
        Assert.True(man.ExitCode == 0 && man.StdoutText.Contains("relay data between two addresses"), man.ToString());
        string source = File.ReadAllText(page);
        foreach (string section in new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "\"ADDRESS SPECIFICATIONS\"", "\"ADDRESS TYPES\"",
                     "\"ADDRESS OPTIONS\"", "ENVIRONMENT", "\"EXIT STATUS\"", "EXAMPLES", "\"DIFFERENCES FROM SOCAT\"", "\"SEE ALSO\"" })
            Assert.Contains("\n.SH " + section + "\n", source);
    }

    [Fact]
    public void ManPageNamesEveryImplementedAddressTypeAndOption()
    {
        using var dir = new TempDir();
        string source = File.ReadAllText(Generate(dir));
        var missingKinds = ImplementedKinds.Where(k => !source.Contains(".TP\n\\fB" + Roff.Escape(k.Keyword.ToUpperInvariant()) + "\\fR")).Select(k => k.Keyword).ToList();
        Assert.True(missingKinds.Count == 0, "address types missing from ADDRESS TYPES: " + string.Join(", ", missingKinds));
        var missingOptions = ImplementedOptionDefs.Where(o => !source.Contains(".TP\n\\fB" + Roff.Escape(o.Name) + "\\fR")).Select(o => o.Name).ToList();
        Assert.True(missingOptions.Count == 0, "options missing from ADDRESS OPTIONS: " + string.Join(", ", missingOptions));
        // A refused option is not described as one that works.
        foreach (string refused in ImplementedOptions.Refused.Keys) Assert.DoesNotContain(".TP\n\\fB" + Roff.Escape(refused) + "\\fR", source);
        // README's examples are there.
        Assert.Contains(Roff.Escape("sharpcat TCP-LISTEN:8080,reuseaddr,fork TCP:127.0.0.1:80"), source);
    }

    [Fact]
    public void EveryGlobalOptionOfTheHelpTextIsDocumented()
    {
        // The option lines of `sharpcat -h` (between "options:" and "bi-address:"), first token each:
        // -h|-? is two options, -d[ddd], -b<size_t> and --metrics=[<host>:]<port> are -d, -b and --metrics.
        string[] lines = SharpCat.Cli.HelpText.Build(1).Split('\n');
        var helpFlags = lines.SkipWhile(l => !l.Trim().StartsWith("options:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.Trim().StartsWith("bi-address:", StringComparison.Ordinal))
            .SelectMany(l => l.Trim().Split(' ')[0].Split('|'))
            .Select(f => f.Split('[', '<', '=')[0]).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("--propagate-reset", helpFlags);
        var documented = GlobalOptionDocs.All.SelectMany(o => o.Spellings).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(helpFlags.Except(documented));
        Assert.Empty(GlobalOptionDocs.All.Select(o => o.Spellings[0]).Except(helpFlags));
    }

    /// <summary>
    /// Runs the completion function in a fresh bash for the command line as typed (cursor at the
    /// end) and returns COMPREPLY. COMP_WORDBREAKS is bash's default unless given.
    /// </summary>
    private static async Task<string[]> CompleteAsync(string line, string? wordBreaks = null)
    {
        using var dir = new TempDir();
        Generate(dir);
        const string Script = """
            source "$1" || exit 3
            complete -p sharpcat >/dev/null || exit 5
            [ -n "$3" ] && COMP_WORDBREAKS=$3
            COMP_LINE=$2
            COMP_POINT=${#2}
            read -r -a COMP_WORDS <<<"$2"
            [[ $2 == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _sharpcat sharpcat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 4
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var r = await Run.ProgramAsync(Tool("bash"), ["--norc", "--noprofile", "-c", Script, "bash", dir["sharpcat.bash-completion"], line, wordBreaks ?? ""],
            stdin: [], ToolTimeout);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        return r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    // bash replaces the text after the last : or = (COMP_WORDBREAKS), so a reply starts there.
    [InlineData("sharpcat -d", "-dd")]
    [InlineData("sharpcat -d", "-dddd")]
    [InlineData("sharpcat --pro", "--propagate-reset")]
    [InlineData("sharpcat TCP-L", "TCP-LISTEN:")]
    [InlineData("sharpcat tcp-l", "tcp-listen:")]
    [InlineData("sharpcat -u OPEN:in.txt,rdonly!!CRE", "in.txt,rdonly!!CREATE:")]
    [InlineData("sharpcat TCP-LISTEN:8080,fo", "8080,fork")]
    [InlineData("sharpcat OPEN:/tmp/x,cre", "/tmp/x,creat")]
    [InlineData("sharpcat - TCP-LISTEN:1,reusea", "1,reuseaddr")]
    [InlineData("sharpcat -,cr", "-,crnl")]
    [InlineData("sharpcat /dev/ttyS0,b11", "/dev/ttyS0,b115200")]
    [InlineData("sharpcat TCP:host:80,conn", "80,connect-timeout=")]
    // An interactive shell needs !! escaped or quoted; inside a quote the whole text is one word.
    [InlineData(@"sharpcat -u OPEN:in.txt,rdonly\!\!CRE", @"in.txt,rdonly\!\!CREATE:")]
    [InlineData("sharpcat 'TCP-LISTEN:80,fo", "TCP-LISTEN:80,fork")]
    [InlineData("sharpcat - \"OPEN:in,rdonly!!cre", "OPEN:in,rdonly!!create:")]
    public async Task CompletionOffers(string line, string expected)
    {
        Assert.Contains(expected, await CompleteAsync(line));
    }

    [Fact]
    public async Task CompletionWithoutColonInWordBreaksGivesTheWholeWord()
    {
        Assert.Contains("TCP-LISTEN:8080,fork", await CompleteAsync("sharpcat TCP-LISTEN:8080,fo", wordBreaks: " \t\n"));
    }

    [Theory]
    [InlineData("sharpcat OPEN:/tmp/x,fo")]      // fork is CHILD's: not an OPEN option
    [InlineData("sharpcat PTY,fo")]              // nor a PTY option
    [InlineData("sharpcat - - OPEN")]            // two addresses are all there is
    [InlineData("sharpcat NOSUCHTYPE:x,cr")]
    [InlineData("sharpcat :x,cr")]
    public async Task CompletionOffersNothingThatDoesNotApply(string line)
    {
        Assert.Empty(await CompleteAsync(line));
    }

    [Theory]
    [InlineData("open")]
    [InlineData("tcp-listen")]
    [InlineData("exec")]
    [InlineData("udp-recvfrom")]
    public async Task CompletionOffersExactlyTheOptionsOfTheAddressType(string keyword)
    {
        var kind = AddressCatalog.Find(keyword)!;
        var accepted = AddressCatalog.AcceptedGroups(kind) | OptionGroups.Appl;
        var applies = ImplementedOptionDefs.Where(o => (o.Groups & accepted) != 0).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var expected = applies.Concat(OptionCatalog.Aliases.Concat(OptionCatalog.ExtraAliases).Where(a => applies.Contains(a.Name)).Select(a => a.Alias))
            .ToHashSet(StringComparer.Ordinal);
        string head = keyword.ToUpperInvariant() + ":" + string.Join(':', kind.Parameters.Select(_ => "x"));
        string[] replies = await CompleteAsync($"sharpcat {head},");
        // The reply starts after the last ':' of the word; the option is what follows the comma.
        var offered = replies.Select(r => r[(r.LastIndexOf(',') + 1)..].TrimEnd('=')).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(expected.Except(offered));
        Assert.Empty(offered.Except(expected));
        if (keyword == "open") Assert.DoesNotContain("fork", offered);
    }

    [Fact]
    public async Task CompletionOffersEveryImplementedKeywordForAnEmptyWord()
    {
        var offered = (await CompleteAsync("sharpcat ")).ToHashSet(StringComparer.Ordinal);
        var missing = ImplementedKinds.Select(k => k.Keyword.ToUpperInvariant() + (k.Parameters.Length > 0 ? ":" : ""))
            .Concat(ImplementedKinds.SelectMany(k => AddressCatalog.AliasesOf(k.Keyword).Select(a => a.ToUpperInvariant() + (k.Parameters.Length > 0 ? ":" : ""))))
            .Where(w => !offered.Contains(w)).ToList();
        Assert.True(missing.Count == 0, "not offered: " + string.Join(", ", missing));
        // Global options only before the first address: after one, "-" is only STDIO's alias.
        Assert.Equal(["-"], await CompleteAsync("sharpcat - -"));
    }

    [Fact]
    public async Task ZshCompletionIsValidZshListingEveryKeyword()
    {
        using var dir = new TempDir();
        Generate(dir);
        // Its behaviour needs an interactive zsh (zpty); here: it parses, and lists what it should.
        var r = await Run.ProgramAsync(Tool("zsh"), ["-n", dir["_sharpcat"]], stdin: [], ToolTimeout);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        string text = File.ReadAllText(dir["_sharpcat"]);
        Assert.StartsWith("#compdef sharpcat\n", text);
        foreach (var kind in ImplementedKinds)
            Assert.Contains("'" + kind.Keyword.ToUpperInvariant() + (kind.Parameters.Length > 0 ? ":'" : "'"), text);
        Assert.Contains("'--propagate-reset'", text);
    }

    [Theory]
    [InlineData("sharpcat TCP-L", "TCP-LISTEN:")]
    [InlineData("sharpcat -hh", "-hhh")]
    [InlineData("sharpcat --prop", "--propagate-reset")]
    public async Task FishCompletionOffers(string line, string expected)
    {
        using var dir = new TempDir();
        Generate(dir);
        var r = await Run.ProgramAsync(Tool("fish"), ["--no-config", "-c", $"source {dir["sharpcat.fish"]}; complete -C '{line}'"], stdin: [], ToolTimeout);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        Assert.Contains(expected, r.StdoutText.Split('\n').Select(l => l.Split('\t')[0]));
    }
}
