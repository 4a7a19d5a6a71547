using SharpCat.Tests.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// WS-PROXY and WS-SOCKS5: the WebSocket handshake through real proxies (tinyproxy's HTTP CONNECT,
/// dante's SOCKS5) to a python3-websockets server, which sees the target's name in Host; and
/// WSS through both to WSS-LISTEN, the target's certificate checked inside the tunnel.
/// </summary>
public class ProxiedWebSocketTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
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

    [Theory]
    [InlineData("tinyproxy", "WSS-PROXY:127.0.0.1:localhost:{target},proxyport={proxy},ws-path=/secure")]
    [InlineData("dante", "WSS-SOCKS5:127.0.0.1:{proxy}:localhost:{target},ws-path=/secure")]
    public async Task WssGoesThroughARealProxyAndChecksTheTarget(string proxyName, string address)
    {
        using var proxy = proxyName == "dante" ? await ProxyServers.StartDanteAsync(withAuth: false) : await ProxyServers.StartTinyproxyAsync(withAuth: false);
        var (server, target) = await Listeners.SharpCatAsync("-d", "-d", $"WSS-LISTEN:0,bind=127.0.0.1,cert={certs["server-full.pem"]},verify=0,fork,ws-path=/secure", "PIPE");
        using var _ = server;
        string through = address.Replace("{proxy}", proxy.Port.ToString()).Replace("{target}", target.ToString());
        using (var client = LiveProcess.SharpCat("-d", "-d", "-", $"{through},cafile={certs["ca.pem"]}"))
        {
            await client.Stdin.WriteAsync("tls in a tunnel\n"u8.ToArray());
            await client.Stdin.FlushAsync();
            await client.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o) == "tls in a tunnel\n");
            client.Stdin.Close();
            Assert.Equal(0, await client.WaitForExitAsync());
            Assert.Contains("N SSL peer certificate subject: CN=localhost", client.StderrText);
        }
        // Without the CA the target's certificate is refused, inside the tunnel.
        var refused = await Run.SharpCatAsync("x\n"u8.ToArray(), "-", through);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("certificate", Assert.Single(refused.LogLines));
    }
}
