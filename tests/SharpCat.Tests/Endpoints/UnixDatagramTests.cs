using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>UNIX and abstract datagram sockets, and UNIX-CLIENT/GOPEN falling back to them.</summary>
public class UnixDatagramTests
{
    private static Socket Bound(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        return s;
    }

    [Fact]
    public async Task SendtoAndRecvfromExchangeAndRemoveTheirFiles()
    {
        using var dir = new TempDir();
        using var server = LiveProcess.SharpCat("-d", "-d", $"UNIX-RECVFROM:{dir["srv"]}", "SYSTEM:read l; echo got-$l");
        await server.WaitForStderrAsync("receiving on ");
        var r = await Run.SharpCatAsync("hello\n"u8.ToArray(), "-t", "2", "-", $"UNIX-SENDTO:{dir["srv"]},bind={dir["cli"]}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("got-hello\n", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Empty(dir.Entries());
    }

    [Theory]
    [InlineData("UNIX-CLIENT:{0}")]
    [InlineData("{0}")]
    [InlineData("GOPEN:{0}")]
    public async Task ClientAndGopenFallBackToDatagrams(string address)
    {
        using var dir = new TempDir();
        using var receiver = Bound(dir["dgram"]);
        var r = await Run.SharpCatAsync("one datagram"u8.ToArray(), "-u", "-", string.Format(address, dir["dgram"]));
        Assert.Equal(0, r.ExitCode);
        var buffer = new byte[100];
        int n = receiver.Receive(buffer);
        Assert.Equal("one datagram", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task AbstractRecvTakesDatagramsWithoutAFile()
    {
        string name = $"sharpcat-test-{Guid.NewGuid():N}";
        using var relay = LiveProcess.SharpCat("-d", "-d", "-u", $"ABSTRACT-RECV:{name}", "-");
        await relay.WaitForStderrAsync("receiving on ");
        using var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sender.SendTo("abstract"u8.ToArray(), new UnixDomainSocketEndPoint("\0" + name));
        await relay.WaitForStdoutAsync(o => o.Length >= 8);
        Assert.Equal("abstract"u8.ToArray(), relay.Stdout);
    }

    [Fact]
    public async Task ARecvSocketThatExistsIsRefusedUnlessUnlinkEarly()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["taken"], "");
        var r = await Run.SharpCatAsync([], "-u", $"UNIX-RECV:{dir["taken"]}", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"E \"{dir["taken"]}\" exists"], r.LogLines);
        Assert.Equal("", File.ReadAllText(dir["taken"]));
    }

    [Fact]
    public async Task TenThousandDatagramsKeepTheirBoundaries()
    {
        using var dir = new TempDir();
        const string script = """
            import os, random, socket, sys
            inp, out = sys.argv[1], sys.argv[2]
            sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); sink.bind(out); sink.settimeout(10)
            src = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            rnd = random.Random(11); sent = []; got = 0
            sizes = [rnd.choice([1, 2, 100, 8192, 8193, 65507]) if i % 3 else rnd.randint(1, 65507) for i in range(10000)]
            print("ready", flush=True); sys.stdin.readline()
            for n in sizes:
                d = os.urandom(n); sent.append(d); src.sendto(d, inp)
                while len(sent) - got > 4:
                    if sink.recv(70000) != sent[got]: print("MISMATCH at", got); sys.exit(1)
                    got += 1
            while got < len(sent):
                if sink.recv(70000) != sent[got]: print("MISMATCH at", got); sys.exit(1)
                got += 1
            print("ok", got)
            """;
        using var peer = LiveProcess.Start("python3", "-c", script, dir["in"], dir["out"]);
        await peer.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("ready"));
        using var relay = LiveProcess.SharpCat("-d", "-d", "-b", "65536", "-u", $"UNIX-RECV:{dir["in"]}", $"UNIX-SENDTO:{dir["out"]}");
        await relay.WaitForStderrAsync("starting data transfer loop");
        await peer.Stdin.WriteAsync("go\n"u8.ToArray());
        await peer.Stdin.FlushAsync();
        Assert.Equal(0, await peer.WaitForExitAsync());
        Assert.True(Encoding.ASCII.GetString(peer.Stdout).EndsWith("ok 10000\n"), Encoding.ASCII.GetString(peer.Stdout) + relay.StderrText);
    }
}
