using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>EXEC and SYSTEM with real child programs: statuses, errors, shells on a pty, and fork.</summary>
public class ExecTests
{
    private static string Script(TempDir dir, string name, string body)
    {
        File.WriteAllText(dir[name], "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(dir[name], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir[name];
    }

    /// <summary>
    /// A write-only EXEC on a pty (the right half of a dual) keeps our stdout as its own, and the
    /// end of input does not hang up its terminal: cat echoes what it read and the relay ends with
    /// status 0 (socat's test.sh SINGLEEXECOUTPTY).
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task AWriteOnlyExecOnAPtyWritesToOurStdoutAndEndsCleanly(string program)
    {
        string binary = Binaries.Of(program);
        using var relay = LiveProcess.Start(binary, "-t", "0.1", "-!!exec:cat,pty,raw", "echo");
        await relay.Stdin.WriteAsync("through the pty\n"u8.ToArray());
        await relay.Stdin.FlushAsync();
        await relay.WaitForStdoutAsync(o => o.Length >= 16);
        relay.Stdin.Close();
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("through the pty\n", Encoding.ASCII.GetString(relay.Stdout));
    }

    [Fact]
    public async Task AFailingChildHasItsOutputDeliveredThenFailsTheRelay()
    {
        // socat may exit before relaying what the child wrote last; sharpcat relays it first.
        var r = await Run.SharpCatAsync(Encoding.ASCII.GetBytes("kept\n"), "-", "SYSTEM:cat; exit 3");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("kept\n", r.StdoutText);
        Assert.Contains(r.LogLines, l => Regex.IsMatch(l, @"^E waitpid\(\): child \d+ exited with status 3$"));
    }

    [Fact]
    public async Task AChildKilledByASignalFailsTheRelay()
    {
        using var dir = new TempDir();
        string die = Script(dir, "die", "echo before; kill -KILL $$");
        var r = await Run.SharpCatAsync([], "-", $"EXEC:{die}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("before\n", r.StdoutText);
        Assert.Contains(r.LogLines, l => Regex.IsMatch(l, @"^E waitpid\(\): child \d+ exited on signal 9$"));
    }

    /// <summary>socat 1.8's SHELL is SYSTEM run by $SHELL (Socat18ShellTests compares it with socat 1.8).</summary>
    [Fact]
    public async Task ShellRunsTheCommandAsSystemDoes()
    {
        var r = await Run.ProgramAsync(Binaries.SharpCat, ["-", "SHELL:tr a-c x-z; echo; echo $0"], Encoding.ASCII.GetBytes("abc"), Run.DefaultTimeout,
            environment: new Dictionary<string, string?> { ["SHELL"] = "/bin/sh" });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("xyz\nsh\n", r.StdoutText);
    }

    [Fact]
    public async Task EitherHalfOfADualCanFailTheRelay()
    {
        // The writing half reads what it is sent: a program that exits without reading would make
        // the relay's write fail with EPIPE first, whenever it comes after that exit.
        var r = await Run.SharpCatAsync("data\n"u8.ToArray(), "-", "SYSTEM:cat >/dev/null; exit 4!!SYSTEM:cat >/dev/null; echo written");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("written\n", r.StdoutText);
        Assert.Contains(r.LogLines, l => Regex.IsMatch(l, @"^E waitpid\(\): child \d+ exited with status 4$"));
    }

    [Fact]
    public async Task ASuccessfulChildIsLoggedAtNoticeLevel()
    {
        var r = await Run.SharpCatAsync(Encoding.ASCII.GetBytes("x"), "-d", "-d", "-", "EXEC:cat");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("x", r.StdoutText);
        Assert.Contains(r.LogLines, l => l == "N forking off child, using socket for reading and writing");
        Assert.Contains(r.LogLines, l => Regex.IsMatch(l, @"^N forked off child process \d+$"));
        Assert.Contains(r.LogLines, l => Regex.IsMatch(l, @"^N child process \d+ exited with status 0$"));
    }

    [Theory]
    [InlineData("EXEC:{dir}/missing", "E execvp(\"{dir}/missing\", \"{dir}/missing\"): No such file or directory")]
    [InlineData("EXEC:no-such-program-here x", "E execvp(\"no-such-program-here\", \"no-such-program-here\", \"x\"): No such file or directory")]
    [InlineData("EXEC:{dir}/missing a b c", "E execvp(\"{dir}/missing\", \"{dir}/missing\", \"a\", \"b\", ...): No such file or directory")]
    [InlineData("EXEC:{dir}/plain", "E execvp(\"{dir}/plain\", \"{dir}/plain\"): Permission denied")]
    [InlineData("EXEC:cat,ctty", "E option ctty (tiocsctty) needs option pty")]
    [InlineData("EXEC:cat,raw", "E tcgetattr(")]
    public async Task BadChildProgramsFailCleanly(string address, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["plain"], "#!/bin/sh\necho never\n");
        var r = await Run.SharpCatAsync(Encoding.ASCII.GetBytes("data\n"), "-", address.Replace("{dir}", dir.Path));
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        var errors = r.LogLines.Where(l => l.StartsWith("E ")).ToArray();
        Assert.Single(errors);
        Assert.StartsWith(message.Replace("{dir}", dir.Path), errors[0]);
        Assert.Equal(["plain"], dir.Entries());
    }

    [Fact]
    public async Task AChrootThatCannotBeEnteredFailsInTheChildAsInSocat()
    {
        var r = await Run.SharpCatAsync([], "-", "EXEC:id,chroot=/nonexistent-sharpcat-root");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal(2, r.LogLines.Length);
        Assert.Equal("E chroot(\"/nonexistent-sharpcat-root\"): No such file or directory", r.LogLines[0]);
        Assert.Matches(@"^E waitpid\(\): child \d+ exited with status 1$", r.LogLines[1]);
    }

    [Theory]
    [InlineData("su=no-such-user-here", "E option \"su\": unknown user \"no-such-user-here\"")]
    [InlineData("setgid=no-such-group-here", "E option \"setgid\": unknown group \"no-such-group-here\"")]
    public async Task UnknownUsersAndGroupsFailBeforeAnythingStarts(string options, string message)
    {
        var r = await Run.SharpCatAsync([], "-", $"EXEC:id,{options}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([message], r.LogLines);
    }

    [Fact]
    public async Task SighupGoesToTheChildAndTheRelayGoesOn()
    {
        using var dir = new TempDir();
        string trap = Script(dir, "trap", "trap 'echo got-hup' HUP; echo ready; while :; do sleep 0.02; done");
        using var relay = LiveProcess.SharpCat("-d", "-d", "-", $"EXEC:{trap},sighup");
        await relay.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("ready\n"));
        relay.Signal(1);
        await relay.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("got-hup\n"));
        Assert.Contains("passing signal 1 to the child process(es)", relay.StderrText);
        // Any other signal still ends the relay, and the child with it.
        relay.Signal(15);
        Assert.Equal(143, await relay.WaitForExitAsync());
        await Wait.UntilAsync(() => !ProcessRuns(trap)); // the child got SIGTERM too
    }

