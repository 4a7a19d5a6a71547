using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's POSIXMQ addresses on Linux message queues, each case run by socat 1.8.0.3 and by
/// sharpcat alike, and across the two (one writes, the other reads the same queue).
/// </summary>
public sealed class PosixMqTests : IDisposable
{
    private readonly string _queue = $"/sharpcat-test-{Guid.NewGuid():N}";

    /// <summary>The queue goes at the end whoever made it: opened once more with unlink-close.</summary>
    public void Dispose() =>
        Run.ProgramAsync(Binaries.SharpCat, ["-u", "/dev/null", $"POSIXMQ-SEND:{_queue},unlink-close"], [], Run.DefaultTimeout).GetAwaiter().GetResult();

    private static Task<RunResult> RunAsync(string program, string stdin, params string[] args) =>
        Run.ProgramAsync(Binaries.Of(program), args, Encoding.ASCII.GetBytes(stdin), Run.DefaultTimeout);

    private async Task SendAsync(string program, string message, string options = "")
    {
        var r = await RunAsync(program, message, "-u", "-", $"POSIXMQ-SEND:{_queue}{options}");
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private async Task<string> ReceiveAsync(string program)
    {
        var r = await RunAsync(program, "", "-u", $"POSIXMQ-RECEIVE:{_queue}", "-");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.StdoutText;
    }

    /// <summary>RECEIVE takes one message, whole, and ends; READ reads them all in order, one read each.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task EachMessageIsOneReadAndKeepsItsBoundaries(string program)
    {
        await SendAsync(program, "ab");
        await SendAsync(program, "cde");
        await SendAsync(program, "f\ng\n");
        Assert.Equal("ab", await ReceiveAsync(program));
        var r = await RunAsync(program, "", "-v", "-T", "0.3", "-u", $"POSIXMQ-READ:{_queue}", "-");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("cdef\ng\n", r.StdoutText);
        Assert.Equal(["length=3", "length=4"], r.StderrText.Split('\n').Where(l => l.Contains("length="))
            .Select(l => l[l.IndexOf("length=", StringComparison.Ordinal)..].Split(' ')[0]));
    }

    /// <summary>
    /// A message of higher priority is read first. (socat 1.8.0.3 types mq-prio as a boolean, so
    /// only 0 and 1 mean the same to both.)
    /// </summary>
    [Theory]
    [InlineData("socat18", "socat18")]
    [InlineData("sharpcat", "sharpcat")]
    [InlineData("socat18", "sharpcat")]
    [InlineData("sharpcat", "socat18")]
    public async Task HigherPriorityIsReadFirstAcrossPrograms(string sender, string receiver)
    {
        await SendAsync(sender, "low");
        await SendAsync(sender, "high", ",mq-prio=1");
        await SendAsync(sender, "low again", ",posixmq-priority=0");
        Assert.Equal("high", await ReceiveAsync(receiver));
        Assert.Equal("low", await ReceiveAsync(receiver));
        Assert.Equal("low again", await ReceiveAsync(receiver));
    }

    [Theory]
    [InlineData("sharpcat")]
    public async Task ANumericPriorityOrdersMessages(string program)
    {
        await SendAsync(program, "three", ",mq-prio=3");
        await SendAsync(program, "ten", ",mq-prio=10");
        await SendAsync(program, "seven", ",mq-prio=7");
        Assert.Equal("ten", await ReceiveAsync(program));
        Assert.Equal("seven", await ReceiveAsync(program));
        Assert.Equal("three", await ReceiveAsync(program));
    }

    /// <summary>Both ways at once, a queue is an echo.</summary>
    [Theory]
    [InlineData("socat18", "POSIXMQ")]
    [InlineData("sharpcat", "POSIXMQ")]
    [InlineData("socat18", "POSIXMQ-BIDIRECTIONAL")]
    [InlineData("sharpcat", "POSIXMQ-BIDIRECTIONAL")]
    public async Task BidirectionalIsAnEcho(string program, string keyword)
    {
        var r = await RunAsync(program, "a\nb\n", "-t", "0.2", "-", $"{keyword}:{_queue}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("a\nb\n", r.StdoutText);
    }

    /// <summary>With fork, every message is handed to a relay of its own (here a shell that appends it and a mark).</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ReceiveWithForkServesEveryMessage(string program)
    {
        using var dir = new TempDir();
        foreach (string m in new[] { "one", "two", "three" }) await SendAsync("sharpcat", m + "\n");
        using var relay = LiveProcess.Start(Binaries.Of(program), "-u", $"POSIXMQ-RECV:{_queue},fork",
            $"SYSTEM:cat >>{dir["out"]}; echo -- >>{dir["out"]}");
        await Wait.UntilAsync(() => File.Exists(dir["out"]) && File.ReadAllLines(dir["out"]).Count(l => l == "--") == 3);
        Assert.False(relay.HasExited);
        relay.Signal(15);
        await relay.WaitForExitAsync();
        Assert.Equal(["--", "--", "--", "one", "three", "two"], File.ReadAllLines(dir["out"]).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// socat's test.sh POSIXMQ_RECV_FORK: every message's relay writes to the one stdout, which the
    /// first relay must not close (socat's children each close only their own copy).
    /// </summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ReceiveWithForkWritesEveryMessageToStdout(string program)
    {
        await SendAsync(program, "first\n");
        await SendAsync(program, "second\n");
        using var relay = LiveProcess.Start(Binaries.Of(program), "-u", $"POSIXMQ-RECV:{_queue},fork", "STDOUT");
        await relay.WaitForStdoutAsync(o => o.Length >= 13);
        await SendAsync(program, "third\n");
        await relay.WaitForStdoutAsync(o => o.Length >= 19);
        relay.Signal(15);
        await relay.WaitForExitAsync();
        // The relays run side by side: the first two may come out in either order.
        Assert.Equal(["first", "second", "third"], Encoding.ASCII.GetString(relay.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(" E ", relay.StderrText);
    }

    /// <summary>SEND with fork starts a relay (here a shell's echo) every interval, each one message.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task SendWithForkStartsARelayEveryInterval(string program)
    {
        using var relay = LiveProcess.Start(Binaries.Of(program), "-U", $"POSIXMQ-SEND:{_queue},fork,interval=0.1", "SYSTEM:echo tick");
        for (int i = 0; i < 3; i++) Assert.Equal("tick\n", await ReceiveAsync("sharpcat"));
        Assert.False(relay.HasExited);
        relay.Signal(15);
        await relay.WaitForExitAsync();
    }

    /// <summary>posixmq-flush drops what is queued before the transfer: RECEIVE then waits for a new message.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task FlushDropsWhatIsQueued(string program)
    {
        await SendAsync(program, "old");
        using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-d", "-u", $"POSIXMQ-RECEIVE:{_queue},mq-flush", "-");
        await relay.WaitForStderrAsync("flushed 3 bytes in 1 packets");
        await SendAsync(program, "new");
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("new", Encoding.ASCII.GetString(relay.Stdout));
    }

    /// <summary>maxmsg and msgsize size a new queue; a message longer than msgsize is refused by mq_send.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task SizesApplyToANewQueue(string program)
    {
        var r = await RunAsync(program, "x", "-d", "-d", "-d", "-u", "-", $"POSIXMQ-SEND:{_queue},mq-maxmsg=3,mq-msgsize=16");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(r.LogLines, l => l == $"I POSIXMQ queue \"{_queue}\" attrs: {{ flags=0, maxmsg=3, msgsize=16, curmsgs=0 }}");
        var tooLong = await RunAsync(program, "0123456789abcdefgh", "-u", "-", $"POSIXMQ-SEND:{_queue}");
        Assert.Equal(1, tooLong.ExitCode);
        Assert.Matches(@"^E mq_send\(mqd=\d+\): Message too long$", Assert.Single(tooLong.LogLines));
    }

    /// <summary>
    /// o-excl refuses a queue that exists; unlink-close removes the queue at the end, so that an
    /// o-excl open after it creates the queue anew.
    /// </summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ExclAndUnlinkCloseSeeWhetherTheQueueExists(string program)
    {
        await SendAsync(program, "kept");
        var excl = await RunAsync(program, "", "-u", "/dev/null", $"POSIXMQ-SEND:{_queue},o-excl");
        Assert.Equal(1, excl.ExitCode);
        Assert.EndsWith(": File exists", Assert.Single(excl.LogLines));
        Assert.Equal(0, (await RunAsync(program, "", "-u", "/dev/null", $"POSIXMQ-SEND:{_queue},unlink-close")).ExitCode);
        Assert.Equal(0, (await RunAsync(program, "", "-u", "/dev/null", $"POSIXMQ-SEND:{_queue},o-excl")).ExitCode);
    }

    /// <summary>A name without its leading slash is the kernel's (glibc's) EINVAL, in socat's words.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ANameWithoutSlashIsRefusedByMqOpen(string program)
    {
        var r = await RunAsync(program, "", "-u", "POSIXMQ-READ:noslash", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("^E POSIXMQ-READ: mq_open\\(\"noslash\", 0\\d+, 0666, NULL\\): Invalid argument$", Assert.Single(r.LogLines));
    }
}
