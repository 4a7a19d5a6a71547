using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// ACCEPT-FD (socat 1.8) with a listening socket handed over as systemd's socket activation does:
/// bound and listening before the program starts, as fd 3, with LISTEN_FDS=1 and LISTEN_PID the
/// program's pid (a python3 wrapper binds, sets them, and execs the program in its own process).
/// Each case runs against socat 1.8.0.3 and sharpcat alike.
/// </summary>
public class AcceptFdTests
{
    private const string Activator = """
        import os, socket, sys
        kind, where = sys.argv[1], sys.argv[2]
        if kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", int(where)))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(where)
        s.listen(16)
        if s.fileno() != 3:
            os.dup2(s.fileno(), 3)
            s.close()
        os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.execv(sys.argv[3], sys.argv[3:])
        """;

    private sealed record Activated(LiveProcess Process, Func<Socket> NewClient, EndPoint Target);

    private static Activated Start(string program, string kind, TempDir dir, params string[] args)
    {
        EndPoint target;
        string where;
        Func<Socket> client;
        if (kind == "tcp")
        {
            int port = FreePorts.Next();
            where = port.ToString();
            target = new IPEndPoint(IPAddress.Loopback, port);
            client = () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }
        else
        {
            where = dir["listen.sock"];
            target = new UnixDomainSocketEndPoint(where);
            client = () => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        var process = LiveProcess.Start("/usr/bin/python3", ["-c", Activator, kind, where, Binaries.Of(program), .. args]);
        return new Activated(process, client, target);
    }

    private static async Task<string> ExchangeAsync(Activated a, string text)
    {
        using var client = a.NewClient();
        await client.ConnectAsync(a.Target);
        await client.SendAsync(Encoding.ASCII.GetBytes(text));
        client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        byte[] buffer = new byte[256];
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, bound.Token)) > 0) received.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(received.ToArray());
    }

    [Theory]
    [InlineData("socat18", "tcp")]
    [InlineData("sharpcat", "tcp")]
    [InlineData("socat18", "unix")]
    [InlineData("sharpcat", "unix")]
    public async Task WithoutForkOneConnectionIsServedThenTheProgramEnds(string program, string kind)
    {
        using var dir = new TempDir();
        var a = Start(program, kind, dir, "-d", "-d", "ACCEPT-FD:3", "PIPE");
        using var process = a.Process;
        await process.WaitForStderrAsync("listening on");
        Assert.Contains("N using file descriptor 3 accepting a connection for reading and writing", process.StderrText);
        Assert.Equal("activated\n", await ExchangeAsync(a, "activated\n"));
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Contains("accepting connection from", process.StderrText);
        Assert.DoesNotContain(" E ", process.StderrText);
        // The socket file belongs to whoever made it: it is left in place.
        if (kind == "unix") Assert.True(File.Exists(dir["listen.sock"]));
    }

    [Theory]
    [InlineData("socat18", "tcp")]
    [InlineData("sharpcat", "tcp")]
    [InlineData("socat18", "unix")]
    [InlineData("sharpcat", "unix")]
    public async Task WithForkEveryConnectionIsServed(string program, string kind)
    {
        using var dir = new TempDir();
        var a = Start(program, kind, dir, "-d", "-d", "ACCEPT:3,fork", "PIPE");
        using var process = a.Process;
        await process.WaitForStderrAsync("listening on");
        for (int i = 0; i < 3; i++) Assert.Equal($"client {i}\n", await ExchangeAsync(a, $"client {i}\n"));
        Assert.False(process.HasExited);
        process.Signal(15);
        Assert.Equal(143, await process.WaitForExitAsync());
        Assert.DoesNotContain(" E ", process.StderrText);
    }

    /// <summary>range checks the peer as on TCP-LISTEN: a refused peer is closed with a warning, and the listener goes on.</summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task RangeRefusesPeersFromElsewhere(string program)
    {
        using var dir = new TempDir();
        var a = Start(program, "tcp", dir, "-d", "-d", "ACCEPT-FD:3,fork,range=10.0.0.0/8", "PIPE");
        using var process = a.Process;
        await process.WaitForStderrAsync("listening on");
        // The refused peer is closed with its data unread: it may see a reset rather than an end.
        try { Assert.Equal("", await ExchangeAsync(a, "refused\n")); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown) { }
        await process.WaitForStderrAsync(" W ");
        process.Signal(15);
        Assert.Equal(143, await process.WaitForExitAsync());
    }

    [Theory]
    [InlineData("ACCEPT-FD:3x", "E ACCEPT-FD: invalid file descriptor \"3x\"")]
    [InlineData("ACCEPT-FD:3,bind=127.0.0.1", "E ACCEPT-FD: option \"bind\" cannot be used on an inherited listening socket")]
    [InlineData("ACCEPT-FD:3,retry=2", "E ACCEPT-FD: option \"retry\" cannot be used on an inherited listening socket")]
    [InlineData("ACCEPT-FD:3,backlog=2", "E ACCEPT-FD: option \"backlog\" does not apply to this address type")]
    [InlineData("ACCEPT-FD", "E ACCEPT-FD: wrong number of parameters (0 instead of 1)")]
    public async Task BadValuesAreRefused(string address, string expected)
    {
        var r = await Run.SharpCatAsync(address, "PIPE");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith(expected, Assert.Single(r.LogLines));
    }

    /// <summary>
    /// A descriptor that is not a listening socket is an error and exit 1 (socat 1.8 exits 255 without
    /// a message on a non-socket, and spins on a closed descriptor).
    /// </summary>
    [Fact]
    public async Task ADescriptorThatIsNotAListeningSocketIsAnError()
    {
        var notSocket = await Run.ShellAsync($"{Binaries.SharpCat} ACCEPT-FD:3 PIPE 3</dev/null");
        Assert.Equal(1, notSocket.ExitCode);
        Assert.Equal("E ACCEPT-FD:3: not a listening stream socket", Assert.Single(notSocket.LogLines));
        var closed = await Run.ShellAsync($"{Binaries.SharpCat} ACCEPT-FD:9 PIPE 9<&-");
        Assert.Equal(1, closed.ExitCode);
        Assert.Equal("E fcntl(9, F_SETFD, FD_CLOEXEC): Bad file descriptor", Assert.Single(closed.LogLines));
    }
}
