using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>
/// --progress: a pv-like line on stderr when it is a terminal. The program runs under script(1),
/// so that its stderr is a pty whose output the test reads; the updates are paced by the test
/// feeding a FIFO, never by time.
/// </summary>
public class ProgressTests
{
    private static LiveProcess UnderTerminal(params string[] args) =>
        LiveProcess.Start("script", "-qec", string.Join(' ', new[] { Binaries.SharpCat }.Concat(args).Select(a => $"'{a}'")), "/dev/null");

    private static string Text(LiveProcess p) => Encoding.UTF8.GetString(p.Stdout);

    /// <summary>The lines written so far, each update being a carriage return and the line again.</summary>
    private static string[] Updates(LiveProcess p) => Text(p).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task TheLineIsRewrittenWhileDataMovesAndEndsWithTheTotals()
    {
        using var dir = new TempDir();
        Assert.Equal(0, (await Run.ProgramAsync("mkfifo", [dir["in"]], [], Run.DefaultTimeout)).ExitCode);
        using var sharpcat = UnderTerminal("-u", "--progress", $"OPEN:{dir["in"]}", $"OPEN:{dir["out"]},creat");
        await using (var fifo = new FileStream(dir["in"], FileMode.Open, FileAccess.Write))
        {
            await fifo.WriteAsync(new byte[100_000]);
            await fifo.FlushAsync();
            // An update while the relay still runs: the FIFO is open, so it cannot have ended.
            await sharpcat.WaitForStdoutAsync(b => Encoding.UTF8.GetString(b).Contains("> 97.7 KiB ["));
            Assert.False(sharpcat.HasExited);
            await fifo.WriteAsync(new byte[100_000]);
        }
        await sharpcat.WaitForExitAsync();
        string final = Updates(sharpcat)[^1];
        Assert.Matches(@"^\d+:\d\d:\d\d  > 195\.3 KiB \[[\d.]+ (B|KiB|MiB)/s\]\x1b\[K$", final);
        Assert.Equal(200_000, new FileInfo(dir["out"]).Length);
        Assert.EndsWith("\x1b[K\r\n", Text(sharpcat)); // the terminal's newline after the last line
    }

    [Fact]
    public async Task AFileOfKnownSizeShowsTheShareDone()
    {
        using var dir = new TempDir();
        await File.WriteAllBytesAsync(dir["in"], new byte[2_000_000]);
        using var sharpcat = UnderTerminal("-u", "--progress", $"OPEN:{dir["in"]}", $"OPEN:{dir["out"]},creat");
        await sharpcat.WaitForExitAsync();
        Assert.Matches(@"  > 1\.9 MiB \[[\d.]+ (B|KiB|MiB|GiB)/s\] 100%\x1b\[K$", Updates(sharpcat)[^1]);
    }

    [Fact]
    public async Task BothDirectionsAreShownWhenBothAreRelayed()
    {
        using var dir = new TempDir();
        using var echo = new EchoServer();
        await File.WriteAllBytesAsync(dir["in"], new byte[5000]);
        using var sharpcat = UnderTerminal("--progress", $"OPEN:{dir["in"]}", $"TCP:127.0.0.1:{echo.Port}");
        await sharpcat.WaitForExitAsync();
        Assert.Matches(@"  > 4\.9 KiB \[.*\] 100%  < [\d.]+ (B|KiB) \[", Updates(sharpcat)[^1]);
    }

    [Fact]
    public async Task NothingIsWrittenWhenStderrIsNoTerminal()
    {
        using var dir = new TempDir();
        await File.WriteAllBytesAsync(dir["in"], new byte[100_000]);
        var r = await Run.SharpCatAsync("-u", "--progress", $"OPEN:{dir["in"]}", $"OPEN:{dir["out"]},creat");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Stderr);
        Assert.Equal(100_000, new FileInfo(dir["out"]).Length);
    }
}
