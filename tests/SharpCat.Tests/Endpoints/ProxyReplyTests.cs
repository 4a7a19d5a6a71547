using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// Proxy clients against small in-test proxies that answer exactly as told: every refusal code,
/// truncated and malformed replies, oversized headers, and bytes that follow the reply at once.
/// </summary>
public class ProxyReplyTests
{
    /// <summary>A one-connection fake proxy: reads the request with <paramref name="readRequest"/>, then writes <paramref name="reply"/> and closes.</summary>
    private sealed class FakeProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        public int Port { get; }
        public Task<byte[]> Request { get; }

        public FakeProxy(Func<NetworkStream, Task<byte[]>> readRequest, byte[] reply, bool thenEcho = false)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Request = Task.Run(async () =>
            {
                using var client = await _listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var request = await readRequest(stream);
                await stream.WriteAsync(reply);
                if (thenEcho) await stream.CopyToAsync(stream);
                return request;
            });
        }

        public void Dispose() => _listener.Stop();
    }

    private static async Task<byte[]> ReadSocks4(NetworkStream s)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        int zeros = 0;
        while (zeros < 1 || (buffer.Count >= 8 && buffer[4] == 0 && buffer[5] == 0 && buffer[6] == 0 && buffer[7] != 0 && zeros < 2))
        {
            if (await s.ReadAsync(one) == 0) break;
            buffer.Add(one[0]);
            if (buffer.Count > 8 && one[0] == 0) zeros++;
        }
        return buffer.ToArray();
    }

    private static async Task<byte[]> ReadHttpRequest(NetworkStream s)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await s.ReadAsync(one) == 0) break;
            buffer.Add(one[0]);
        }
        return buffer.ToArray();
    }

    private static async Task<byte[]> ReadSocks5Greeting(NetworkStream s)
    {
        var head = new byte[2];
        await s.ReadExactlyAsync(head);
        var methods = new byte[head[1]];
        await s.ReadExactlyAsync(methods);
        return [.. head, .. methods];
    }

    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [InlineData(new byte[] { 0, 91, 0, 0, 0, 0, 0, 0 }, "E socks: connect request rejected or failed (reply code 91)")]
    [InlineData(new byte[] { 0, 92, 0, 0, 0, 0, 0, 0 }, "E socks: ident refused by client: the server could not reach an identd here (reply code 92)")]
    [InlineData(new byte[] { 0, 93, 0, 0, 0, 0, 0, 0 }, "E socks: ident failed: identd reports another user id (reply code 93)")]
    [InlineData(new byte[] { 0, 94, 0, 0, 0, 0, 0, 0 }, "E socks: undefined status 94")]
    [InlineData(new byte[] { 0, 90, 0 }, "E socks: the proxy closed the connection after 3 of 8 bytes of its reply")]
    [InlineData(new byte[] { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.', (byte)'0' }, "E socks: undefined status 84")]
    public async Task Socks4RefusalsAndBadRepliesAreNamed(byte[] reply, string message)
    {
        using var proxy = new FakeProxy(ReadSocks4, reply);
        var r = await Run.SharpCatAsync(B("never sent"), "-", $"SOCKS4:127.0.0.1:127.0.0.1:80,socksport={proxy.Port},socksuser=tester");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal([message], r.LogLines);
        var request = await proxy.Request;
        Assert.Equal([4, 1, 0, 80, 127, 0, 0, 1, .. B("tester"), 0], request);
    }

    [Fact]
    public async Task Socks4aSendsTheNameForTheServerToResolve()
    {
        using var proxy = new FakeProxy(ReadSocks4, [0, 90, 0, 0, 0, 0, 0, 0], thenEcho: true);
        var r = await Run.SharpCatAsync(B("echoed"), "-", $"SOCKS4A:127.0.0.1:name.example:443,socksport={proxy.Port},socksuser=u");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("echoed", r.StdoutText);
        Assert.Equal([4, 1, 1, 187, 0, 0, 0, 1, .. B("u"), 0, .. B("name.example"), 0], await proxy.Request);
    }

    [Fact]
    public async Task Socks4aRefusesANameTooLongForTheProtocol()
    {
        var r = await Run.SharpCatAsync([], "-", $"SOCKS4A:127.0.0.1:{new string('a', 300)}:443,socksport=1");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines);
    }

    [Fact]
    public async Task AnUnreachableProxyIsConnectionRefused()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        foreach (string address in new[] { $"SOCKS4:127.0.0.1:127.0.0.1:80,socksport={port}", $"PROXY:127.0.0.1:127.0.0.1:80,proxyport={port}",
                     $"SOCKS5-CONNECT:127.0.0.1:{port}:127.0.0.1:80" })
        {
            var r = await Run.SharpCatAsync([], "-", address);
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.LogLines);
            Assert.EndsWith("Connection refused", r.LogLines[0]);
        }
    }

    [Theory]
    [InlineData("HTTP/1.0 403 Forbidden\r\n\r\n", "E CONNECT target.example:22: the proxy answered \"HTTP/1.0 403 Forbidden\"")]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n", "E CONNECT target.example:22: the proxy answered \"HTTP/1.1 407 Proxy Authentication Required\"")]
    [InlineData("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", "E CONNECT target.example:22: the proxy answered \"HTTP/1.1 502 Bad Gateway\"")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", "E proxy: invalid answer \"SSH-2.0-OpenSSH_9.2\"")]
    [InlineData("HTTP/1.0 200 OK\r\nX-Half: yes\r\n", "E proxy_connect: the proxy closed the connection in the middle of its headers")]
    [InlineData("", "E proxy_connect: the proxy closed the connection without a reply")]
    public async Task HttpRefusalsAndBadRepliesAreNamed(string reply, string message)
    {
        using var proxy = new FakeProxy(ReadHttpRequest, B(reply));
        var r = await Run.SharpCatAsync(B("never sent"), "-", $"PROXY:127.0.0.1:target.example:22,proxyport={proxy.Port}");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal([message], r.LogLines);
        Assert.Equal("CONNECT target.example:22 HTTP/1.0\r\n\r\n", Encoding.Latin1.GetString(await proxy.Request));
    }

    [Fact]
    public async Task OversizedHeadersAreRefusedWithBoundedMemory()
    {
        // 100 000 header lines: the client must give up after its limit, not collect them.
        var reply = new StringBuilder("HTTP/1.0 200 OK\r\n");
        for (int i = 0; i < 100_000; i++) reply.Append("X-Filler: ").Append(i).Append("\r\n");
        using var proxy = new FakeProxy(ReadHttpRequest, B(reply.ToString()));
        var r = await Run.SharpCatAsync([], "-", $"PROXY:127.0.0.1:target.example:22,proxyport={proxy.Port}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E proxy_connect: more than 100 header lines in the proxy's reply"], r.LogLines);
    }

    [Fact]
    public async Task BytesRightAfterTheHeadersAreRelayedAndBasicAuthIsSent()
    {
        using var proxy = new FakeProxy(ReadHttpRequest, B("HTTP/1.1 200 Connection established\r\nVia: fake\r\n\r\nSSH-2.0-banner\r\n"), thenEcho: true);
        var r = await Run.SharpCatAsync(B("client says\n"), "-", $"PROXY:127.0.0.1:10.0.0.1:22,proxyport={proxy.Port},proxyauth=user:pa ss");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("SSH-2.0-banner\r\nclient says\n", r.StdoutText);
        Assert.Equal("CONNECT 10.0.0.1:22 HTTP/1.0\r\nProxy-authorization: Basic " + Convert.ToBase64String(B("user:pa ss")) + "\r\n\r\n",
            Encoding.Latin1.GetString(await proxy.Request));
    }

    /// <summary>
    /// proxy-authorization-file is sent whole, a final newline included, as socat sends it (test.sh
    /// PROXYAUTHFILE expects "dXNlcjpzM2NyM3QK" for "user:s3cr3t\n"); a file without one has none.
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "user:s3cr3t\n")]
    [InlineData("socat", "user:s3cr3t\n")]
    [InlineData("sharpcat", "user:pa ss")]
    [InlineData("socat", "user:pa ss")]
    public async Task TheAuthorizationFileIsSentWhole(string program, string content)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        File.WriteAllText(dir["auth"], content);
        using var proxy = new FakeProxy(ReadHttpRequest, B("HTTP/1.0 200 OK\r\n\r\n"));
        var r = await Run.ProgramAsync(binary, ["/dev/null", $"PROXY:127.0.0.1:127.0.0.1:1000,proxyport={proxy.Port},proxy-authorization-file={dir["auth"]}"],
            [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("CONNECT 127.0.0.1:1000 HTTP/1.0\r\nProxy-authorization: Basic " + Convert.ToBase64String(B(content)) + "\r\n\r\n",
            Encoding.Latin1.GetString(await proxy.Request));
    }

    [Fact]
    public async Task AMissingAuthorizationFileIsOneError()
    {
        using var dir = new TempDir();
        var r = await Run.SharpCatAsync("/dev/null", $"PROXY:127.0.0.1:127.0.0.1:1000,proxyport=1,proxy-authorization-file={dir["none"]}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"E open(\"{dir["none"]}\", O_RDONLY): No such file or directory"], r.LogLines);
    }

    [Fact]
    public async Task SeveralSpacesAfterTheVersionAreAcceptedAsBySocat()
    {
        // socat's test.sh PROXY2SPACES: "HTTP/1.0   200 OK" is a success.
        using var proxy = new FakeProxy(ReadHttpRequest, B("HTTP/1.0   200   OK\r\n\r\n"), thenEcho: true);
        var r = await Run.SharpCatAsync(B("spaces\n"), "-", $"PROXY:127.0.0.1:h:1,proxyport={proxy.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("spaces\n", r.StdoutText);
    }

    [Fact]
    public async Task IgnorecrAcceptsBareLineFeeds()
    {
        using var proxy = new FakeProxy(ReadHttpRequest, B("HTTP/1.0 200 OK\nServer: lf-only\n\n"), thenEcho: true);
        var r = await Run.SharpCatAsync(B("lf\n"), "-", $"PROXY:127.0.0.1:h:1,proxyport={proxy.Port},ignorecr");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("lf\n", r.StdoutText);
    }

    [Theory]
    [InlineData(1, "general SOCKS server failure")]
    [InlineData(2, "connection not allowed by ruleset")]
    [InlineData(3, "network unreachable")]
    [InlineData(4, "host unreachable")]
    [InlineData(5, "connection refused")]
    [InlineData(6, "TTL expired")]
    [InlineData(7, "command not supported")]
    [InlineData(8, "address type not supported")]
    public async Task Socks5ReplyCodesAreNamed(byte code, string meaning)
    {
        using var proxy = new FakeProxy(async s =>
        {
            var greeting = await ReadSocks5Greeting(s);
            await s.WriteAsync(new byte[] { 5, 0 });
            var request = new byte[4 + 1 + 12 + 2];
            await s.ReadExactlyAsync(request);
            return [.. greeting, .. request];
        }, [5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
        var r = await Run.SharpCatAsync([], "-", $"SOCKS5-CONNECT:127.0.0.1:{proxy.Port}:name.example:443");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"E socks5: {meaning} (reply code {code})"], r.LogLines);
        Assert.Equal([5, 1, 0, 5, 1, 0, 3, 12, .. B("name.example"), 1, 187], await proxy.Request);
    }

    [Fact]
    public async Task Socks5WrongPasswordIsNamedAndTheCredentialsAreSentAsRfc1929Says()
    {
        using var proxy = new FakeProxy(async s =>
        {
            var greeting = await ReadSocks5Greeting(s);
            await s.WriteAsync(new byte[] { 5, 2 });
            var auth = new byte[1 + 1 + 5 + 1 + 6];
            await s.ReadExactlyAsync(auth);
            return [.. greeting, .. auth];
        }, [1, 1]);
        var r = await Run.SharpCatAsync([], "-", $"SOCKS5:127.0.0.1:{proxy.Port}:h:1,socksuser=alice,sockspass=secret");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E socks5: the server refused user \"alice\" and its password (status 1)"], r.LogLines);
        Assert.Equal([5, 2, 0, 2, 1, 5, .. B("alice"), 6, .. B("secret")], await proxy.Request);
    }

    [Fact]
    public async Task Socks5RefusesANameTooLongForTheProtocol()
    {
        using var proxy = new FakeProxy(async s => { var g = await ReadSocks5Greeting(s); return g; }, [5, 0]);
        var r = await Run.SharpCatAsync([], "-", $"SOCKS5:127.0.0.1:{proxy.Port}:{new string('b', 300)}:1");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.LogLines);
        Assert.Contains("is longer than 255 bytes", r.LogLines[0]);
    }

    [Fact]
    public async Task Socks5ThatRequiresAuthenticationSaysSo()
    {
        using var proxy = new FakeProxy(ReadSocks5Greeting, [5, 0xFF]);
        var r = await Run.SharpCatAsync([], "-", $"SOCKS5:127.0.0.1:{proxy.Port}:h:1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E socks5: the server requires authentication: give socksuser and sockspass"], r.LogLines);
    }
}
