using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// WS-PROXY and WS-SOCKS5: the WebSocket handshake through real proxies (tinyproxy's HTTP CONNECT,
/// dante's SOCKS5) to a python3-websockets server, which sees the target's name in Host.
/// </summary>
public class ProxiedWebSocketTests
{
    private const string Server = "import asyncio, websockets\n"
        + "async def handler(ws, *_):\n"
        + "    print(ws.request_headers['Host'], ws.path, flush=True)\n"
        + "    async for m in ws: await ws.send(m)\n"
        + "async def main():\n"
        + "    async with websockets.serve(handler, '127.0.0.1', 0) as s:\n"
        + "        print(f'port {s.sockets[0].getsockname()[1]}', flush=True)\n"
        + "        await asyncio.sleep(60)\n"
        + "asyncio.run(main())\n";

    [Theory]
    [InlineData("tinyproxy", "WS-PROXY:127.0.0.1:127.0.0.1:{target},proxyport={proxy},ws-path=/through")]
    [InlineData("dante", "WS-SOCKS5:127.0.0.1:{proxy}:127.0.0.1:{target},ws-path=/through")]
    public async Task AWebSocketGoesThroughARealProxy(string proxyName, string address)
    {
        using var proxy = proxyName == "dante" ? await ProxyServers.StartDanteAsync(withAuth: false) : await ProxyServers.StartTinyproxyAsync(withAuth: false);
        using var server = LiveProcess.Start(WebSocketPeers.Python, ["-c", Server], environment: null);
        await server.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o).Contains('\n'));
        int target = int.Parse(System.Text.Encoding.ASCII.GetString(server.Stdout).Split('\n')[0][5..]);
        using var client = LiveProcess.SharpCat("-", address.Replace("{proxy}", proxy.Port.ToString()).Replace("{target}", target.ToString()));
        await client.Stdin.WriteAsync("proxied\n"u8.ToArray());
        await client.Stdin.FlushAsync();
        await client.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o) == "proxied\n");
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains($"127.0.0.1:{target} /through\n", System.Text.Encoding.ASCII.GetString(server.Stdout));
    }
}
