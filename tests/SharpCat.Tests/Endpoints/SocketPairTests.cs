using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>SOCKETPAIR (socat 1.8): an echo through a pair of UNIX sockets, against socat 1.8.0.3.</summary>
public class SocketPairTests
{
    public static TheoryData<string, string> Forms => new()
    {
        { "socat18", "SOCKETPAIR" }, { "sharpcat", "SOCKETPAIR" },
        { "socat18", "socketpair,socktype=1" }, { "sharpcat", "socketpair,socktype=1" },
        { "socat18", "SOCKETPAIR,socktype=5" }, { "sharpcat", "SOCKETPAIR,socktype=5" },
        { "socat18", "SOCKETPAIR,type=2,rcvbuf=65536" }, { "sharpcat", "SOCKETPAIR,type=2,rcvbuf=65536" },
    };

    /// <summary>Every form echoes stdin and ends with status 0 (a datagram pair after -t: it has no end of file).</summary>
    [Theory]
    [MemberData(nameof(Forms))]
    public async Task EchoesStdin(string program, string address)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-t", "0.2", "-", address], "abc\ndef\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("abc\ndef\n", r.StdoutText);
        Assert.Empty(r.LogLines);
    }

    /// <summary>A datagram pair gives each message back as one message: -v shows one transfer per datagram each way.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task ADatagramPairKeepsMessageBoundaries(string program)
    {
        using var dir = new TempDir();
        string path = dir["in.sock"];
        using var relay = LiveProcess.Start(Binaries.Of(program), "-v", "-T", "1", $"UNIX-RECV:{path}!!STDOUT", "SOCKETPAIR");
        await Wait.UntilAsync(() => File.Exists(path));
        using var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var target = new UnixDomainSocketEndPoint(path);
        await sender.SendToAsync("one\n"u8.ToArray(), SocketFlags.None, target);
        await sender.SendToAsync("second\n"u8.ToArray(), SocketFlags.None, target);
        await relay.WaitForStdoutAsync(o => o.Length >= 11);
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal("one\nsecond\n", Encoding.ASCII.GetString(relay.Stdout));
        // Each datagram is one transfer into the pair and one back out of it.
        string[] lengths = relay.StderrText.Split('\n').Where(l => l.Contains("length="))
            .Select(l => l[l.IndexOf("length=", StringComparison.Ordinal)..].Split(' ')[0]).Order().ToArray();
        Assert.Equal(["length=4", "length=4", "length=7", "length=7"], lengths);
    }

    [Theory]
    [InlineData("socat18", "SOCKETPAIR,socktype=7", "socketpair(1, 7, 0")]
    [InlineData("sharpcat", "SOCKETPAIR,socktype=7", "socketpair(1, 7, 0")]
    [InlineData("socat18", "SOCKETPAIR,socktype=2x", "socktype")]
    [InlineData("sharpcat", "SOCKETPAIR,socktype=2x", "socktype")]
    [InlineData("socat18", "SOCKETPAIR,bind=/tmp/x", "bind")]
    [InlineData("sharpcat", "SOCKETPAIR,bind=/tmp/x", "bind")]
    [InlineData("socat18", "SOCKETPAIR:x", "SOCKETPAIR")]
    [InlineData("sharpcat", "SOCKETPAIR:x", "SOCKETPAIR")]
    public async Task BadValuesAreRefused(string program, string address, string named)
    {
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-", address], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Contains(named, Assert.Single(r.LogLines, l => l.StartsWith("E ")));
    }
}
