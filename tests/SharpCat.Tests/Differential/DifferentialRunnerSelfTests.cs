using System.Text;
using SharpCat.Tests.Support;
using Xunit.Sdk;

namespace SharpCat.Tests.Differential;

/// <summary>The comparison itself notices each kind of difference (so a passing differential test means something).</summary>
public class DifferentialRunnerSelfTests
{
    private static readonly DirEntry File644 = new("f", "file", (UnixFileMode)0b110_100_100, "abc"u8.ToArray());

    private static DifferentialResult Result(RunResult socat, RunResult sharp, DirEntry[]? socatFiles = null, DirEntry[]? sharpFiles = null) =>
        new(["-", "OPEN:{dir}/f"], socat, sharp, socatFiles ?? [File644], sharpFiles ?? [File644]);

    private static RunResult Ok(string stdout = "", string stderr = "") => new(0, Encoding.Latin1.GetBytes(stdout), Encoding.Latin1.GetBytes(stderr));

    [Fact]
    public void IdenticalRunsPass() => DifferentialRunner.AssertSame(Result(Ok("x"), Ok("x")), StderrCheck.SilentParity);

    [Fact]
    public void StdoutDifferenceFailsWithTheOffset()
    {
        var e = Assert.Throws<FailException>(() => DifferentialRunner.AssertSame(Result(Ok("abcd"), Ok("abXd")), StderrCheck.Ignore));
        Assert.Contains("first difference at offset 2", e.Message);
    }

    [Fact]
    public void ExitStatusDifferenceFails()
    {
        var e = Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(), new RunResult(1, [], [])), StderrCheck.Ignore));
        Assert.Contains("exit status: socat 0, sharpcat 1", e.Message);
    }

    [Fact]
    public void ModeContentAndMissingFilesFail()
    {
        var mode600 = File644 with { Mode = (UnixFileMode)0b110_000_000 };
        var other = File644 with { Content = "abd"u8.ToArray() };
        Assert.Contains("mode socat 644, sharpcat 600", Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(), Ok(), sharpFiles: [mode600]), StderrCheck.Ignore)).Message);
        Assert.Contains("f: content", Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(), Ok(), sharpFiles: [other]), StderrCheck.Ignore)).Message);
        Assert.Contains("only socat left", Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(), Ok(), sharpFiles: []), StderrCheck.Ignore)).Message);
    }

    [Fact]
    public void StderrFromSharpCatAloneFails() =>
        Assert.Throws<FailException>(() => DifferentialRunner.AssertSame(Result(Ok(), Ok(stderr: "E oops\n")), StderrCheck.SilentParity));

    [Fact]
    public void DumpTimestampsAreNormalisedButNothingElse()
    {
        string a = "> 2026/11/26 07:04:03.000312013  length=5 from=0 to=4\nab\ncd< 2026/11/26 07:04:04.000000001  length=1 from=0 to=0\n\xff";
        string b = "> 2027/01/01 00:00:00.000999999  length=5 from=0 to=4\nab\ncd< 2026/11/26 07:04:09.000000002  length=1 from=0 to=0\n\xff";
        DifferentialRunner.AssertSame(Result(Ok(stderr: a), Ok(stderr: b)), StderrCheck.Dump);
        Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(stderr: a), Ok(stderr: b.Replace("from=0 to=4", "from=0 to=5"))), StderrCheck.Dump));
        // A six-digit fraction is not socat's form and is left as it is, so it shows up as a difference.
        Assert.Throws<FailException>(() =>
            DifferentialRunner.AssertSame(Result(Ok(stderr: a), Ok(stderr: b.Replace(".000999999", ".999999"))), StderrCheck.Dump));
    }

    [Fact]
    public void SnapshotSeesKindsAndModes()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "x");
        File.SetUnixFileMode(dir["f"], (UnixFileMode)0b111_101_001);
        FileStat.MkFifo(dir["p"], 0b110_100_000);
        Directory.CreateDirectory(dir["d"]);
        File.WriteAllText(dir["d/g"], "y");
        var s = DifferentialRunner.Snapshot(dir.Path);
        Assert.Equal(["d", "d/g", "f", "p"], s.Select(e => e.Name));
        Assert.Equal(["dir", "file", "file", "fifo"], s.Select(e => e.Kind));
        Assert.Equal((UnixFileMode)0b111_101_001, s[2].Mode);
        Assert.Equal((UnixFileMode)0b110_100_000, s[3].Mode);
        Assert.Null(s[3].Content);
    }
}
