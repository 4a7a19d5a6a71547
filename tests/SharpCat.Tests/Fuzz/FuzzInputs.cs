using System.Text;
using CsCheck;
using SharpCat.Catalog;
using SharpCat.Tests.Cli;
using SharpCat.Tests.Grammar;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Fuzz;

/// <summary>
/// Generators of inputs for the parsing path: addresses built from the catalogs' own keywords and
/// option names with hostile values, pure random strings, mutations of a seed corpus of valid
/// command lines (the README's examples and the grammar tests' rows), and whole command lines
/// with socat's global options in front.
/// </summary>
internal static class FuzzInputs
{
    // ---- vocabulary -------------------------------------------------------------------------

    private static readonly string[] Keywords =
        AddressCatalog.AllKinds.Select(k => k.Keyword)
            .Concat(AddressCatalog.Aliases.Select(a => a.Alias))
            .Concat(["shell", "socks5", "socks5-bind", "-", "0", "1", "2", "9", "10", "/dev/null", "/tmp/x", "./f", "/"])
            .Distinct().ToArray();

    private static readonly string[] OptionNames =
        OptionCatalog.Options.Select(o => o.Name)
            .Concat(OptionCatalog.ExtraOptions.Select(o => o.Name))
            .Concat(OptionCatalog.Aliases.Select(a => a.Alias))
            .Concat(OptionCatalog.ExtraAliases.Select(a => a.Alias))
            .Distinct().ToArray();

