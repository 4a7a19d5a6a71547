using System.Diagnostics;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>socat's global options, run through the published binary.</summary>
public class GlobalOptionTests
{
    [Fact]
    public async Task QuietByDefaultAndNoticesWithDashDd()
    {
        var quiet = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-", "/dev/null");
        Assert.Equal(0, quiet.ExitCode);
        Assert.Empty(quiet.Stderr);
        var loud = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-d", "-d", "-", "/dev/null");
        Assert.Equal(0, loud.ExitCode);
        Assert.Contains("N reading from and writing to stdio", loud.LogLines);
        Assert.Contains("N opening character device \"/dev/null\" for reading and writing", loud.LogLines);
        Assert.Contains(loud.LogLines, l => Regex.IsMatch(l, @"^N starting data transfer loop with FDs \[0,1\] and \[\d+,\d+\]$"));
        Assert.Equal("N exiting with status 0", loud.LogLines[^1]);
        Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d sharpcat\[\d+\] N ", loud.StderrText);
    }

    [Fact]
    public async Task InfoLevelAddsTransferLines()
    {
        var r = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-ddd", "-u", "-", "/dev/null");
        Assert.Contains("I transferred 3 bytes from socket 1 to socket 2", r.LogLines);
    }

    [Fact]
    public async Task LogToFileWithProgramNameMicrosecondsAndHost()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-dd", "-lf", dir["log"], "-lpMYNAME", "-lu", "-lh", "-u", "-", "/dev/null");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Stderr);
        string log = File.ReadAllText(dir["log"]);
        Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} \S+ MYNAME\[\d+\] N using stdin for reading\n", log);
        Assert.Contains(System.Net.Dns.GetHostName(), log);
    }

    [Fact]
    public async Task LogFileOptionAttached()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("-dd", $"-lf{dir["log"]}", "-u", "/dev/null", "/dev/null");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("N exiting with status 0", File.ReadAllText(dir["log"]));
    }

    [Fact]
    public async Task UnknownLogOption()
    {
        var r = await Run.SharpCatAsync("-lx", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("E unknown log option \"-lx\"; use option \"-h\" for help", r.LogLines.Single());
    }

    [Fact]
    public async Task DashUAndDashUpperUExclude()
    {
        var r = await Run.SharpCatAsync("-u", "-U", "-", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("E -U and -u must not be combined", r.LogLines.Single());
    }

    [Fact]
    public async Task BufferSizeSetsTheChunkSize()
    {
        var r = await Run.SharpCatAsync("hello"u8.ToArray(), "-b", "2", "-v", "-u", "-", "/dev/null");
        Assert.Equal(3, Regex.Matches(r.StderrText, "length=").Count);
        Assert.Contains("length=1 from=4 to=4", r.StderrText);
    }

    [Fact]
    public async Task CloseTimeoutCutsALateDirectionAndSaysSo()
    {
        using var dir = new TempDir();
        // The writer pauses 3 s after "a": the file side is already at EOF, so -t 0.2 ends the relay first.
        var r = await Run.ShellAsync($"(printf a; sleep 3; printf b) | {Binaries.SharpCat} -d -t 0.2 - OPEN:{dir["f"]},creat");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("a", File.ReadAllText(dir["f"]));
        Assert.Contains(r.LogLines, l => l.StartsWith("W -t 0.2: closing socket 1 -> socket 2"));
    }

    [Fact]
    public async Task LongerCloseTimeoutWaits()
    {
        using var dir = new TempDir();
        var r = await Run.ShellAsync($"(printf a; sleep 0.3; printf b) | {Binaries.SharpCat} -t 10 - OPEN:{dir["f"]},creat");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("ab", File.ReadAllText(dir["f"]));
    }

    [Fact]
    public async Task InactivityTimeoutEndsAnIdleRelay()
    {
        var r = await Run.SharpCatAsync("-dd", "-T", "0.3", "PIPE", "PIPE");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("N inactivity timeout triggered", r.LogLines);
    }

    [Fact]
    public async Task NoGroupCheckWithDashG()
    {
        var strict = await Run.SharpCatAsync([], "-,creat", "/dev/null");
        Assert.Equal(1, strict.ExitCode);
        // -g lets a socket option through to any socket: the kernel decides (TCP_NODELAY on UDP: no).
        var loose = await Run.SharpCatAsync([], "-g", "-u", "-", "UDP-SENDTO:127.0.0.1:9,nodelay");
        Assert.Equal(1, loose.ExitCode);
        Assert.Contains("setsockopt(", loose.LogLines.Single());
    }

    [Fact]
    public async Task DashGRefusesAnOptionNothingWouldUse()
    {
        // socat creates the file, then fails with "1 option(s) could not be used"; this refuses first.
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync([], "-g", "-u", "-", $"OPEN:{dir["f"]},creat,nodelay");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("E OPEN: option \"nodelay\" does not apply to this address type (option group TCP,", r.LogLines.Single());
        Assert.EndsWith("and nothing here would use it even under -g", r.LogLines.Single());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task LockFileHoldsPidAndIsRemoved()
    {
        using var dir = new TempDir();
        using var p = LiveProcess.SharpCat("-L", dir["lock"], "-dd", "PIPE", "PIPE");
        await p.WaitForStderrAsync("starting data transfer loop");
        Assert.Equal(p.Pid.ToString(), File.ReadAllText(dir["lock"]));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["lock"]));
        p.Signal(15);
        Assert.Equal(143, await p.WaitForExitAsync());
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public async Task WaitLockWaitsForTheHolder()
    {
        using var dir = new TempDir();
        using var holder = LiveProcess.SharpCat("-L", dir["lock"], "-dd", "PIPE", "PIPE");
        await holder.WaitForStderrAsync("starting data transfer loop");
        using var waiter = LiveProcess.SharpCat("-W", dir["lock"], "-dd", "-u", "/dev/null", $"OPEN:{dir["out"]},creat");
        await waiter.WaitForStderrAsync($"N waiting for lock \"{dir["lock"]}\"");
        Assert.False(File.Exists(dir["out"]));
        holder.Signal(2);
        Assert.Equal(130, await holder.WaitForExitAsync());
        Assert.Equal(0, await waiter.WaitForExitAsync());
        Assert.True(File.Exists(dir["out"]));
        Assert.False(File.Exists(dir["lock"]));
    }

    [Theory]
    [InlineData(15, 143, "W exiting on signal 15")]
    [InlineData(2, 130, "N exiting on signal 2")]
    [InlineData(1, 129, "N exiting on signal 1")]
    [InlineData(3, 131, "E exiting on signal 3")]
    public async Task SignalsEndTheRelayWithSocatsStatus(int signal, int status, string line)
    {
        using var p = LiveProcess.SharpCat("-dd", "PIPE", "PIPE");
        await p.WaitForStderrAsync("starting data transfer loop");
        p.Signal(signal);
        Assert.Equal(status, await p.WaitForExitAsync());
        Assert.Contains(line, p.StderrText);
    }

    [Fact]
    public async Task AnalyzeFdsDescribesEachDescriptor()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-D", "-", $"OPEN:{dir["f"]},creat,append,nonblock,cloexec=0");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("  FD  type\tdevice\tinode\tmode\tlinks", r.StderrText);
        Assert.Matches(@"\n   0: pipe\t", r.StderrText);
        // The file: not close-on-exec, O_RDWR|O_APPEND|O_NONBLOCK (plus O_LARGEFILE from the kernel).
        Assert.Matches(@"\n +\d+: file\t[^\n]*\t0\tx00(8|0)c02\t", r.StderrText);
    }

    [Fact]
    public async Task SloppyModeLogsAFailedOptionAndGoesOn()
    {
        using var dir = new TempDir();
        var strict = await Run.SharpCatAsync("x"u8.ToArray(), "-u", "-", $"OPEN:{dir["f"]},creat,ioctl-void=0x5401");
        Assert.Equal(1, strict.ExitCode);
        var sloppy = await Run.SharpCatAsync("x"u8.ToArray(), "-s", "-u", "-", $"OPEN:{dir["g"]},creat,ioctl-void=0x5401");
        Assert.Equal(0, sloppy.ExitCode);
        Assert.Contains(sloppy.LogLines, l => l.StartsWith("E ioctl(") && l.EndsWith("Inappropriate ioctl for device"));
        Assert.Equal("x", File.ReadAllText(dir["g"]));
    }

    [Fact]
    public async Task IpPreferenceFlagsParse()
    {
        Assert.Equal(0, (await Run.SharpCatAsync("-4", "-u", "/dev/null", "/dev/null")).ExitCode);
        Assert.Equal(0, (await Run.SharpCatAsync("-6", "-u", "/dev/null", "/dev/null")).ExitCode);
    }

    /// <summary>
    /// socat's environment: SOCAT_DEFAULT_LISTEN_IP=6 makes a listener without pf= or -4/-6 listen
    /// on IPv6; -4 on the command line wins over it.
    /// </summary>
    [Theory]
    [InlineData("", "AF=10 [")]
    [InlineData("-4", "AF=2 ")]
    public async Task DefaultListenIpComesFromTheEnvironment(string flag, string expected)
    {
        var r = await Run.ShellAsync($"SOCAT_DEFAULT_LISTEN_IP=6 {Binaries.SharpCat} -d -d {flag} TCP-LISTEN:0,accept-timeout=0.01 PIPE");
        Assert.Contains($"listening on {expected}", r.StderrText);
    }

    /// <summary>
    /// nofork with setsid: this process starts a session, and the shell SYSTEM runs as socat's
    /// system(3) runs it, as its child in that session (socat's NOFORKSETSID), beside socat.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task NoforkWithSetsidMakesThisProcessASessionLeader(string program)
    {
        // Run from a shell without job control: the program is not a group leader, so setsid works.
        string binary = Binaries.Of(program);
        var r = await Run.ShellAsync($"echo | {binary} - 'SYSTEM:echo $PPID $(ps -o sid= -p $$),nofork,setsid'");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] ids = r.StdoutText.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, ids.Length);
        Assert.Equal(ids[0], ids[1]);
    }

    /// <summary>
    /// SYSTEM with nofork ends with its shell's exit status, and a signal to the relay ends the
    /// relay (128+signal) while the shell, its child, lives on (socat's EXITCODESIGTERM); options
    /// for a child's connection (pty) mean nothing there: socat ignores them, sharpcat warns.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task NoforkSystemEndsWithItsShellsStatus(string program)
    {
        string binary = Binaries.Of(program);
        var r = await Run.ShellAsync($"echo hi | {binary} -d - 'SYSTEM:cat; exit 3,nofork,pty'");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("hi\n", r.StdoutText);
        if (program == "sharpcat") Assert.Contains("W SYSTEM: option pty has no effect with nofork", r.StderrText);

        using var dir = new TempDir();
        string pidFile = Path.Combine(dir.Path, "shell.pid");
        // The shell keeps no copy of the relay's stderr: the test waits for that pipe's end.
        using var relay = LiveProcess.Start(binary, "-d", "-d", "ECHO", $"SYSTEM:echo $$ >{pidFile}; exec sleep 30 2>/dev/null,nofork");
        await Wait.UntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'));
        int shell = int.Parse(File.ReadAllText(pidFile));
        try
        {
            relay.Signal(15);
            Assert.Equal(143, await relay.WaitForExitAsync());
            Assert.True(Directory.Exists($"/proc/{shell}"), "the shell ended with the relay");
        }
        finally
        {
            Process.GetProcessById(shell).Kill();
        }
    }

    /// <summary>
    /// setsid on an address that starts no program acts on this process (socat's MAINSETSID): the
    /// program of the other address is then in the session and group this process leads.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task SetsidOnStdioMakesThisProcessASessionLeader(string program)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        string script = Path.Combine(dir.Path, "ids.sh");
        File.WriteAllText(script, "#!/bin/sh\necho $PPID $(ps -o pgid= -o sid= -p $$)\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var r = await Run.ShellAsync($"{binary} -U -,setsid EXEC:{script} </dev/null");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] ids = r.StdoutText.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, ids.Length);
        Assert.All(ids, id => Assert.Equal(ids[0], id));
    }
}
