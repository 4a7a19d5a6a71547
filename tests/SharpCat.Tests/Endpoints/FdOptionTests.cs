using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>FD-group options and the fd-based addresses, through the published binary.</summary>
public class FdOptionTests
{
    private static string S => Binaries.SharpCat;

    [Fact]
    public async Task CoolWriteTurnsBrokenPipeIntoANormalEnd()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["big"], new byte[4 << 20]);
        // head exits after one byte; our next write to the pipe fails with EPIPE.
        var strict = await Run.ShellAsync($"{S} -u OPEN:{dir["big"]} - 2>{dir["err"]} | head -c 1 >/dev/null; cat {dir["err"]}");
        Assert.Contains("Broken pipe", strict.StdoutText);
        var cool = await Run.ShellAsync($"({S} -u OPEN:{dir["big"]} -,cool-write 2>{dir["err2"]}; echo status=$? >{dir["st"]}) | head -c 1 >/dev/null; cat {dir["st"]} {dir["err2"]}");
        Assert.Equal("status=0\n", cool.StdoutText);
    }

    [Fact]
    public async Task ShutNoneKeepsThePipeOpenUntilTheCloseTimeout()
    {
        // Default: stdin EOF closes the pipe's write end, the echo side sees EOF at once.
        var normal = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-d", "-", "PIPE");
        Assert.Equal("hi\n", normal.StdoutText);
        Assert.DoesNotContain(normal.LogLines, l => l.StartsWith("W -t"));
        // shut-none: the write end stays open, so only -t ends the echo direction.
        var none = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-d", "-t", "0.2", "-", "PIPE,shut-none");
        Assert.Equal("hi\n", none.StdoutText);
        Assert.Contains(none.LogLines, l => l.StartsWith("W -t 0.2: closing socket 2 -> socket 1"));
    }

    [Theory]
    [InlineData("shut-close")]
    [InlineData("shut-down")]
    [InlineData("shut-null")]
    public async Task OtherShutModesAreAccepted(string option)
    {
        var r = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-t", "0.2", "-", $"PIPE,{option}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("hi\n", r.StdoutText);
    }

    [Fact]
    public async Task SetlkFailsWhileAnotherProcessHoldsARecordLock()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "data");
        using var held = new FileStream(dir["f"], FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        held.Lock(0, 0); // fcntl(F_SETLK, F_WRLCK) from this process
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},setlk-rd", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("F_SETLK", r.LogLines.Single());
        Assert.Contains("Resource temporarily unavailable", r.LogLines.Single());
        held.Unlock(0, 0);
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},setlk-rd", "/dev/null")).ExitCode);
    }

    [Fact]
    public async Task IoctlCallsReachTheDescriptor()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "data");
        // FIONREAD through ioctl-intp works on a regular file; TCGETS does not.
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},ioctl-intp=0x541B:0", "/dev/null")).ExitCode);
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},ioctl-int=0x5401:0", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("Inappropriate ioctl for device", r.LogLines.Single());
    }

    [Fact]
    public async Task FileAttributeOptionSetsTheInodeFlag()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-u", "-", $"OPEN:{dir["f"]},creat,fs-nodump");
        Assert.True(r.ExitCode == 0, r.ToString());
        var attrs = await Run.ProgramAsync("/usr/bin/lsattr", [dir["f"]], [], Run.DefaultTimeout);
        Assert.Matches(@"^\S*d\S* ", attrs.StdoutText);
    }

    [Fact]
    public async Task UserAndGroupChangeTheOwner()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-u", "-", $"OPEN:{dir["f"]},creat,user=nobody,group=65534");
        Assert.True(r.ExitCode == 0, r.ToString());
        var stat = await Run.ProgramAsync("/usr/bin/stat", ["-c", "%U %g", dir["f"]], [], Run.DefaultTimeout);
        Assert.Equal("nobody 65534", stat.StdoutText.Trim());
    }

    [Fact]
    public async Task UnknownUserIsAnError()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("-u", "-", $"OPEN:{dir["f"]},creat,user=no-such-user-here");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown user \"no-such-user-here\"", r.LogLines.Single());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task StdinToStdoutAndStderr()
    {
        var r = await Run.SharpCatAsync("x\n"u8.ToArray(), "STDIN", "STDOUT");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("x\n", r.StdoutText);
        var e = await Run.SharpCatAsync("y\n"u8.ToArray(), "-", "STDERR");
        Assert.Equal(0, e.ExitCode);
        Assert.Equal("y\n", e.StderrText);
    }

    [Fact]
    public async Task FdAddressAndDigitShortcut()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "via fd 3");
        var r = await Run.ShellAsync($"{S} -u 3 - 3<{dir["in"]}; {S} -u FD:3 - 3<{dir["in"]}");
        Assert.Equal("via fd 3via fd 3", r.StdoutText);
        var closed = await Run.SharpCatAsync("-u", "FD:9", "-");
        Assert.Equal(1, closed.ExitCode);
        Assert.Contains("file descriptor 9 is not open", closed.LogLines.Single());
    }

    [Fact]
    public async Task CharacterDevices()
    {
        var zero = await Run.SharpCatAsync("-u", "OPEN:/dev/zero,readbytes=100000", "-");
        Assert.Equal(0, zero.ExitCode);
        Assert.Equal(new byte[100000], zero.Stdout);
        var nul = await Run.SharpCatAsync(Encoding.ASCII.GetBytes(new string('x', 50000)), "-", "/dev/null");
        Assert.Equal(0, nul.ExitCode);
        Assert.Empty(nul.Stdout);
    }

    [Fact]
    public async Task TerminalThroughOpen()
    {
        if (Binaries.Socat is null) throw new InvalidOperationException("socat is not installed (test.sh installs it)");
        using var dir = new TempDir();
        // socat provides a real pty and copies what arrives on it into a file.
        using var pty = LiveProcess.Start(Binaries.Socat, "-d", "-d", "-u", $"PTY,link={dir["tty"]},raw,echo=0", $"CREATE:{dir["out"]}");
        await pty.WaitForStderrAsync("starting data transfer loop");
        var r = await Run.SharpCatAsync("to the tty\n"u8.ToArray(), "-u", "-", $"OPEN:{dir["tty"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        await Wait.UntilAsync(() => File.ReadAllText(dir["out"]) == "to the tty\n", seconds: 10);
    }

    [Fact]
    public async Task IgnoreEofFollowsAGrowingFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["log"], "first\n");
        using var p = LiveProcess.SharpCat("-u", $"OPEN:{dir["log"]},ignoreeof", "-");
        await p.WaitForStdoutAsync(b => Encoding.ASCII.GetString(b) == "first\n");
        File.AppendAllText(dir["log"], "second\n");
        await p.WaitForStdoutAsync(b => Encoding.ASCII.GetString(b) == "first\nsecond\n");
        p.Signal(15);
        Assert.Equal(143, await p.WaitForExitAsync());
    }
}
