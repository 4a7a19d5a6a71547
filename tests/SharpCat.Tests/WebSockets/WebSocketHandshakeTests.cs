using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// The opening handshake: a client refuses every answer that is not a WebSocket server's with one
/// clear error and exit 1; a listener answers requests it does not serve with their HTTP error and
/// goes on listening; the options (path, subprotocols, Origin, Basic auth, headers) on both sides.
/// </summary>
public class WebSocketHandshakeTests
{
    /// <summary>Runs WS-CONNECT against a raw server that answers with <paramref name="answer"/> (the accept key filled in for {accept}).</summary>
    private static async Task<(RunResult Result, string Request)> ClientAgainstAsync(string answer, string options = "")
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var run = Run.SharpCatAsync("hello\n"u8.ToArray(), "-", $"WS-CONNECT:127.0.0.1:{port}{options}");
        var (ws, request) = await RawWebSocket.AcceptAsync(listener);
        using (ws) await ws.SendAsync(Encoding.ASCII.GetBytes(answer.Replace("{accept}", RawWebSocket.AcceptFor(request))));
        return (await run, request);
    }

    private const string Upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "", "WS-CONNECT: the server answered \"HTTP/1.1 200 OK\" to the WebSocket request for /, not 101 Switching Protocols")]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", ",ws-path=/api/v1?x=1", "WS-CONNECT: the server answered \"HTTP/1.1 404 Not Found\" to the WebSocket request for /api/v1?x=1, not 101 Switching Protocols")]
    [InlineData(Upgrade + "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", "", "WS-CONNECT: the server's Sec-WebSocket-Accept \"dGhlIHNhbXBsZSBub25jZQ==\" does not answer the key sent (expected ")]
    [InlineData(Upgrade + "\r\n", "", "WS-CONNECT: the server's 101 answer has no Sec-WebSocket-Accept: it is not a WebSocket server")]
    [InlineData(Upgrade + "Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n", ",ws-protocol=chat,ws-protocol=json",
        "WS-CONNECT: the server chose the subprotocol \"mqtt\", which is not one of those offered (chat, json)")]
    [InlineData(Upgrade + "Sec-WebSocket-Accept: {accept}\r\n\r\n", ",ws-protocol=chat", "WS-CONNECT: the server chose none of the subprotocols offered (chat)")]
    [InlineData(Upgrade + "Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "",
        "WS-CONNECT: the server agreed to the extension \"permessage-deflate\", which was not offered")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", "", "WS-CONNECT: the server's answer is not HTTP: \"SSH-2.0-OpenSSH_9.2\"")]
    [InlineData("", "", "WS-CONNECT: the server closed the connection instead of answering the WebSocket request")]
    public async Task ANonWebSocketAnswerIsOneClearError(string answer, string options, string error)
    {
        var (r, _) = await ClientAgainstAsync(answer, options);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.LogLines);
        Assert.StartsWith("E " + error, line);
        Assert.Empty(r.Stdout);
    }

    /// <summary>What the client's request carries: the path, subprotocols, Origin, credentials and extra headers asked for.</summary>
    [Fact]
    public async Task TheRequestCarriesTheOptions()
    {
        var (_, request) = await ClientAgainstAsync("HTTP/1.1 500 No\r\n\r\n",
            ",ws-path=/v1/stream?token=a,ws-protocol=chat,ws-protocol=json,ws-origin=http://app.test,ws-basic-auth=user:pa:ss,ws-header=X-Trace:42");
        var lines = request.Split("\r\n");
        Assert.Equal("GET /v1/stream?token=a HTTP/1.1", lines[0]);
        Assert.Contains($"Host: 127.0.0.1:{lines.First(l => l.StartsWith("Host:")).Split(':')[2]}", lines);
        Assert.Contains("Sec-WebSocket-Protocol: chat, json", lines);
        Assert.Contains("Origin: http://app.test", lines);
        Assert.Contains("Authorization: Basic " + Convert.ToBase64String("user:pa:ss"u8.ToArray()), lines);
        Assert.Contains("X-Trace: 42", lines);
        Assert.Contains("Sec-WebSocket-Version: 13", lines);
    }

    /// <summary>
    /// One listener without fork: every request it does not serve gets its HTTP error and the
    /// listener goes on, until a good request, which is served (and then the relay ends).
    /// </summary>
    [Fact]
    public async Task AListenerAnswersWhatItDoesNotServeAndKeepsListening()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d",
            "WS-LISTEN:0,bind=127.0.0.1,ws-path=/chat,ws-origin=http://good.test,ws-protocol=v2,ws-protocol=v1,ws-basic-auth=u:p", "PIPE");
        using var _ = server;
        string auth = "Authorization: Basic " + Convert.ToBase64String("u:p"u8.ToArray()) + "\r\n";
        string Request(string path = "/chat", string extra = "", string method = "GET") =>
            $"{method} {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n";
        string good = "Origin: http://good.test\r\n" + auth;
        var cases = new (string Request, string Status, string Log)[]
        {
            ("GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426 Upgrade Required", "426 Upgrade Required: a plain HTTP request, not a WebSocket upgrade"),
            (Request(extra: good + "Sec-WebSocket-Version: 8\r\n"), "HTTP/1.1 426 Upgrade Required", "426 Upgrade Required: WebSocket version 8, not 13"),
            (Request("/other", good + "Sec-WebSocket-Version: 13\r\n"), "HTTP/1.1 404 Not Found", "404 Not Found: the path /other is not /chat (ws-path)"),
            (Request(method: "POST", extra: good + "Sec-WebSocket-Version: 13\r\n"), "HTTP/1.1 405 Method Not Allowed", "405 Method Not Allowed: the method is POST, not GET"),
            (Request(extra: "Origin: http://evil.test\r\n" + auth + "Sec-WebSocket-Version: 13\r\n"), "HTTP/1.1 403 Forbidden", "403 Forbidden: the Origin http://evil.test is not allowed (ws-origin)"),
            (Request(extra: "Origin: http://good.test\r\nSec-WebSocket-Version: 13\r\n"), "HTTP/1.1 401 Unauthorized", "401 Unauthorized: the request has no credentials (ws-basic-auth)"),
            (Request(extra: good + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v9, v8\r\n"), "HTTP/1.1 400 Bad Request",
                "400 Bad Request: none of the subprotocols offered (v9, v8) is served (v2, v1, ws-protocol)"),
            ("NOT HTTP\r\nat all\r\n\r\n", "HTTP/1.1 400 Bad Request", "400 Bad Request: the request is not HTTP"),
        };
        foreach (var (request, status, log) in cases)
        {
            string answer = await RawWebSocket.HttpAsync(port, request);
            Assert.StartsWith(status + "\r\n", answer);
            Assert.EndsWith(log + "\n", answer);
            Assert.Contains("Connection: close\r\n", answer);
            await server.WaitForStderrAsync($"with {log}");
        }
        Assert.False(server.HasExited);
        // The 426 names what to speak.
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", await RawWebSocket.HttpAsync(port, "GET /chat HTTP/1.1\r\nHost: x\r\n\r\n"));
        // Then a good client, with a subprotocol of its own preference and one the server prefers: the server's first wins.
        var r = await Run.SharpCatAsync("served\n"u8.ToArray(), "-t", "5", "-", $"WS-CONNECT:127.0.0.1:{port},ws-path=/chat,ws-origin=http://good.test,ws-basic-auth=u:p,ws-protocol=v1,ws-protocol=v2");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("served\n", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("WebSocket request for /chat from 127.0.0.1:", server.StderrText);
        Assert.Contains(", subprotocol v2", server.StderrText);
    }

    /// <summary>A python3-websockets client asking for a subprotocol and sending an Origin is served by a listener that checks both.</summary>
    [Fact]
    public async Task APythonClientGetsTheSubprotocolItAskedFor()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,ws-protocol=chat,ws-origin=http://app.test,ws-header=X-Served-By:sharpcat", "PIPE");
        using var _ = server;
        string script = "import asyncio, websockets\n"
            + "async def main():\n"
            + $"    async with websockets.connect('ws://127.0.0.1:{port}/', subprotocols=['other', 'chat'], origin='http://app.test') as ws:\n"
            + "        await ws.send('ping me')\n"
            + "        print(ws.subprotocol, ws.response_headers['X-Served-By'], await ws.recv())\n"
            + "asyncio.run(asyncio.wait_for(main(), 20))\n";
        var r = await Run.ProgramAsync(WebSocketPeers.Python, ["-c", script], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("chat sharpcat b'ping me'\n", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
    }

    /// <summary>With fork, each connection is its own relay and a refused request costs nothing to the others.</summary>
    [Fact]
    public async Task WithForkEachConnectionIsServed()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,fork,max-children=2,ws-path=/echo", "PIPE");
        using var _ = server;
        Assert.StartsWith("HTTP/1.1 404 Not Found", await RawWebSocket.HttpAsync(port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
        var runs = Enumerable.Range(0, 3).Select(i => Run.SharpCatAsync(Encoding.ASCII.GetBytes($"client {i}\n"), "-t", "5", "-", $"WS-CONNECT:127.0.0.1:{port},ws-path=/echo")).ToArray();
        var results = await Task.WhenAll(runs);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(results[i].ExitCode == 0, results[i].ToString());
            Assert.Equal($"client {i}\n", results[i].StdoutText);
        }
        Assert.False(server.HasExited);
    }

    /// <summary>
    /// With fork, handshakes run side by side: a client that connects and sends nothing holds up no
    /// other (its handshake would wait 60 s, longer than the second client's whole run may take).
    /// </summary>
    [Fact]
    public async Task WithForkASilentClientHoldsUpNoOther()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,fork,ws-handshake-timeout=60", "PIPE");
        using var _ = server;
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await server.WaitForStderrAsync("accepting connection from");
        using var client = LiveProcess.SharpCat("-", $"WS-CONNECT:127.0.0.1:{port}");
        await client.Stdin.WriteAsync("not held up\n"u8.ToArray());
        await client.Stdin.FlushAsync();
        await client.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o) == "not held up\n");
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
    }

    /// <summary>TCP-LISTEN's range applies before any HTTP: a peer outside it is closed unanswered, one inside is served.</summary>
    [Fact]
    public async Task RangeIsCheckedBeforeTheHandshake()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,fork,range=127.0.0.2/32", "PIPE");
        using var _ = server;
        string answer;
        try
        {
            answer = await RawWebSocket.HttpAsync(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            answer = ""; // closed with the request unread: a reset rather than an end of file
        }
        Assert.Equal("", answer);
        await server.WaitForStderrAsync("refusing connection from AF=2 127.0.0.1:");
        Assert.DoesNotContain("WebSocket request", server.StderrText);
        var allowed = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,range=127.0.0.0/8", "PIPE");
        using var __ = allowed.Process;
        var r = await Run.SharpCatAsync("in range\n"u8.ToArray(), "-t", "5", "-", $"WS-CONNECT:127.0.0.1:{allowed.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("in range\n", r.StdoutText);
    }

    /// <summary>Malformed option values are refused before anything opens.</summary>
    [Theory]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-protocol=a b", "WS-CONNECT: option \"ws-protocol=a b\": a subprotocol is one HTTP token (give the option once per subprotocol)")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-path=noslash", "WS-CONNECT: option \"ws-path=noslash\": a request path starts with '/' and holds no spaces")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-header=Host:x", "WS-CONNECT: option \"ws-header=Host:x\": the handshake writes Host itself")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-header=novalue", "WS-CONNECT: option \"ws-header=novalue\": give Name:value")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-basic-auth=nocolon", "WS-CONNECT: option \"ws-basic-auth=nocolon\": give user:password")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-ping-timeout=5", "WS-CONNECT: option \"ws-ping-timeout\" needs ws-ping-interval: no ping is sent without it")]
    [InlineData("WS-CONNECT:127.0.0.1:9,ws-ping-interval=0", "WS-CONNECT: option \"ws-ping-interval\": give a time above 0 seconds")]
    [InlineData("TCP:127.0.0.1:9,ws-path=/", "TCP-CONNECT: option \"ws-path\" does not apply to this address type")]
    public async Task BadOptionValuesAreRefusedBeforeOpening(string address, string error)
    {
        var r = await Run.SharpCatAsync("-", address);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("E " + error, Assert.Single(r.LogLines));
    }
}
