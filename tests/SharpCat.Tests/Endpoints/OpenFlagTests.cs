using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>The OPEN group's flags and the remaining FD/NAMED options, checked through -D's fcntl flags and their effects.</summary>
public class OpenFlagTests
{
    /// <summary>The F_GETFL flags -D shows for the opened file.</summary>
    private static async Task<int> FileFlagsAsync(TempDir dir, string options)
    {
        var r = await Run.SharpCatAsync("-D", "-u", "/dev/null", $"OPEN:{dir["f"]},creat{options}");
        Assert.True(r.ExitCode == 0, r.ToString());
        var m = Regex.Match(r.StderrText, @"\n +\d+: file\t(?:[^\t]*\t){14}x([0-9a-f]{6})\t");
        Assert.True(m.Success, r.StderrText);
        return Convert.ToInt32(m.Groups[1].Value, 16);
    }

    [Theory]
    [InlineData(",noatime", 0x40000)]
    [InlineData(",dsync", 0x1000)]
    [InlineData(",sync", 0x101000)]
    [InlineData(",rsync", 0x101000)]
    [InlineData(",o-direct", 0x4000)]
    [InlineData(",nonblock", 0x800)]
    [InlineData(",append", 0x400)]
    public async Task FlagReachesTheOpenFile(string option, int flag)
    {
        using var dir = new TempDir();
        Assert.Equal(flag, await FileFlagsAsync(dir, option) & flag);
        Assert.Equal(0, await FileFlagsAsync(dir, "") & flag & ~0x8000);
    }

    [Fact]
    public async Task AsyncIsSetWhereTheKernelSupportsIt()
    {
        // Regular files have no O_ASYNC support in Linux; a pipe has.
        var r = await Run.SharpCatAsync("-D", "-T", "0.1", "-u", "PIPE,async", "/dev/null");
        Assert.Matches(@"
 +\d+: pipe	(?:[^	]*	){14}x[0-9a-f]{2}2[0-9a-f]{3}	", r.StderrText);
    }

    [Fact]
    public async Task NoctyAndLargefileAreAccepted()
    {
        using var dir = new TempDir();
        await FileFlagsAsync(dir, ",noctty,largefile");
    }

    [Fact]
    public async Task NofollowRefusesASymlink()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["target"], "x");
        File.CreateSymbolicLink(dir["link"], dir["target"]);
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["link"]},nofollow", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("Too many levels of symbolic links", r.LogLines.Single());
    }

    [Fact]
    public async Task DirectoryRefusesAFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "x");
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},directory", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("Not a directory", r.LogLines.Single());
    }

    [Fact]
    public async Task SharedLocksCoexistExclusiveOnesDoNot()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "x");
        using var shared = new FileStream(dir["f"], FileMode.Open, FileAccess.Read, FileShare.Read); // flock(LOCK_SH)
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},flock-sh-nb", "/dev/null")).ExitCode);
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},flock-sh", "/dev/null")).ExitCode);
        Assert.Equal(1, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},flock-ex-nb", "/dev/null")).ExitCode);
    }

    [Fact]
    public async Task BlockingRecordLockWhenFree()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "x");
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},rdwr,setlkw", "/dev/null")).ExitCode);
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},setlkw-rd", "/dev/null")).ExitCode);
    }

    [Fact]
    public async Task EarlyAndLateOwnershipAndMode()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["early"], "x");
        var r = await Run.SharpCatAsync("-u", "/dev/null", $"OPEN:{dir["early"]},user-early=nobody,group-early=65534,perm-early=0604");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("nobody 65534 604", await StatAsync(dir["early"]));
        var l = await Run.SharpCatAsync("-u", "/dev/null", $"OPEN:{dir["late"]},creat,user-late=nobody,group-late=65534,perm-late=0640");
        Assert.True(l.ExitCode == 0, l.ToString());
        Assert.Equal("nobody 65534 640", await StatAsync(dir["late"]));
    }

    [Fact]
    public async Task IoctlWithDataAndLseek32()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "0123456789");
        // FIONREAD writes an int into the data buffer; both forms pass one.
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},ioctl-bin=0x541B:x00000000", "/dev/null")).ExitCode);
        Assert.Equal(0, (await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},ioctl-string=0x541B:abcd", "/dev/null")).ExitCode);
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["f"]},lseek32-set=7", "-");
        Assert.Equal("789", r.StdoutText);
    }

    private static async Task<string> StatAsync(string path) =>
        (await Run.ProgramAsync("/usr/bin/stat", ["-c", "%U %g %a", path], [], Run.DefaultTimeout)).StdoutText.Trim();
}