    private static bool ProcessRuns(string script) =>
        Directory.GetDirectories("/proc").Any(d => int.TryParse(Path.GetFileName(d), out _)
            && File.Exists($"{d}/cmdline") && Safe(() => File.ReadAllText($"{d}/cmdline")).Contains(script));

    private static string Safe(Func<string> read)
    {
        try { return read(); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; }
    }

    [Fact]
    public async Task AShellOnAPtyIsInteractive()
    {
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,reuseaddr,bind=127.0.0.1", "EXEC:/bin/bash --norc --noprofile -i,pty,stderr,setsid,ctty");
        using var _ = relay;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var seen = new StringBuilder();
        async Task<string> Expect(string pattern)
        {
            var buffer = new byte[4096];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (!Regex.IsMatch(seen.ToString(), pattern))
            {
                int n;
                try { n = await stream.ReadAsync(buffer, limit.Token); }
                catch (OperationCanceledException) { throw new TimeoutException($"no /{pattern}/ within 20 s; saw: {seen}\nrelay: {relay.StderrText}"); }
                Assert.True(n > 0, $"EOF while waiting for /{pattern}/; saw: {seen}");
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            var m = Regex.Match(seen.ToString(), pattern);
            string upTo = seen.ToString()[..(m.Index + m.Length)];
            seen.Remove(0, m.Index + m.Length);
            return upTo;
        }
        async Task Send(string text) => await stream.WriteAsync(Encoding.UTF8.GetBytes(text));

        // Markers are computed by the shell ($((...))), so the terminal's echo of the input never matches them.
        await Send("tty; stty size; echo END-$((1+1))\n");
        string first = await Expect(@"END-2\r\n");
        Assert.Matches(@"/dev/pts/\d+\r\n0 0\r\nEND-2\r\n$", first);
        await Send("echo ab$((6*7))cd\n");
        await Expect(@"ab42cd\r\n");
        // Ctrl-C reaches the foreground job through the pty's line discipline: the sleep ends and
        // the rest of its line does not run.
        await Send("sleep 61.25; echo NOT-$((3+3))\n");
        for (int i = 0; (await Run.ProgramAsync("pgrep", ["-f", "^sleep 61.25$"], [], TimeSpan.FromSeconds(10))).ExitCode != 0; i++)
            Assert.True(i < 1000, "the sleep never started");
        await Send("\u0003");
        await Send("echo AFTER-$((2+2))\n");
        string afterInterrupt = await Expect(@"AFTER-4\r\n");
        Assert.DoesNotContain("NOT-6", afterInterrupt);
        await Send("exit 0\n");
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest).WaitAsync(TimeSpan.FromSeconds(20)); // EOF: the relay ended
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task AThousandExecRelaysLeaveNoZombieAndNoFd()
    {
        // -t 10: fifty cats starting at once on a busy machine may take longer than the default
        // half second to echo after their input ends, and socat too would then close (not what this test is about).
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "-t", "10", "TCP-LISTEN:0,reuseaddr,fork,bind=127.0.0.1", "EXEC:cat");
        using var _ = relay;
        async Task EchoAsync(byte[] data)
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            var s = c.GetStream();
            await s.WriteAsync(data);
            c.Client.Shutdown(SocketShutdown.Send);
            var back = new MemoryStream();
            await s.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(data, back.ToArray());
        }
        await EchoAsync([1, 2, 3]);
        await Wait.UntilAsync(() => relay.StderrText.Contains("relay 1 finished"));
        int fdsBefore = Directory.GetFiles($"/proc/{relay.Pid}/fd").Length;
        // 1000 relays, 50 at a time.
        for (int round = 0; round < 20; round++)
            await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => EchoAsync(RandomNumberGenerator.GetBytes(2000))));
        await Wait.UntilAsync(() => Regex.Matches(relay.StderrText, @"relay \d+ finished").Count == 1001);
        await Wait.UntilAsync(() => Children(relay.Pid).Length == 0 && Directory.GetFiles($"/proc/{relay.Pid}/fd").Length <= fdsBefore);
        Assert.Empty(Children(relay.Pid));
        Assert.True(Directory.GetFiles($"/proc/{relay.Pid}/fd").Length <= fdsBefore);
        Assert.Equal(1001, Regex.Matches(relay.StderrText, @"child process \d+ exited with status 0").Count);
    }

    /// <summary>The pids whose parent is <paramref name="pid"/>, zombies included.</summary>
    private static string[] Children(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").SelectMany(t =>
            File.Exists($"{t}/children") ? File.ReadAllText($"{t}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries) : []).ToArray();

    /// <summary>
    /// A program's end ends the relay (after -t), as in socat, even while the other side stays
    /// silent and open: here a TCP peer that accepts and never sends.
    /// </summary>
    [Fact]
    public async Task AProgramsEndEndsTheRelayAsInSocat()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(10);
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            // The program lives a moment (its work), so that both relays are set up when it ends.
            var run = Run.ProgramAsync(program, ["-u", $"TCP:127.0.0.1:{port}", "SYSTEM:exec sleep 0.1"], [], Run.DefaultTimeout);
            using var held = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var r = await run;
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
        }
    }
}
