using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>UNIX and abstract stream sockets through the published binary.</summary>
public class UnixSocketTests
{
    [Fact]
    public async Task EchoOverAUnixSocketAndTheFileIsRemoved()
    {
        using var dir = new TempDir();
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]},mode=0600", "PIPE");
        await server.WaitForStderrAsync("listening on");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["s"]));
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        var r = await Run.SharpCatAsync(data, "-", $"UNIX-CONNECT:{dir["s"]}");
        Assert.Equal(data, r.Stdout);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task GopenConnectsToAUnixSocket()
    {
        using var dir = new TempDir();
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]}", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var r = await Run.SharpCatAsync("via gopen"u8.ToArray(), "-", dir["s"]);
        Assert.Equal("via gopen", r.StdoutText);
    }

    [Fact]
    public async Task AbstractSocketsLeaveNoFile()
    {
        using var dir = new TempDir();
        string name = "sharpcat-test-" + Guid.NewGuid().ToString("N");
        using var server = LiveProcess.SharpCat("-d", "-d", $"ABSTRACT-LISTEN:{name}", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var r = await Run.SharpCatAsync("abstract"u8.ToArray(), "-", $"ABSTRACT-CONNECT:{name}");
        Assert.Equal("abstract", r.StdoutText);
        Assert.Contains("AF=1 \"\\0" + name + "\"", server.StderrText);
    }

    [Fact]
    public async Task ExistingSocketFileNeedsUnlinkEarly()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["s"], "stale");
        var r = await Run.SharpCatAsync($"UNIX-LISTEN:{dir["s"]}", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"E \"{dir["s"]}\" exists", r.LogLines.Single());
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]},unlink-early", "PIPE");
        await server.WaitForStderrAsync("listening on");
    }

    [Fact]
    public async Task PathTooLongIsRefusedBeforeAnythingHappens()
    {
        using var dir = new TempDir();
        string path = dir["s" + new string('x', 120)];
        var r = await Run.SharpCatAsync($"UNIX-LISTEN:{path}", "/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unix socket address", r.LogLines.Single());
        Assert.Contains("characters long, max length is", r.LogLines.Single());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task UnixClientConnectsToAStreamSocket()
    {
        using var dir = new TempDir();
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]}", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var r = await Run.SharpCatAsync("client"u8.ToArray(), "-", $"UNIX-CLIENT:{dir["s"]}");
        Assert.Equal("client", r.StdoutText);
        string name = "sharpcat-test-" + Guid.NewGuid().ToString("N");
        using var abs = LiveProcess.SharpCat("-d", "-d", $"ABSTRACT-LISTEN:{name}", "PIPE");
        await abs.WaitForStderrAsync("listening on");
        var a = await Run.SharpCatAsync("abstract client"u8.ToArray(), "-", $"ABSTRACT-CLIENT:{name}");
        Assert.Equal("abstract client", a.StdoutText);
    }

    [Fact]
    public async Task PermissionDeniedOnASocketFile()
    {
        using var dir = new TempDir();
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-LISTEN:{dir["s"]},mode=0600", "PIPE");
        await server.WaitForStderrAsync("listening on");
        // As nobody: the socket file (root, 0600) may not be written to.
        var r = await Run.ProgramAsync("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Binaries.SharpCat, "-u", "/dev/null", $"UNIX-CONNECT:{dir["s"]}"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("Permission denied", r.LogLines.Single());
    }

    [Fact]
    public async Task ConnectingToNothing()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("-", $"UNIX-CONNECT:{dir["none"]}");
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith("No such file or directory", r.LogLines.Single());
    }

    /// <summary>
    /// so-type (socktype) makes the socket of that type: a SOCK_SEQPACKET listener relays for a
    /// seqpacket client, refuses a stream client with socat's error (socat's CONNECT_TO_SEQPACKET),
    /// and GOPEN finds its type (GOPENUNIXSEQPACKET).
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task SocktypeMakesASeqpacketSocket(string program)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        using var server = LiveProcess.Start(binary, "-d", "-d", $"UNIX-LISTEN:{dir["s"]},socktype=5,fork", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var refused = await Run.ProgramAsync(binary, ["-", $"UNIX-CONNECT:{dir["s"]}"], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Protocol wrong type for socket", refused.StderrText);
        var r = await Run.ProgramAsync(binary, ["-", $"UNIX-CONNECT:{dir["s"]},socktype=5"], "packet"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("packet", r.StdoutText);
        // GOPEN (and UNIX-CLIENT) try a seqpacket socket after the stream connect is refused, as socat.
        var opened = await Run.ProgramAsync(binary, ["-", dir["s"]], "gopen"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(opened.ExitCode == 0, opened.ToString());
        Assert.Equal("gopen", opened.StdoutText);
    }

    /// <summary>
    /// GOPEN on the file a UNIX socket left behind (unlink-close=0, no one listening) connects and is
    /// refused: exit 1 with one error, not a regular file made or appended to (socat's
    /// GOPEN_TO_ORPHANED; the orphan is made by the program under test, as there).
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task GopenOnAnOrphanedSocketFileFails(string program)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        using (var server = LiveProcess.Start(binary, "-d", "-d", $"UNIX-LISTEN:{dir["s"]},unlink-close=0", "/dev/null"))
        {
            await server.WaitForStderrAsync("listening on");
            var connected = await Run.ProgramAsync(binary, ["/dev/null", $"UNIX-CONNECT:{dir["s"]}"], [], Run.DefaultTimeout);
            Assert.True(connected.ExitCode == 0, connected.ToString());
            Assert.Equal(0, await server.WaitForExitAsync());
        }
        var r = await Run.ProgramAsync(binary, ["-u", "-", $"GOPEN:{dir["s"]}"], "data\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines, l => l.StartsWith("E ", StringComparison.Ordinal));
        Assert.Contains("Connection refused", r.StderrText);
    }
}
