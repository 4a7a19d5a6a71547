using System.Diagnostics;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>The PTY address: links, the virtual serial line, wait-slave, settings seen by stty.</summary>
public class PtyTests
{
    private static async Task<string> SttyAsync(string device)
    {
        var r = await Run.ProgramAsync("stty", ["-F", device, "-a"], [], TimeSpan.FromSeconds(10));
        Assert.Equal(0, r.ExitCode);
        return r.StdoutText;
    }

    [Fact]
    public async Task TwoLinkedPtysAreAVirtualSerialLine()
    {
        using var dir = new TempDir();
        string a = dir["ttyA"], b = dir["ttyB"];
        using var relay = LiveProcess.SharpCat("-d", "-d", $"PTY,link={a},raw,echo=0,b115200", $"PTY,link={b},raw,echo=0,b115200");
        await Wait.UntilAsync(() => File.Exists(a) && File.Exists(b));
        Assert.Matches(@"/dev/pts/\d+", new FileInfo(a).LinkTarget);
        foreach (string link in new[] { a, b })
        {
            string settings = await SttyAsync(link);
            Assert.Contains("speed 115200 baud", settings);
            Assert.Contains("-echo ", settings);
            Assert.Contains("-icanon", settings);
        }
        // 10 MiB each way at the same time, by two programs that open the links as serial ports.
        const string script = """
            import os, sys, threading, tty, hashlib
            a, b, n = sys.argv[1], sys.argv[2], 10 * 1024 * 1024
            fa, fb = os.open(a, os.O_RDWR | os.O_NOCTTY), os.open(b, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fa); tty.setraw(fb)
            out = {"ab": os.urandom(n), "ba": os.urandom(n)}
            got = {}
            def write(fd, data):
                v = memoryview(data); off = 0
                while off < len(v): off += os.write(fd, v[off:off + 65536])
            def read(fd, key):
                buf = bytearray()
                while len(buf) < n:
                    chunk = os.read(fd, 65536)
                    if not chunk: break
                    buf += chunk
                got[key] = bytes(buf)
            ts = [threading.Thread(target=write, args=(fa, out["ab"])), threading.Thread(target=write, args=(fb, out["ba"])),
                  threading.Thread(target=read, args=(fb, "ab")), threading.Thread(target=read, args=(fa, "ba"))]
            for t in ts: t.start()
            for t in ts: t.join()
            print("ab", got.get("ab") == out["ab"], "ba", got.get("ba") == out["ba"])
            """;
        var r = await Run.ProgramAsync("python3", ["-c", script, a, b], [], TimeSpan.FromSeconds(90));
        Assert.Equal("ab True ba True\n", r.StdoutText);
        relay.Signal(15);
        await relay.WaitForExitAsync();
        Assert.False(File.Exists(a) || Directory.Exists(a), "link removed at exit");
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task TheSlaveMayBeOpenedAndClosedInTurn()
    {
        using var dir = new TempDir();
        using var relay = LiveProcess.SharpCat($"PTY,link={dir["tty"]},raw,echo=0", "-");
        await Wait.UntilAsync(() => File.Exists(dir["tty"]));
        File.WriteAllText(dir["tty"], "first\n");
        File.WriteAllText(dir["tty"], "second\n");
        await relay.WaitForStdoutAsync(o => o.Length >= 13);
        Assert.Equal("first\nsecond\n"u8.ToArray(), relay.Stdout);
    }

    [Fact]
    public async Task WithPtmxTheLastCloseOfTheSlaveIsEndOfFile()
    {
        using var dir = new TempDir();
        using var relay = LiveProcess.SharpCat($"PTY,link={dir["tty"]},ptmx,raw,echo=0", "-");
        await Wait.UntilAsync(() => File.Exists(dir["tty"]));
        File.WriteAllText(dir["tty"], "once\n");
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("once\n"u8.ToArray(), relay.Stdout);
    }

    [Fact]
    public async Task WaitSlaveStartsWhenAProgramOpensTheSlaveAndEndsWhenItCloses()
    {
        using var dir = new TempDir();
        using var relay = LiveProcess.SharpCat("-d", "-d", $"PTY,link={dir["tty"]},wait-slave,raw,echo=0", "-");
        await Wait.UntilAsync(() => File.Exists(dir["tty"]));
        Assert.DoesNotContain("starting data transfer loop", relay.StderrText);
        using (var slave = new FileStream(dir["tty"], FileMode.Open, FileAccess.Write))
        {
            await relay.WaitForStderrAsync("starting data transfer loop");
            slave.Write("through\n"u8);
        }
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("through\n"u8.ToArray(), relay.Stdout);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task ATerminalGetsItsSettingsBackAtExit()
    {
        // As socat: the settings a tty had when it was opened come back when the relay ends.
        const string script = """
            import os, pty, subprocess, sys, termios, time
            m, s = pty.openpty()
            before = termios.tcgetattr(s)
            p = subprocess.Popen([sys.argv[1], "-T", "1", "-u", f"OPEN:{os.ttyname(s)},raw,echo=0,b9600", "OPEN:/dev/null"])
            deadline = time.time() + 10
            while termios.tcgetattr(s) == before and time.time() < deadline: time.sleep(0.01)
            during = termios.tcgetattr(s)
            p.wait(20)
            print("changed", during != before, "speed", during[5] == termios.B9600, "restored", termios.tcgetattr(s) == before, "rc", p.returncode)
            """;
        var r = await Run.ProgramAsync("python3", ["-c", script, Binaries.SharpCat], [], TimeSpan.FromSeconds(30));
        Assert.Equal("changed True speed True restored True rc 0\n", r.StdoutText);
    }

    [Fact]
    public async Task ALinkOverAFileIsRefusedAndAStaleLinkIsReplaced()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["file"], "mine");
        var r = await Run.SharpCatAsync("-u", $"PTY,link={dir["file"]}", "OPEN:/dev/null");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines);
        Assert.Contains("exists and is not a symbolic link", r.LogLines[0]);
        Assert.Equal("mine", File.ReadAllText(dir["file"]));

        File.CreateSymbolicLink(dir["stale"], "/dev/pts/does-not-exist");
        using var relay = LiveProcess.SharpCat($"PTY,link={dir["stale"]},raw,echo=0", "-");
        await Wait.UntilAsync(() => new FileInfo(dir["stale"]).LinkTarget?.StartsWith("/dev/pts/") == true
            && new FileInfo(dir["stale"]).LinkTarget != "/dev/pts/does-not-exist");
        File.WriteAllText(dir["stale"], "works\n");
        await relay.WaitForStdoutAsync(o => o.Length >= 6);
        Assert.Equal("works\n"u8.ToArray(), relay.Stdout);
    }
}
