using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>EOF on one side reaches the other and no accepted byte is lost, from 0 bytes to 64 MiB.</summary>
public class HalfCloseTests
{
    public static TheoryData<int> Sizes => new() { 0, 1, 8191, 8192, 8193, 1 << 20, 64 << 20 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task StdinIntoFileLosesNothing(int size)
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(dir["in"], data);
        // The file side is at EOF at once, so as in socat the stdin direction has -t (0.5 s) to
        // finish: cat feeds the pipe at full speed, independent of this test host's scheduling.
        var r = await Run.ShellAsync($"cat {dir["in"]} | {Binaries.SharpCat} - OPEN:{dir["f"]},creat");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, File.ReadAllBytes(dir["f"]));
        Assert.Empty(r.Stdout);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task FileIntoStdoutLosesNothing(int size)
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(dir["f"], data);
        // stdin stays open: the file's EOF must reach our stdout by itself (fd 1 closed), with
        // every byte before it, whatever the -t clock of the other direction says.
        using var p = LiveProcess.SharpCat($"OPEN:{dir["f"]}", "-");
        await p.WaitForStdoutClosedAsync();
        Assert.Equal(data, p.Stdout);
        p.Stdin.Close();
        Assert.Equal(0, await p.WaitForExitAsync());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task UnidirectionalFileToFile(int size)
    {
        using var dir = new TempDir();
        byte[] data = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(dir["in"], data);
        var r = await Run.SharpCatAsync("-u", $"OPEN:{dir["in"]}", $"CREATE:{dir["out"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, File.ReadAllBytes(dir["out"]));
    }

    [Fact]
    public async Task UnnamedPipeEchoesStdinBack()
    {
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        var r = await Run.SharpCatAsync(data, "-", "PIPE");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(data, r.Stdout);
    }
}
