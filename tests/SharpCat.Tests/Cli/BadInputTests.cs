using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>Each rejected input: one clear error line, exit 1, and nothing created or written.</summary>
public class BadInputTests
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["FOO:bar", "-"], "E unknown device/address \"FOO\"" },
        { ["-,bogus", "-"], "E STDIO: unknown option \"bogus\"" },
        { ["OPEN:{dir}/f,creat,fork", "-"], "E OPEN: option \"fork\" does not apply to this address type" },
        { ["-,creat", "-"], "E STDIO: option \"creat\" does not apply to this address type" },
        { ["OPEN:{dir}/f,creat,mode=abc", "-"], "E option \"mode\": invalid value \"abc\"" },
        { ["OPEN:{dir}/f,creat=maybe", "-"], "E option \"creat\": invalid value \"maybe\"" },
        { ["OPEN:{dir}/f,creat,readbytes=-1", "-"], "E option \"readbytes\": invalid value \"-1\"" },
        { ["OPEN:{dir}/f,creat,readbytes=10x", "-"], "E option \"readbytes\": invalid value \"10x\"" },
        { ["OPEN:{dir}/f,creat,escape=256", "-"], "E option \"escape\": invalid value \"256\"" },
        { ["OPEN:{dir}/f,creat,escape", "-"], "E option \"escape\" requires a value" },
        { ["OPEN:{dir}/f,creat,cr=1", "-"], "E option \"cr\": invalid value \"1\": this option takes no value" },
        { ["OPEN", "-"], "E OPEN: wrong number of parameters (0 instead of 1)" },
        { ["OPEN:{dir}/a:b", "-"], "E OPEN: wrong number of parameters (2 instead of 1)" },
        { ["STDIO:x", "-"], "E STDIO: wrong number of parameters (1 instead of 0)" },
        { ["OPEN:\"{dir}/f,creat", "-"], "missing closing \" quote" },
        { ["OPEN:{dir}/[f,creat", "-"], "missing ']' to close a bracket" },
        { ["!!-", "-"], "\"!!\" needs an address on each side" },
        { ["-!!", "-"], "\"!!\" needs an address on each side" },
        { ["OPEN:{dir}/a,creat!!OPEN:{dir}/b,creat!!OPEN:{dir}/c,creat", "-"], "\"!!\" may appear only once" },
        { ["-", "OPEN:{dir}/f,creat,nosuchoption"], "E OPEN: unknown option \"nosuchoption\"" },
        { ["OPENSSL-DTLS-SERVER:4433", "-"], "E OPENSSL-DTLS-SERVER: option cert is required (the server's certificate and key)" },
        { ["OPENSSL-LISTEN:4433", "-"], "E OPENSSL-LISTEN: option cert is required (the server's certificate and key)" },
        { ["OPEN:{dir}/f,creat,tcpwrap=x", "-"], "does not apply to this address type" },
        { ["-Z", "-", "-"], "E unknown option \"-Z\"" },
        { ["-b", "abc", "-", "-"], "E option -b: invalid buffer size \"abc\"" },
        { ["-t", "x", "-", "-"], "E option -t: invalid time \"x\"" },
        { ["-"], "E exactly 2 addresses required (there are 1)" },
        { ["-", "-", "-"], "E exactly 2 addresses required (there are 3)" },
        { ["OPEN:{dir}/missing/f", "-"], "E open(\"{dir}/missing/f\", 02, 0666): No such file or directory" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RejectedWithOneClearMessage(string[] args, string expected)
    {
        using var dir = new TempDir();
        string[] expanded = args.Select(a => a.Replace("{dir}", dir.Path)).ToArray();
        var r = await Run.SharpCatAsync(expanded);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines);
        Assert.Contains(expected.Replace("{dir}", dir.Path), r.LogLines[0]);
        Assert.StartsWith("E ", r.LogLines[0]);
        Assert.Empty(r.Stdout);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task ExclOnExistingFileFailsAndLeavesItAlone()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "keep");
        var r = await Run.SharpCatAsync("hello"u8.ToArray(), "-", $"OPEN:{dir["f"]},creat,excl");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"E open(\"{dir["f"]}\", 0302, 0666): File exists", r.LogLines.Single());
        Assert.Equal("keep", File.ReadAllText(dir["f"]));
    }

    [Fact]
    public async Task HeldLockFailsWithDashL()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["lock"], "1\n");
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-L", dir["lock"], "-", $"OPEN:{dir["out"]},creat");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"could not obtain lock \"{dir["lock"]}\"", r.LogLines.Single());
        Assert.Equal(["lock"], dir.Entries());
    }

    [Fact]
    public async Task SecondAddressErrorOpensNothing()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync($"OPEN:{dir["a"]},creat", $"OPEN:{dir["b"]},creat,bogus");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(dir.Entries());
    }
}
