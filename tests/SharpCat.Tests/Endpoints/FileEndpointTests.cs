using System.Text;
using SharpCat.Relay;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>OPEN, CREATE, GOPEN and their option groups, run in-process through the library.</summary>
public class FileEndpointTests
{
    private static Task Relay(string left, string right, RelayOptions? options = null) =>
        RelayHost.RunAsync(left, right, options ?? new RelayOptions(), cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    /// <summary>
    /// A file read past its end (ignoreeof) is read again as soon as the relay writes into it, as
    /// socat's loop does after any action, not at the next one-second poll: socat's FILE test
    /// (echo through "file,ignoreeof!!file" under -t 0.1) depends on it.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task AnIgnoreeofFileIsReadAgainWhenTheRelayWritesIt(string program)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++)
        {
            string file = dir[$"f{i}"];
            var r = await Run.ProgramAsync(binary, ["-t", "0.1", "-", $"{file},ignoreeof!!{file}"], System.Text.Encoding.ASCII.GetBytes($"line {i}\n"), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal($"line {i}\n", r.StdoutText);
        }
    }

    [Fact]
    public async Task CreateCopiesAndTruncates()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "hello\n");
        File.WriteAllText(dir["out"], "old content that is longer\n");
        await Relay($"OPEN:{dir["in"]},rdonly", $"CREATE:{dir["out"]}");
        Assert.Equal("hello\n", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task PermSetsTheModeOfACreatedFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},creat,wronly,perm=0640");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, Mode(dir["out"]));
    }

    [Fact]
    public async Task ModeIsTheCreationModeAndLeavesExistingFilesAlone()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        File.WriteAllText(dir["out"], "");
        File.SetUnixFileMode(dir["out"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},wronly,mode=600");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, Mode(dir["out"]));
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["new"]},wronly,creat,mode=600");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(dir["new"]));
    }

    [Fact]
    public async Task PermOnAnInheritedFdChangesItsMode()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "x");
        var r = await Run.ShellAsync($"{Binaries.SharpCat} -u FD:3,perm=0600 /dev/null 3<{dir["f"]}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(dir["f"]));
    }

    [Fact]
    public async Task AppendKeepsExistingContent()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "two\n");
        File.WriteAllText(dir["out"], "one\n");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},wronly,append");
        Assert.Equal("one\ntwo\n", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task TruncEmptiesBeforeWriting()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "ab");
        File.WriteAllText(dir["out"], "123456");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},wronly,trunc");
        Assert.Equal("ab", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task WithoutTruncWritesOverTheStart()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "ab");
        File.WriteAllText(dir["out"], "123456");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},wronly");
        Assert.Equal("ab3456", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task SeekStartsReadingAtTheOffset()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "0123456789");
        await Relay($"OPEN:{dir["in"]},rdonly,seek=4", $"CREATE:{dir["out"]}");
        Assert.Equal("456789", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task SeekEndAndFtruncate()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "0123456789");
        File.WriteAllText(dir["out"], "abcdef");
        await Relay($"OPEN:{dir["in"]},rdonly,seek-end=-3", $"OPEN:{dir["out"]},wronly,ftruncate64=2,seek-end=0");
        Assert.Equal("ab789", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task ReadbytesStopsAfterTheLimit()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "0123456789");
        await Relay($"OPEN:{dir["in"]},rdonly,readbytes=3", $"CREATE:{dir["out"]}");
        Assert.Equal("012", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task EscapeByteEndsTheInput()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "abc\u001ddef");
        await Relay($"OPEN:{dir["in"]},rdonly,escape=0x1d", $"CREATE:{dir["out"]}");
        Assert.Equal("abc", File.ReadAllText(dir["out"]));
    }

    [Theory]
    [InlineData("", ",crnl", "a\nb\n", "a\r\nb\r\n")]
    [InlineData("", ",cr", "a\nb\n", "a\rb\r")]
    [InlineData(",crnl", "", "a\r\nb\r\nc\rd", "a\nb\ncd")]
    [InlineData(",cr", "", "a\rb\r", "a\nb\n")]
    [InlineData(",crnl", ",crnl", "a\r\nb", "a\r\nb")]
    [InlineData(",cr", ",crnl", "a\rb", "a\r\nb")]
    public async Task LineEndingsAreConverted(string inOpts, string outOpts, string input, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], input);
        await Relay($"OPEN:{dir["in"]},rdonly{inOpts}", $"CREATE:{dir["out"]}{outOpts}");
        Assert.Equal(expected, File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task UnlinkCloseRemovesTheFileAfterwards()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        await Relay($"OPEN:{dir["in"]},rdonly,unlink-close", $"CREATE:{dir["out"]}");
        Assert.Equal(["out"], dir.Entries());
    }

    [Fact]
    public async Task UnlinkLateRemovesTheEntryButDataStillFlows()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "data");
        await Relay($"OPEN:{dir["in"]},rdonly,unlink-late", $"CREATE:{dir["out"]}");
        Assert.Equal(["out"], dir.Entries());
        Assert.Equal("data", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task UnlinkEarlyReplacesAnExistingFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "new");
        File.WriteAllText(dir["out"], "old old old");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},wronly,creat,unlink-early");
        Assert.Equal("new", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task UmaskAppliesToCreation()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        await Relay($"OPEN:{dir["in"]},rdonly", $"OPEN:{dir["out"]},creat,wronly,umask=077");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(dir["out"]));
    }

    [Fact]
    public async Task GopenCreatesAndAppends()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "more");
        await Relay($"OPEN:{dir["in"]},rdonly", $"GOPEN:{dir["out"]}", new RelayOptions { Direction = RelayDirection.LeftToRight });
        await Relay($"OPEN:{dir["in"]},rdonly", dir["out"], new RelayOptions { Direction = RelayDirection.LeftToRight });
        Assert.Equal("moremore", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task FlockExclusiveHeldByAnotherFails()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        using var held = new FileStream(dir["in"], FileMode.Open, FileAccess.Read, FileShare.None); // .NET takes flock(LOCK_EX)
        var e = await Assert.ThrowsAsync<SharpCat.Native.PosixException>(() =>
            Relay($"OPEN:{dir["in"]},rdonly,flock-ex-nb", $"CREATE:{dir["out"]}"));
        Assert.Contains("flock(", e.Message);
        Assert.Contains("Resource temporarily unavailable", e.Message);
    }

    [Fact]
    public async Task DualAddressReadsOneFileAndWritesAnother()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["a"], "from a");
        File.WriteAllText(dir["c"], "from c");
        await Relay($"OPEN:{dir["a"]}!!CREATE:{dir["b"]}", $"OPEN:{dir["c"]},rdonly!!CREATE:{dir["d"]}");
        Assert.Equal("from a", File.ReadAllText(dir["d"]));
        Assert.Equal("from c", File.ReadAllText(dir["b"]));
    }

    [Fact]
    public async Task NamedPipeIsCreatedAndCarriesData()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "through the fifo");
        // The fifo's reader: a second relay that copies it to a file.
        var reader = Relay($"PIPE:{dir["fifo"]},rdonly", $"CREATE:{dir["out"]}", new RelayOptions { Direction = RelayDirection.LeftToRight });
        await Wait.UntilAsync(() => File.Exists(dir["fifo"]));
        await Relay($"OPEN:{dir["in"]},rdonly", $"PIPE:{dir["fifo"]},wronly", new RelayOptions { Direction = RelayDirection.LeftToRight });
        await reader;
        Assert.Equal("through the fifo", File.ReadAllText(dir["out"]));
    }

    [Fact]
    public async Task RawDumpsCopyEachDirection()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "abc");
        File.WriteAllText(dir["r"], "old:");
        await Relay($"OPEN:{dir["in"]},rdonly", $"CREATE:{dir["out"]}",
            new RelayOptions { RawDumpLeftToRight = dir["r"], RawDumpRightToLeft = dir["R"] });
        Assert.Equal("old:abc", File.ReadAllText(dir["r"]));
        Assert.Equal("", File.ReadAllText(dir["R"]));
    }

    [Fact]
    public async Task LockfileOptionIsTakenAndReleased()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        await Relay($"OPEN:{dir["in"]},rdonly,lockfile={dir["lock"]}", $"CREATE:{dir["out"]}");
        Assert.False(File.Exists(dir["lock"]));
        File.WriteAllText(dir["lock"], "");
        var e = await Assert.ThrowsAsync<SharpCatException>(() => Relay($"OPEN:{dir["in"]},rdonly,lockfile={dir["lock"]}", $"CREATE:{dir["out2"]}"));
        Assert.Contains("could not obtain lock", e.Message);
        Assert.False(File.Exists(dir["out2"]));
    }

    [Fact]
    public async Task WaitlockWaitsUntilTheLockIsGone()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "x");
        File.WriteAllText(dir["lock"], "");
        var relay = Relay($"OPEN:{dir["in"]},rdonly,waitlock={dir["lock"]}", $"CREATE:{dir["out"]}");
        await Task.Delay(200);
        Assert.False(relay.IsCompleted);
        Assert.False(File.Exists(dir["out"]));
        File.Delete(dir["lock"]);
        await relay;
        Assert.Equal("x", File.ReadAllText(dir["out"]));
    }

}