    private const string Separators = ":,!=\"'\\[]{}()";

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "+1", "00", "07", "08", "010", "0777", "07777", "017777", "0x", "0x0", "0X50", "0xffff", "0x10000",
        "-0", "255", "256", "65535", "65536", "-65536", "127", "128", "-129", "2147483647", "2147483648", "-2147483648",
        "-2147483649", "4294967295", "4294967296", "4294967294", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        "99999999999999999999999999999999", "0x7fffffffffffffff", "0x8000000000000000", "0xffffffffffffffff",
        "0x1ffffffffffffffff", "01777777777777777777777", "02000000000000000000000", " 1", "1 ", " 0x1 ", "1x", "x1",
        "1.5", ".5", "5.", "0.000001", "1e9", "1000000000", "1000000001", "1e400", "NaN", "Infinity", "-0.5", "1,5",
        "١٢", "１", "0b101", "1_000", "--1", "+-1", "- 1",
    ];

    private static readonly string[] Words =
    [
        "", " ", "root", "nobody", "daemon", "nosuchuser", "www", "http", "ssh", "nosuchservice", "domain", "tcp", "udp",
        "localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "10.0.0.0/8",
        "10.0.0.0/33", "[::1]/128", "::1/129", "fe80::1%lo", "224.0.0.1:eth0", "224.0.0.1:127.0.0.1", "ip4", "ip6", "unix",
        "x0a0b", "x0", "xzz", "x", "0a0b", "1:2", "1:2:3", "1:x", "1:2:x0a", "1:2:", "::", ":::", "TLS1", "TLS1.2", "TLS1.3",
        "DTLS1", "SSLv3", "auto", "none", "DEFAULT", "ALL:!aNULL", "/tmp/f", "/nonexistent/dir/f", "/dev/null", "a b",
        "lo", "eth0", "tun0", "bad..name", "-host", "host-", "a" + new string('b', 300), "%h:%p", "user:pass", "eth0:1",
        "raw", "sane", "echo=0", "b115200", "\0", "a\0b", "\u00e9", "\u4e2d\u6587", "\U0001F600", "\ud800", "\udc00x",
        "\u200b", "\u202e", "\ufeff", "\t", "\n", "\r\n", "\u007f", "\u0085", "~", "$HOME", "`id`", "%s%n",
    ];

    // ---- building blocks --------------------------------------------------------------------

    private static readonly Gen<string> Keyword = Gen.Frequency(
        (8, Gen.OneOf(Keywords)),
        (1, Gen.OneOf(Keywords).SelectMany(RandomCase)),
        (1, Gen.String[0, 12]));

    private static readonly Gen<string> OptionName = Gen.Frequency(
        (8, Gen.OneOf(OptionNames)),
        (1, Gen.OneOf(OptionNames).SelectMany(RandomCase)),
        (1, Gen.String[0, 12]));

    /// <summary>Characters that matter to the grammar, plus odd ones.</summary>
    private static readonly Gen<char> NastyChar = Gen.Frequency(
        (4, Gen.Char[Separators]),
        (2, Gen.Char['\0', '\u007f']),
        (1, Gen.Char["\0\t\n\r \u0085\u00a0\u2028\ufeff\ufffd\ud800\udbff\udc00\udfff"]),
        (1, Gen.Char));

    private static readonly Gen<string> NastyString = Gen.Frequency(
        (3, NastyChar.Array[0, 16].Select(a => new string(a))),
        (2, Gen.String[0, 24]),
        (1, Gen.String[Gen.Char, 0, 24]),
        (1, Gen.Byte.Array[0, 24].Select(b => Encoding.Latin1.GetString(b))),
        (1, Gen.Byte.Array[0, 24].Select(b => Encoding.UTF8.GetString(b))));

    /// <summary>
    /// The longest single argument Linux passes to a program (MAX_ARG_STRLEN, 32 pages): inputs stay
    /// below it, so that a slow input is a slow parser and not a string no command line can hold.
    /// </summary>
    public const int MaxArgument = 131072;

    /// <summary>Long tokens: parsers that are quadratic or recurse show up here.</summary>
    private static readonly Gen<string> LongToken = Gen.Frequency(
        (2, Gen.Int[100, 5000].SelectMany(n => Gen.Char[Separators + "ab0"].Select(c => new string(c, n)))),
        (2, Gen.Int[100, 5000].SelectMany(n => Gen.OneOf("[", "{", "(", "\\\\", "\"\"", "''", "!!", "[]", "([{", "1", "0", "x0a").Select(s => Repeat(s, n / s.Length)))),
        (1, Gen.String[Gen.Char, 200, 20000]),
        (1, Gen.Int[100, 3000].Select(n => "1" + new string('0', n))));

    /// <summary>Arguments as long as the kernel allows, of one repeated piece.</summary>
    private static readonly Gen<string> HugeToken =
        Gen.Int[10000, MaxArgument - 10].SelectMany(n => Gen.OneOf("[", "(", "{", "\\", "\"", "'", "!!", ",cr", ":1", ",,", "[]", "=", "a", "-,cr").Select(s => Repeat(s, n / s.Length)));

    private static readonly Gen<string> Value = Gen.Frequency(
        (6, Gen.OneOf(Numbers)),
        (5, Gen.OneOf(Words)),
        (2, Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.ULong.Select(n => "0x" + n.ToString("x"))),
        (1, Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.OneOf(Numbers).Array[2, 4].Select(a => string.Join(':', a))),
        (2, NastyString),
        (1, LongToken));

    /// <summary>A value of the kind a parameter or option expects, more often than not well-formed.</summary>
    private static Gen<string> TypedValue(string parameter) => parameter switch
    {
        _ when parameter.Contains("port") || parameter is "cid" =>
            Gen.Frequency((4, Gen.Int[0, 70000].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))), (2, Gen.OneOf(Numbers)), (2, Gen.OneOf("www", "http", "ssh", "domain", "nosuch", "", "0x50", "080")), (1, Value)),
        "protocol" or "num" or "domain" => Gen.Frequency((4, Gen.Int[-5, 300].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))), (2, Gen.OneOf(Numbers)), (1, Value)),
        "filename" => Gen.Frequency((4, Gen.OneOf("/tmp/x", "x", "/dev/null", "", "/tmp/" + new string('p', 101), "/tmp/" + new string('p', 102), "/tmp/" + new string('p', 103), "/tmp/\u00e9" + new string('p', 100), "\0", "/tmp/a\0b")), (1, Value)),
        _ => Value,
    };

    private static readonly OptionDef[] AllOptions = [.. OptionCatalog.Options, .. OptionCatalog.ExtraOptions];

    /// <summary>
    /// An address of a real kind with the right number of parameters and options of the groups it
    /// accepts: these get past the grammar and the catalog into the value parsers and validators.
    /// </summary>
    public static readonly Gen<string> WellFormed =
        Gen.OneOf(AddressCatalog.AllKinds.ToArray()).SelectMany(kind =>
        {
            var shape = kind.Parameters.Concat(kind.OptionalParameters).ToArray();
            var accepted = AllOptions.Where(o => (o.Groups & (AddressCatalog.AcceptedGroups(kind) | OptionGroups.Appl)) != 0).Select(o => o.Name).ToArray();
            var parameters = Gen.Int[kind.Parameters.Length, shape.Length].SelectMany(n =>
                Sequence(shape.Take(n).Select(TypedValue)));
            var option = Gen.Frequency(
                (1, Gen.OneOf(accepted)),
                (3, Gen.Select(Gen.OneOf(accepted), Dressed(Value), (n, v) => n + "=" + v)));
            return Gen.Select(parameters, option.Array[0, 4], (ps, os) =>
                string.Join(':', ps.Prepend(kind.Keyword)) + string.Concat(os.Select(o => "," + o)));
        });

    /// <summary>A token, sometimes quoted, escaped or bracketed (balanced or not).</summary>
    private static Gen<string> Dressed(Gen<string> token) => Gen.Frequency(
        (40, token),
        (1, token.Select(t => "\"" + t + "\"")),
        (1, token.Select(t => "'" + t + "'")),
        (1, token.Select(t => "\\" + t)),
        (1, token.SelectMany(t => Gen.OneOf("[]", "{}", "()", "[", "]", "{", "(", ")", "\"", "'").Select(b => b.Length == 2 ? b[0] + t + b[1] : b + t))));

    private static readonly Gen<string> Parameter = Dressed(Gen.Frequency((3, Value), (1, Gen.OneOf(Keywords))));

    private static readonly Gen<string> Option = Gen.Frequency(
        (3, OptionName),
        (6, Gen.Select(OptionName, Dressed(Value), (n, v) => n + "=" + v)),
        (1, Gen.Select(OptionName, Dressed(Value), Dressed(Value), (n, v, w) => n + "=" + v + "=" + w)),
        (1, Gen.Const("")),
        (1, NastyString));

    // ---- addresses --------------------------------------------------------------------------

    /// <summary>keyword[:param…][,option[=value]…], built from the catalogs.</summary>
    public static readonly Gen<string> StructuredSingle =
        Gen.Select(Dressed(Keyword), Parameter.Array[0, 5], Option.Array[0, 6], Gen.Int[0, 20], NastyChar,
            (k, ps, os, glitch, c) =>
            {
                var sb = new StringBuilder(k);
                foreach (var p in ps) sb.Append(':').Append(p);
                foreach (var o in os) sb.Append(',').Append(o);
                // Now and then one stray grammar character somewhere.
                if (glitch == 0 && sb.Length > 0) sb.Insert(Math.Min(sb.Length, k.Length + ps.Length), c);
                return sb.ToString();
            });

    public static readonly Gen<string> Structured = Gen.Frequency(
        (3, StructuredSingle),
        (4, WellFormed),
        (1, Gen.Select(WellFormed, WellFormed, (a, b) => a + "!!" + b)),
        (1, Gen.Select(StructuredSingle, StructuredSingle, (a, b) => a + "!!" + b)),
        (1, Gen.Select(StructuredSingle, Gen.OneOf("!!", "!", "!!!", "!!!!"), StructuredSingle, StructuredSingle,
            (a, s, b, c) => a + s + b + s + c)));

    public static readonly Gen<string> PureRandom = Gen.Frequency(
        (3, Gen.String),
        (3, NastyChar.Array[0, 64].Select(a => new string(a))),
        (2, Gen.Char[Separators + "aA0-/"].Array[0, 40].Select(a => new string(a))),
        (1, Gen.Byte.Array[0, 64].Select(b => Encoding.UTF8.GetString(b))),
        (1, LongToken),
        (1, HugeToken));

    /// <summary>Every address the README's examples and the grammar and bad-input tests use.</summary>
    public static readonly string[] Corpus = BuildCorpus();

    public static readonly Gen<string> Mutated =
        Gen.Select(Gen.OneOf(Corpus), Gen.OneOf(Corpus), Gen.Int[1, 8], Gen.ULong,
            (a, b, n, seed) => Mutate(a, b, n, seed));

    /// <summary>One address text: a third each structured, random and mutated.</summary>
    public static readonly Gen<string> Address = Gen.Frequency((4, Structured), (3, Mutated), (3, PureRandom));

    // ---- command lines ----------------------------------------------------------------------

    private static readonly string[] GlobalFlags =
    [
        "-V", "-h", "-hh", "-hhh", "-hhhh", "-?", "-??", "-d", "-dd", "-ddd", "-dddd", "-D", "-ly", "-lylocal3", "-lydaemon",
        "-lyno", "-lm", "-lmlocal0", "-lmuser", "-lf", "-lf/tmp/log", "-ls", "-lsx", "-lp", "-lpname", "-lu", "-lh", "-luh",
        "-l", "-lx", "-v", "-x", "-vx", "-r", "-r/tmp/r", "-R", "-R/tmp/R", "-b", "-b65536", "-b0", "-b-1", "-b1073741825",
        "-s", "-t", "-t0.5", "-t1e9", "-t-1", "-T", "-T1", "-u", "-U", "-uU", "-g", "-L", "-L/tmp/lock", "-W", "-W/tmp/lock",
        "-4", "-6", "-46", "-", "--", "---", "-,", "-:", "-!", "-!!", "-Z", "-\0", "-\ud800", "-é",
    ];

    private static readonly Gen<string> GlobalArg = Gen.Frequency(
        (6, Gen.OneOf(GlobalFlags)),
        (2, Gen.Select(Gen.OneOf("-b", "-t", "-T", "-lf", "-lp", "-ly", "-lm", "-r", "-R", "-L", "-W", "-d", "-h"), Value, (f, v) => f + v)),
        (2, Value),
        (1, NastyString.Select(s => "-" + s)));

    /// <summary>argv as the shell hands it over: global options (and their values), then addresses.</summary>
    public static readonly Gen<string[]> CommandLine = Gen.Frequency(
        (6, Gen.Select(GlobalArg.Array[0, 6], Address.Array[0, 3], (g, a) => g.Concat(a).ToArray())),
        (2, Gen.OneOf(Corpus).Array[0, 3].SelectMany(a => Gen.Select(GlobalArg.Array[0, 3], Gen.Const(a), (g, x) => g.Concat(x).ToArray()))),
        (1, Gen.Select(Address, Address, (a, b) => new[] { a, b })),
        (1, PureRandom.Array[0, 5]));

    // ---- helpers ----------------------------------------------------------------------------

    private static Gen<string> RandomCase(string s) =>
        Gen.Bool.Array[s.Length].Select(flags => string.Create(s.Length, (s, flags), static (span, st) =>
        {
            for (int i = 0; i < span.Length; i++)
                span[i] = st.flags[i] ? char.ToUpperInvariant(st.s[i]) : st.s[i];
        }));

    /// <summary>One value from each generator, in order.</summary>
    private static Gen<string[]> Sequence(IEnumerable<Gen<string>> gens) =>
        gens.Aggregate(Gen.Const(Array.Empty<string>()), (acc, g) => acc.SelectMany(a => g.Select(v => (string[])[.. a, v])));

    private static string Repeat(string s, int times) => new StringBuilder(s.Length * Math.Max(times, 1)).Insert(0, s, Math.Max(times, 1)).ToString();

    private static readonly string[] Splices = [.. Separators.Select(c => c.ToString()), "!!", "=", ",,", "::", "\\\\", "\0", "\ud800", "\U0001F600", "é"];

    /// <summary>
    /// libFuzzer-style edits of a valid address: insert, delete, duplicate, replace, swap and
    /// splice in pieces of another corpus entry or of the catalogs. Deterministic in its seed.
    /// </summary>
    internal static string Mutate(string text, string other, int edits, ulong seed)
    {
        var rnd = new Random((int)(seed ^ (seed >> 32)));
        var sb = new StringBuilder(text);
        for (int e = 0; e < edits; e++)
        {
            int pos = rnd.Next(sb.Length + 1);
            switch (rnd.Next(10))
            {
                case 0: sb.Insert(pos, Splices[rnd.Next(Splices.Length)]); break;
                case 1: sb.Insert(pos, (char)rnd.Next(0x10000)); break;
                case 2:
                    if (sb.Length > 0) { int from = rnd.Next(sb.Length); sb.Remove(from, rnd.Next(1, Math.Min(8, sb.Length - from) + 1)); }
                    break;
                case 3:
                    if (sb.Length > 0) sb[Math.Min(pos, sb.Length - 1)] = Separators[rnd.Next(Separators.Length)];
                    break;
                case 4:
                    if (sb.Length > 0)
                    {
                        int from = rnd.Next(sb.Length), len = rnd.Next(1, sb.Length - from + 1);
                        string piece = sb.ToString(from, len);
                        sb.Insert(rnd.Next(sb.Length + 1), rnd.Next(4) == 0 ? Repeat(piece, rnd.Next(2, 200)) : piece);
                    }
                    break;
                case 5:
                    if (other.Length > 0) { int from = rnd.Next(other.Length); sb.Insert(pos, other.Substring(from, rnd.Next(1, other.Length - from + 1))); }
                    break;
                case 6: sb.Insert(pos, "," + OptionNames[rnd.Next(OptionNames.Length)] + (rnd.Next(2) == 0 ? "" : "=" + Numbers[rnd.Next(Numbers.Length)])); break;
                case 7: sb.Insert(pos, ":" + Words[rnd.Next(Words.Length)]); break;
                case 8: sb.Insert(pos, Numbers[rnd.Next(Numbers.Length)]); break;
                default:
                    if (sb.Length > 1) { int cut = rnd.Next(sb.Length); sb.Length = cut; }
                    break;
            }
            if (sb.Length > MaxArgument) sb.Length = MaxArgument;
        }
        return sb.ToString();
    }

    private static string[] BuildCorpus()
    {
        var all = new List<string>();
        foreach (object?[] row in AddressParserTests.ManPageExamples) all.Add((string)row[1]!);
        foreach (object?[] row in AddressParserTests.GrammarCases) all.Add((string)row[1]!);
        foreach (object?[] row in AddressParserTests.Errors) all.Add((string)row[0]!);
        foreach (object?[] row in BadInputTests.Cases) all.AddRange(((string[])row[0]!).Select(a => a.Replace("{dir}", "/tmp/d")));
        all.AddRange(ReadmeExamples());
        return all.Where(a => !a.StartsWith('-') || a == "-" || a.StartsWith("-,") || a.StartsWith("-!")).Distinct().ToArray();
    }

    /// <summary>The arguments of every <c>sharpcat …</c> line of the README's shell examples.</summary>
    internal static IEnumerable<string> ReadmeExamples()
    {
        string readme = Path.Combine(Binaries.RepositoryRoot(), "README.md");
        foreach (string raw in File.ReadLines(readme))
        {
            string line = raw.Trim();
            int at = line.IndexOf("sharpcat ", StringComparison.Ordinal);
            if (at < 0 || !(line.StartsWith("sharpcat ") || line.Contains("='sharpcat ") || line.Contains("| sharpcat "))) continue;
            string cmd = line[(at + "sharpcat ".Length)..];
            int comment = cmd.IndexOf("  #", StringComparison.Ordinal);
            if (comment >= 0) cmd = cmd[..comment];
            foreach (string word in ShellWords(cmd.TrimEnd('\'', ' ')))
                if (!word.StartsWith('-') || word == "-" || word.StartsWith("-,")) yield return word;
        }
    }

    /// <summary>Splits a command as sh does for the simple quoting the README uses.</summary>
    private static IEnumerable<string> ShellWords(string cmd)
    {
        var sb = new StringBuilder();
        bool any = false;
        for (int i = 0; i < cmd.Length; i++)
        {
            char c = cmd[i];
            if (c == '\'') { int end = cmd.IndexOf('\'', i + 1); if (end < 0) end = cmd.Length; sb.Append(cmd, i + 1, end - i - 1); i = end; any = true; }
            else if (c == ' ') { if (any) yield return sb.ToString(); sb.Clear(); any = false; }
            else { sb.Append(c); any = true; }
        }
        if (any) yield return sb.ToString();
    }
}
