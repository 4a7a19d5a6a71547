using SharpCat.Tests.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// WSS-LISTEN and WSS-CONNECT: the OPENSSL addresses' TLS (and their options) under the WebSocket
/// layer, against python3-websockets over TLS with a test CA, and against each other.
/// </summary>
public class SecureWebSocketTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    [Fact]
    public async Task APythonClientTalksToWssListen()
    {
        using var dir = new TempDir();
        string file = WebSocketPeers.RandomFile(dir, "data", 4 * 1024 * 1024);
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", $"WSS-LISTEN:0,bind=127.0.0.1,cert={certs["server-full.pem"]},verify=0", "PIPE");
        using var _ = server;
        var client = await WebSocketPeers.RunAsync("python", new Dictionary<string, string?> { ["WS_CAFILE"] = certs["ca.pem"] },
            "client-echo", $"wss://localhost:{port}/secure", file);
        Assert.True(client.ExitCode == 0, client.ToString() + client.StdoutText);
        Assert.Contains("echoed 4194304", client.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("WebSocket request for /secure from 127.0.0.1:", server.StderrText);
    }

    [Fact]
    public async Task WssConnectChecksTheServerAndTalksToWssListen()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", $"WSS-LISTEN:0,bind=127.0.0.1,cert={certs["server-full.pem"]},verify=0,fork,ws-path=/tls", "PIPE");
        using var _ = server;
        var r = await Run.SharpCatAsync("over wss\n"u8.ToArray(), "-t", "5", "-d", "-d", "-", $"WSS-CONNECT:localhost:{port},cafile={certs["ca.pem"]},ws-path=/tls");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("over wss\n", r.StdoutText);
        Assert.Contains(r.LogLines, l => l.StartsWith("N SSL peer certificate subject: CN=localhost"));
        // verify is on by default, as OPENSSL's: a server the CA did not sign is refused before any WebSocket byte.
        var refused = await Run.SharpCatAsync("x\n"u8.ToArray(), "-", $"WSS-CONNECT:localhost:{port},ws-path=/tls");
        Assert.Equal(1, refused.ExitCode);
        Assert.DoesNotContain("WebSocket", refused.StderrText);
        Assert.False(server.HasExited);
    }
}
