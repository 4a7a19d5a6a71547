using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// WS-UNIX-LISTEN and WS-UNIX-CONNECT: WebSockets over a UNIX socket, where a reverse proxy (nginx)
/// forwards to one, against python3-websockets' own UNIX client and server.
/// </summary>
public class UnixWebSocketTests
{
    [Fact]
    public async Task APythonUnixClientIsServedAndTheSocketFileGoes()
    {
        using var dir = new TempDir();
        string socket = dir["ws.sock"];
        var server = LiveProcess.SharpCat("-d", "-d", $"WS-UNIX-LISTEN:{socket},ws-path=/app", "PIPE");
        using var _ = server;
        await server.WaitForStderrAsync("listening on");
        string script = "import asyncio, websockets\n"
            + "async def main():\n"
            + $"    async with websockets.unix_connect('{socket}', 'ws://localhost/app') as ws:\n"
            + "        await ws.send(b'over unix')\n"
            + "        print((await ws.recv()).decode())\n"
            + "asyncio.run(asyncio.wait_for(main(), 20))\n";
        var r = await Run.ProgramAsync(WebSocketPeers.Python, ["-c", script], [], Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("over unix\n", r.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("WebSocket request for /app from ", server.StderrText);
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task WsUnixConnectTalksToAPythonUnixServer()
    {
        using var dir = new TempDir();
        string socket = dir["py.sock"];
        string script = "import asyncio, websockets\n"
            + "async def handler(ws, *_):\n"
            + "    print(ws.request_headers['Host'], ws.path, flush=True)\n"
            + "    async for m in ws: await ws.send(m)\n"
            + "async def main():\n"
            + $"    async with websockets.unix_serve(handler, '{socket}'):\n"
            + "        print('ready', flush=True)\n"
            + "        await asyncio.sleep(60)\n"
            + "asyncio.run(main())\n";
        using var server = LiveProcess.Start(WebSocketPeers.Python, ["-c", script], environment: null);
        await server.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o).Contains("ready\n"));
        using var client = LiveProcess.SharpCat("-", $"WS-UNIX-CONNECT:{socket},ws-path=/svc");
        await client.Stdin.WriteAsync("through a unix socket\n"u8.ToArray());
        await client.Stdin.FlushAsync();
        await client.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o) == "through a unix socket\n");
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains("localhost /svc\n", System.Text.Encoding.ASCII.GetString(server.Stdout));
    }
}
