using System.Diagnostics;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// user=, group= and perm= on PIPE:path and PTY (socat's test.sh PIPE_USER and PTY_USER), through
/// sharpcat and socat with the same expectations: the FIFO is chowned as soon as it is made, before
/// its open(2) waits for the other end; a pty's ownership and mode are its slave's, and /dev/ptmx is
/// left as it was. Needs root, as chown does.
/// </summary>
public class PtyAndFifoOwnershipTests
{
    public static TheoryData<string> Programs() => ["sharpcat", "socat"];

    private static string Binary(string program) => program == "sharpcat"
        ? Binaries.SharpCat
        : Binaries.Socat ?? throw new InvalidOperationException("socat is not installed (test.sh installs it)");

    /// <summary>Owner, group id and mode of what the path leads to (stat -L), or "" when it is missing.</summary>
    private static string Stat(string path)
    {
        var psi = new ProcessStartInfo("/usr/bin/stat", ["-L", "-c", "%U %g %a", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Trim();
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task AFifoIsChownedBeforeItsOpenWaitsForAWriter(string program)
    {
        using var dir = new TempDir();
        string fifo = dir["fifo"];
        // Reading a FIFO that no one writes: open(2) blocks, as in test.sh's PIPE_USER.
        using var p = LiveProcess.Start(Binary(program), "-u", $"PIPE:{fifo},user=nobody,group=65534", "FILE:/dev/null,ignoreeof");
        await Wait.UntilAsync(() => Stat(fifo).StartsWith("nobody 65534 ", StringComparison.Ordinal), seconds: 20);
        // SIGTERM ends it while its open(2) still waits, as it ends socat.
        p.Signal(15);
        Assert.Equal(143, await p.WaitForExitAsync());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task APtysOwnershipAndModeAreItsSlavesAndPtmxIsLeftAlone(string program)
    {
        using var dir = new TempDir();
        string link = dir["tty"];
        string ptmx = Stat("/dev/ptmx");
        using var p = LiveProcess.Start(Binary(program), "-d", "-d", $"PTY,link={link},user=nobody,group=65534,perm=0640", "FILE:/dev/null,ignoreeof");
        await p.WaitForStderrAsync("starting data transfer loop");
        Assert.Equal("nobody 65534 640", Stat(link));
        Assert.Equal(ptmx, Stat("/dev/ptmx"));
        p.Signal(15);
        await p.WaitForExitAsync();

        using var late = LiveProcess.Start(Binary(program), "-d", "-d", $"PTY,link={link},user-late=nobody,perm-late=0604", "FILE:/dev/null,ignoreeof");
        await late.WaitForStderrAsync("starting data transfer loop");
        Assert.StartsWith("nobody ", Stat(link));
        Assert.EndsWith(" 604", Stat(link));
        Assert.Equal(ptmx, Stat("/dev/ptmx"));
        late.Signal(15);
        await late.WaitForExitAsync();
    }

    /// <summary>EXEC's pty too: user= and perm= never reach /dev/ptmx (they did, through the master).</summary>
    [Theory]
    [MemberData(nameof(Programs))]
    public async Task AnExecPtyLeavesPtmxAlone(string program)
    {
        string ptmx = Stat("/dev/ptmx");
        var r = await Run.ProgramAsync(Binary(program), ["-", "EXEC:true,pty,user=nobody,perm=0600"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(ptmx, Stat("/dev/ptmx"));
    }
}
