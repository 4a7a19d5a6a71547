using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>socat 1.8's new address options, each beside socat 1.8.0.3.</summary>
public class Socat18AddressOptionTests
{
    /// <summary>
    /// A one-connection HTTP proxy: reads the request up to its empty line, answers 200 and echoes;
    /// <see cref="Request"/> is what it was sent.
    /// </summary>
    private sealed class EchoingProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        public int Port { get; }
        public Task<string> Request { get; }

        public EchoingProxy()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Request = Task.Run(async () =>
            {
                using var client = await _listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var request = new List<byte>();
                var one = new byte[1];
                while (!request.AsEnumerable().Reverse().Take(4).SequenceEqual("\n\r\n\r"u8.ToArray()))
                {
                    if (await stream.ReadAsync(one) == 0) break;
                    request.Add(one[0]);
                }
                await stream.WriteAsync("HTTP/1.0 200 Connection established\r\n\r\n"u8.ToArray());
                await stream.CopyToAsync(stream);
                return Encoding.ASCII.GetString(request.ToArray());
            });
        }

        public void Dispose() => _listener.Stop();
    }

    [Theory]
    [InlineData("socat18", null, "CONNECT example.test:80 HTTP/1.0\r\n")]
    [InlineData("sharpcat", null, "CONNECT example.test:80 HTTP/1.0\r\n")]
    [InlineData("socat18", "1.1", "CONNECT example.test:80 HTTP/1.1\r\n")]
    [InlineData("sharpcat", "1.1", "CONNECT example.test:80 HTTP/1.1\r\n")]
    public async Task HttpVersionIsTheRequestLinesVersion(string program, string? version, string requestLine)
    {
        using var proxy = new EchoingProxy();
        string address = $"PROXY:127.0.0.1:example.test:80,proxyport={proxy.Port}" + (version is null ? "" : $",http-version={version}");
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-", address], "through\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("through\n", r.StdoutText);
        string request = await proxy.Request.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith(requestLine, request);
    }

    [Fact]
    public async Task AnHttpVersionThatIsNoVersionIsRefusedBeforeTheProxyIsContacted()
    {
        using var proxy = new EchoingProxy();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-", $"PROXY:127.0.0.1:example.test:80,proxyport={proxy.Port},http-version=1.1 x");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("http-version", r.StderrText);
        Assert.False(proxy.Request.IsCompleted);
    }

    /// <summary>f-setpipe-sz sets the buffer of the pipe a child program writes to; the child reads it back (F_GETPIPE_SZ).</summary>
    [Theory]
    [InlineData("socat18", "f-setpipe-sz")]
    [InlineData("sharpcat", "f-setpipe-sz")]
    [InlineData("socat18", "pipesz")]
    [InlineData("sharpcat", "pipesz")]
    public async Task FSetpipeSzSetsThePipesSize(string program, string spelling)
    {
        using var dir = new TempDir();
        string script = dir["size.py"];
        File.WriteAllText(script, "import fcntl\nprint(fcntl.fcntl(1, 1032))\n");
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", $"SYSTEM:python3 {script},pipes,{spelling}=131072", "-"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("131072\n", r.StdoutText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task FSetpipeSzOnASocketFailsAsFcntlSays(string program)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "SYSTEM:echo no,f-setpipe-sz=131072", "-"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.StdoutText);
        Assert.Matches(@"E fcntl\(\d+, 1031, 0x20000\): Bad file descriptor", r.StderrText);
    }

    [Theory]
    [InlineData("socat18", "chdir")]
    [InlineData("sharpcat", "chdir")]
    [InlineData("socat18", "cd")]
    [InlineData("sharpcat", "cd")]
    public async Task ChdirIsTheChildProgramsWorkingDirectory(string program, string spelling)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", $"SYSTEM:pwd,{spelling}={dir.Path}", "-"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(dir.Path + "\n", r.StdoutText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AMissingChdirFailsWithSocatsMessage(string program)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", $"SYSTEM:pwd,chdir={dir.Path}/missing", "-"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.StdoutText);
        Assert.Contains($"E chdir(\"{dir.Path}/missing\"): No such file or directory", r.StderrText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task UmaskIsTheChildProgramsUmask(string program)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", $"SYSTEM:umask; touch {dir.Path}/made,umask=027", "-"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("0027\n", r.StdoutText);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(dir["made"]));
    }

    [Fact]
    public async Task ChdirOnAnAddressThatStartsNoProgramIsRefused()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("x"u8.ToArray(), "-u", "-", $"OPEN:made,creat,chdir={dir.Path}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("option \"chdir\" does not apply to this address type", r.StderrText);
        Assert.False(File.Exists(dir["made"]));
    }

    /// <summary>children-shutup lowers what each connection's relay logs (socat's forked child), not the listener's lines.</summary>
    [Theory]
    [InlineData("socat18", "", 'N')]
    [InlineData("sharpcat", "", 'N')]
    [InlineData("socat18", ",children-shutup", 'I')]
    [InlineData("sharpcat", ",children-shutup", 'I')]
    [InlineData("socat18", ",children-shutup=2", 'D')]
    [InlineData("sharpcat", ",children-shutup=2", 'D')]
    public async Task ChildrenShutupLowersTheConnectionsMessages(string program, string option, char level)
    {
        int port = FreePorts.Next();
        using var server = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-d", "-d", $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork{option}", "SYSTEM:echo hi");
        await server.WaitForStderrAsync("listening on");
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var buffer = new byte[3];
            await client.GetStream().ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        await server.WaitForStderrAsync("starting data transfer loop");
        Assert.Matches($@"\] {level} starting data transfer loop", server.StderrText);
        Assert.Matches(@"\] N accepting connection from", server.StderrText);
    }

    /// <summary>
    /// max-children on a proxy client with fork (socat's connecting in a loop): at most that many
    /// tunnels at once; when one ends, the next is made.
    /// </summary>
    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task MaxChildrenBoundsAProxyClientsConnectLoop(string program)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var tunnels = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                var request = new List<byte>();
                var one = new byte[1];
                while (!request.AsEnumerable().Reverse().Take(4).SequenceEqual("\n\r\n\r"u8.ToArray()) && await stream.ReadAsync(one) > 0)
                    request.Add(one[0]);
                await stream.WriteAsync("HTTP/1.0 200 OK\r\n\r\n"u8.ToArray());
                lock (tunnels) tunnels.Add(client);
            }
        });
        int Count() { lock (tunnels) return tunnels.Count; }
        using var relay = LiveProcess.Start(Binaries.Of(program), $"PROXY:127.0.0.1:target.test:80,proxyport={port},fork,max-children=2", "SYSTEM:cat");
        try
        {
            await Wait.UntilAsync(() => Count() >= 2, 10);
            int before = Count();
            TcpClient first;
            lock (tunnels) first = tunnels[0];
            first.Dispose(); // its relay ends: a slot is free
            await Wait.UntilAsync(() => Count() >= 3, 10);
            Assert.Equal(2, before);
            Assert.Equal(3, Count());
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            lock (tunnels) foreach (var t in tunnels) t.Dispose();
        }
    }
}

