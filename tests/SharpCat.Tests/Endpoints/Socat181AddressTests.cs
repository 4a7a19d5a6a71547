using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8.1's STALL and TEXT addresses and its tiocswinsz option beside socat 1.8.1.3 (built by
/// tools/socat181.sh from Debian's source): the same bytes and exit status from the same command line.
/// </summary>
public class Socat181AddressTests
{
    private static readonly string[] Programs = ["socat181", "sharpcat"];

    /// <summary>TEXT's string as the address parser leaves it: quotes gone, C escapes made, cut at a NUL.</summary>
    [Theory]
    [InlineData("TEXT:hello")]
    [InlineData("TEXT:a\\nb\\n")]
    [InlineData("TEXT:a\\,b")]
    [InlineData("TEXT:'x y,z'")]
    [InlineData("TEXT:\"q\\\"r\"")]
    [InlineData("TEXT:x\\0y")]
    [InlineData("TEXT:")]
    [InlineData("TEXT:Grüße")]
    public async Task TextIsTheDataReadAsInSocat181(string address)
    {
        var outputs = new List<byte[]>();
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", address, "STDOUT"], [], Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            outputs.Add(r.Stdout);
        }
        Assert.Equal(outputs[0], outputs[1]);
    }

    [Fact]
    public async Task TextOfExactBytes()
    {
        var r = await Run.SharpCatAsync("-u", "TEXT:line one\\nline two", "STDOUT");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("line one\nline two", r.StdoutText);
        // Longer than a pipe holds (64 KiB): all of it still arrives.
        string big = new('x', 100_000);
        var large = await Run.SharpCatAsync("-u", "TEXT:" + big, "STDOUT");
        Assert.Equal(0, large.ExitCode);
        Assert.Equal(big, large.StdoutText);
    }

    /// <summary>Both ways: the text goes to an echo server, and what comes back is written to stdout.</summary>
    [Fact]
    public async Task WhatIsWrittenToTextGoesToStdoutAsInSocat181()
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), ["TEXT:round trip\\n", $"TCP:127.0.0.1:{echo.Port}"], [], Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal("round trip\n", r.StdoutText);
        }
    }

    /// <summary>Written to only, TEXT is STDOUT (with socat's warning, shown here from -d on).</summary>
    [Fact]
    public async Task WriteOnlyTextIsStdoutAsInSocat181()
    {
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-d", "-u", "STDIN", "TEXT:ignored"], "from stdin\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal("from stdin\n", r.StdoutText);
            Assert.Contains(r.LogLines, l => l.EndsWith("W TEXT address in write-only context degenerates to STDOUT"));
        }
    }

    [Theory]
    [InlineData("TEXT", "E TEXT: wrong number of parameters (0 instead of 1)")]
    [InlineData("TEXT:a:b", "E TEXT: wrong number of parameters (2 instead of 1)")]
    [InlineData("STALL:x", "E STALL: wrong number of parameters (1 instead of 0)")]
    public async Task WrongParametersAreRefusedAsBySocat181(string address, string error)
    {
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), [address, "-"], [], Run.DefaultTimeout);
            Assert.True(r.ExitCode == 1, $"{program}: {r}");
            Assert.Empty(r.Stdout);
            if (program == "sharpcat") Assert.Equal(error, Assert.Single(r.LogLines));
        }
    }

    /// <summary>STALL gives nothing and takes nothing: only -T (inactivity) ends these relays, with nothing written.</summary>
    [Theory]
    [InlineData("-u", "STALL", "STDOUT")]
    [InlineData("-U", "STDOUT", "STALL")]
    [InlineData("STDIO", "STALL", null)]
    [InlineData("STALL", "STDIO", null)]
    [InlineData("TEXT:never\\n", "STALL", null)]
    public async Task StallEndsOnlyByInactivityAsInSocat181(string a, string b, string? c)
    {
        foreach (string program in Programs)
        {
            string[] args = c is null ? ["-T", "1", a, b] : ["-T", "1", a, b, c];
            var r = await Run.ProgramAsync(Binaries.Of(program), args, "some input\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Empty(r.Stdout);
        }
    }

    /// <summary>
    /// STALL never takes data, so the relay never reads the other address for it: a peer's data and
    /// its close stay unread in the socket (end of file unseen, so the relay runs on), as under socat.
    /// </summary>
    [Fact]
    public async Task StallLeavesTheOtherAddressUnreadAsInSocat181()
    {
        foreach (string program in Programs)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", $"TCP:127.0.0.1:{port}", "STALL");
            using var peer = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await peer.SendAsync("held back\n"u8.ToArray());
            peer.Shutdown(SocketShutdown.Send);
            await relay.WaitForStderrAsync(log => log.Contains("starting data transfer loop"), "the transfer loop");
            using var socket = ForeignSocket.Find(relay.Pid, s => s.Peer == $"127.0.0.1:{port}")
                ?? throw new InvalidOperationException($"{program}: no connection; stderr:\n{relay.StderrText}");
            await Wait.UntilAsync(() => socket.Unread == 10, 10);
            // A window for a read that should not come: a relay that read would also have seen the
            // end of file and ended after -t's 0.5 s.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal(10, socket.Unread);
            Assert.False(relay.HasExited, $"{program} ended: {relay.StderrText}");
        }
    }

    /// <summary>tiocswinsz=columns:rows on a pty: the size stty reads from its other side.</summary>
    [Theory]
    [InlineData("tiocswinsz=33:44", "44 33")]
    [InlineData("winsz=100:5,raw", "5 100")]
    public async Task WindowSizeIsSetAsBySocat181(string option, string expected)
    {
        foreach (string program in Programs)
        {
            using var dir = new TempDir();
            string link = dir["pty"];
            using var relay = LiveProcess.Start(Binaries.Of(program), "-u", $"PTY,link={link},{option}", "STDOUT");
            await Wait.UntilAsync(() => File.Exists(link), 10);
            var r = await Run.ShellAsync($"stty size < {link}");
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal(expected, r.StdoutText.Trim());
        }
    }

    [Theory]
    [InlineData("PTY,tiocswinsz=70000:1", "E option \"tiocswinsz\": invalid value \"70000:1\": columns and rows are 0 to 65535")]
    [InlineData("PTY,winsz=-1:1", "E option \"winsz\": invalid value \"-1:1\": columns and rows are 0 to 65535")]
    [InlineData("PTY,tiocswinsz=80", "E option \"tiocswinsz\": invalid value \"80\": expected 2 numbers separated by ':'")]
    public async Task BadWindowSizesAreOneError(string address, string error)
    {
        var r = await Run.SharpCatAsync("-u", address, "STDOUT");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(error, Assert.Single(r.LogLines));
    }

    /// <summary>Not a terminal: the ioctl's failure ends it, as socat's does.</summary>
    [Fact]
    public async Task WindowSizeOnANonTerminalFails()
    {
        foreach (string program in Programs)
        {
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "STDIN,tiocswinsz=1:1", "STDOUT"], [], Run.DefaultTimeout);
            Assert.True(r.ExitCode == 1, $"{program}: {r}");
            Assert.Contains(r.LogLines, l => l.StartsWith("E ") && l.EndsWith("Inappropriate ioctl for device"));
        }
    }
}
