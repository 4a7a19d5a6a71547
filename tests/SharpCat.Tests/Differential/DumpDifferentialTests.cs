using static SharpCat.Tests.Differential.DiffCase;

namespace SharpCat.Tests.Differential;

/// <summary>
/// -v, -x and -v -x traffic dumps on stderr must be byte-identical to socat's once the header
/// timestamps are normalised. Input comes from regular files with -u (one read per chunk) so the
/// chunking is deterministic.
/// </summary>
public class DumpDifferentialTests
{
    /// <summary>Binary content with every byte class the dumps treat specially, several lines, no final newline.</summary>
    private const string Binary =
        "\0\x01" + "abc\n\xff\x7f\t\r\r\nz\\q\x1b\x80\a\b\v\f\xa0\xe9 line two\nthird line with a trailing cr\rend";

    private static DiffCase Dump(string flags, string content, params string[] more) => new(
        [.. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries), .. more, "-u", "OPEN:{dir}/in", "OPEN:{dir}/out,creat"], [],
        Prepare: Files(("in", content)), Stderr: StderrCheck.Dump,
        Premise: r => Assert.NotEmpty(r.Socat.Stderr));

    private static readonly Dictionary<string, DiffCase> Cases = new()
    {
        ["-v binary"] = Dump("-v", Binary),
        ["-x binary"] = Dump("-x", Binary),
        ["-v -x binary"] = Dump("-v -x", Binary),
        ["-x -v binary"] = Dump("-x -v", Binary),
        ["-v text ending in a newline"] = Dump("-v", "one\ntwo\n"),
        ["-v backslashes and control characters"] = Dump("-v", "a\\b\\\\c\a\b\v\f\r\n"),
        ["-x -v exactly 16 bytes with a newline in the middle"] = Dump("-x -v", "abcdefg\nijklmnop"),
        ["-x -v exactly 17 bytes with a newline in the middle"] = Dump("-x -v", "abcdefg\nijklmnopq"),
        ["-x -v exactly 16 bytes, no newline"] = Dump("-x -v", "abcdefghijklmnop"),
        ["-x -v 16 bytes ending in a newline"] = Dump("-x -v", "abcdefghijklmno\n"),
        ["-x -v 26 bytes, newlines and cr"] = Dump("-x -v", "abcdefghijklmnopqrstu\nvw\r\n"),
        ["-x -v 40 bytes over three lines"] = Dump("-x -v", "0123456789abcdef0123456789ABCDEF01234567"),
        ["-x -v tab, backslash and del"] = Dump("-x -v", "a\tb\\c\r \x7f~\n"),
        ["-x 40 zero bytes on one line"] = Dump("-x", new string('\0', 40)),
        ["-x 31 digits on one line"] = Dump("-x", "1234567891011121314151617181920"),
        ["-v 5000 bytes"] = Dump("-v", B2S(Random(5000))),
        ["-x -v 5000 bytes"] = Dump("-x -v", B2S(Random(5000))),

        ["-b 2 -v: one chunk per read, cumulative offsets"] = Dump("-v -b 2", "hello\nworld"),
        ["-b 5 -x -v"] = Dump("-x -v -b 5", "abc\ndefghij\nkl"),
        ["-b 3 -x"] = Dump("-x -b 3", "abcdefgh"),

        ["-v with crnl on the read side"] = new(["-v", "-u", "OPEN:{dir}/in,crnl", "OPEN:{dir}/out,creat"], [],
            Prepare: Files(("in", "a\r\nb\rc\n")), Stderr: StderrCheck.Dump),
        ["-v with crnl on the write side"] = new(["-v", "-u", "OPEN:{dir}/in", "OPEN:{dir}/out,creat,crnl"], [],
            Prepare: Files(("in", "a\nb\n")), Stderr: StderrCheck.Dump),
        ["-v with escape: the escape byte is not counted"] = new(["-v", "-u", "OPEN:{dir}/in,escape=0x1d", "OPEN:{dir}/out,creat"], [],
            Prepare: Files(("in", "ab\x1d" + "cd")), Stderr: StderrCheck.Dump),
        ["-v with readbytes=3"] = new(["-v", "-u", "OPEN:{dir}/in,readbytes=3", "OPEN:{dir}/out,creat"], [],
            Prepare: Files(("in", "abcdef")), Stderr: StderrCheck.Dump),
        ["-U -v dumps right to left with <"] = new(["-U", "-v", "OPEN:{dir}/out,creat", "OPEN:{dir}/in"], [],
            Prepare: Files(("in", "leftwards\n")), Stderr: StderrCheck.Dump,
            Premise: r => Assert.StartsWith("< ", r.Socat.StderrText)),
        ["-v from stdin, one write"] = new(["-v", "-u", "-", "OPEN:{dir}/f,creat"], B("ab\ncd"), Stderr: StderrCheck.Dump),
        ["-v empty input dumps nothing"] = new(["-v", "-u", "OPEN:{dir}/in", "OPEN:{dir}/out,creat"], [],
            Prepare: Files(("in", "")), Stderr: StderrCheck.Dump, Premise: r => Assert.Empty(r.Socat.Stderr)),
        ["-v bidirectional, only the file side has data"] = new(["-v", "-", "OPEN:{dir}/a!!OPEN:{dir}/b,creat"], [],
            Prepare: Files(("a", "from a\n")), Stderr: StderrCheck.Dump),
        ["-v with -r"] = new(["-v", "-r", "{dir}/r", "-u", "OPEN:{dir}/in", "OPEN:{dir}/out,creat"], [],
            Prepare: Files(("in", "dumped twice\n")), Stderr: StderrCheck.Dump),
    };

    private static string B2S(byte[] b) => System.Text.Encoding.Latin1.GetString(b);

    public static TheoryData<string> Names => new(Cases.Keys);

    [SocatTheory]
    [MemberData(nameof(Names))]
    public Task SameDumpAsSocat(string name) => Cases[name].RunAsync();

    /// <summary>
    /// The part the comparison above normalises away: local time, and socat's quirk of printing the
    /// microseconds zero-padded to nine digits (so the fraction always starts with 000).
    /// </summary>
    [SocatFact]
    public async Task HeaderTimestampHasTheSameFormAndClock()
    {
        var r = await Dump("-v", "abc\n").RunAsync();
        var header = new System.Text.RegularExpressions.Regex(
            @"^> (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\.000(\d{6})  length=4 from=0 to=3\n");
        DateTime When(SharpCat.Tests.Support.RunResult run, string who)
        {
            var m = header.Match(run.StderrText);
            Assert.True(m.Success, $"{who}'s dump header does not have the form \"> YYYY/MM/DD hh:mm:ss.000uuuuuu  length=\": {run.StderrText}");
            return DateTime.ParseExact(m.Groups[1].Value, "yyyy/MM/dd HH:mm:ss", null).AddTicks(long.Parse(m.Groups[2].Value) * 10);
        }
        TimeSpan apart = When(r.Socat, "socat") - When(r.Sharp, "sharpcat");
        Assert.True(apart.Duration() < TimeSpan.FromSeconds(10), $"the two dumps' times are {apart} apart (local time vs UTC?)");
    }
}