/// <summary>
/// socat 1.8's netns: addresses opened inside a network namespace this test makes with
/// <c>ip netns add</c> (loopback up, nothing else) and removes. socat 1.8 wants --experimental
/// for it, so both programs are given that.
/// </summary>
public class NetnsOptionTests
{
    /// <summary>A named network namespace of the test's own.</summary>
    private sealed class TestNamespace : IDisposable
    {
        public string Name { get; } = "sharpcat-test-" + Guid.NewGuid().ToString("N")[..8];

        public static async Task<TestNamespace> CreateAsync()
        {
            var ns = new TestNamespace();
            var r = await Run.ShellAsync($"ip netns add {ns.Name} && ip -n {ns.Name} link set lo up");
            Assert.True(r.ExitCode == 0, r.ToString());
            return ns;
        }

        public void Dispose() => Run.ShellAsync($"ip netns del {Name}").Wait(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AListenerAndAClientMeetInsideTheNamespace(string program)
    {
        using var ns = await TestNamespace.CreateAsync();
        string binary = Binaries.Of(program);
        int port = FreePorts.Next();
        using var server = LiveProcess.Start(binary, "--experimental", "-d", "-d", $"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,netns={ns.Name}", "PIPE");
        await server.WaitForStderrAsync("listening on");
        // Nothing listens on that port outside the namespace.
        var outside = await Run.ProgramAsync(binary, ["-", $"TCP4:127.0.0.1:{port}"], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, outside.ExitCode);
        Assert.Contains("Connection refused", outside.StderrText);
        var inside = await Run.ProgramAsync(binary, ["--experimental", "-", $"TCP4:127.0.0.1:{port},netns={ns.Name}"], "inside\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True(inside.ExitCode == 0, inside.ToString());
        Assert.Equal("inside\n", inside.StdoutText);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AChildProgramRunsInsideTheNamespace(string program)
    {
        using var ns = await TestNamespace.CreateAsync();
        // /proc/net/dev lists the interfaces of the reader's namespace: two header lines and lo.
        var r = await Run.ProgramAsync(Binaries.Of(program), ["--experimental", "-u", $"SYSTEM:cat /proc/net/dev,netns={ns.Name}", "-"], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        var interfaces = r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.Trim().Split(':')[0]).ToArray();
        Assert.Equal(["lo"], interfaces);
    }

    [Theory]
    [InlineData("socat18")]
    [InlineData("sharpcat")]
    public async Task AMissingNamespaceFailsWithSocatsMessage(string program)
    {
        using var dir = new TempDir();
        var r = await Run.ProgramAsync(Binaries.Of(program), ["--experimental", "-u", "-", "TCP4:127.0.0.1:9,netns=sharpcat-test-missing"], "x"u8.ToArray(), Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("E open(/run/netns/sharpcat-test-missing, O_RDONLY|O_CLOEXEC): No such file or directory", r.StderrText);
        Assert.DoesNotContain("opening connection", r.StderrText);
    }

    [Fact]
    public async Task AMissingNamespaceFailsBeforeTheOtherAddressIsOpened()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync([], $"OPEN:{dir.Path}/created,creat", "TCP4:127.0.0.1:9,netns=sharpcat-test-missing");
        Assert.Equal(1, r.ExitCode);
        Assert.False(File.Exists(dir["created"]));
    }

    [Fact]
    public async Task ANameThatIsAPathIsRefused()
    {
        var r = await Run.SharpCatAsync([], "-", "TCP4:127.0.0.1:9,netns=../../proc/1/ns/net");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("netns: invalid namespace name", r.StderrText);
    }
}
