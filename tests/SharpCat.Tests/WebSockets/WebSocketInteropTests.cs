using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// WS-LISTEN and WS-CONNECT against two independent implementations (python3-websockets, node's
/// ws), 64 MiB each way without loss or reordering, and the close handshake started from either end.
/// </summary>
public class WebSocketInteropTests
{
    private const int Size = 64 * 1024 * 1024;

    /// <summary>
    /// A peer client sends 64 MiB through WS-LISTEN to an echo and reads it back as it sends (both
    /// ways at once, compared by the peer), then closes; the relay answers the close and exits 0.
    /// </summary>
    [Theory]
    [InlineData("python")]
    [InlineData("node")]
    public async Task APeerClientsEchoComesBackWhole(string peer)
    {
        using var dir = new TempDir();
        string file = WebSocketPeers.RandomFile(dir, "data", Size);
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1", "PIPE");
        using var _ = server;
        var client = await WebSocketPeers.RunAsync(peer, null, "client-echo", $"ws://127.0.0.1:{port}/echo", file);
        Assert.True(client.ExitCode == 0, client.ToString() + client.StdoutText);
        Assert.Contains($"echoed {Size}", client.StdoutText);
        // The relay answered the peer's Close with its code.
        Assert.Contains("close 1000", client.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("the peer closed the WebSocket: 1000 (normal closure), reason \"all echoed\"", server.StderrText);
        Assert.Contains("WebSocket request for /echo from 127.0.0.1:", server.StderrText);
    }

    /// <summary>WS-CONNECT sends a 64 MiB file to a peer server and closes at its end; the peer saw every byte and a 1000 close.</summary>
    [Theory]
    [InlineData("python")]
    [InlineData("node")]
    public async Task WsConnectSends64MiBAndCloses(string peer)
    {
        using var dir = new TempDir();
        string file = WebSocketPeers.RandomFile(dir, "data", Size);
        var (server, port) = await WebSocketPeers.ServeAsync(peer, "server-sink", dir["received"]);
        using var _ = server;
        var r = await Run.SharpCatAsync("-u", $"OPEN:{file}", $"WS-CONNECT:127.0.0.1:{port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("close 1000", System.Text.Encoding.ASCII.GetString(server.Stdout));
        Assert.Equal(WebSocketPeers.Sha256(file), WebSocketPeers.Sha256(dir["received"]));
    }

    /// <summary>A peer server sends 64 MiB and closes; WS-CONNECT writes every byte, logs the close and answers it with the same code.</summary>
    [Theory]
    [InlineData("python")]
    [InlineData("node")]
    public async Task WsConnectReceives64MiBUntilThePeerCloses(string peer)
    {
        using var dir = new TempDir();
        string file = WebSocketPeers.RandomFile(dir, "data", Size);
        var (server, port) = await WebSocketPeers.ServeAsync(peer, "server-source", file);
        using var _ = server;
        var r = await Run.SharpCatAsync("-d", "-d", "-u", $"WS-CONNECT:127.0.0.1:{port}", $"CREATE:{dir["received"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("N WS-CONNECT: the peer closed the WebSocket: 1000 (normal closure), reason \"all sent\"", r.LogLines);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("close 1000", System.Text.Encoding.ASCII.GetString(server.Stdout));
        Assert.Equal(WebSocketPeers.Sha256(file), WebSocketPeers.Sha256(dir["received"]));
    }

    /// <summary>WS-LISTEN sends a 64 MiB file to a peer client and closes at its end: the client read every byte and a 1000 close.</summary>
    [Theory]
    [InlineData("python")]
    [InlineData("node")]
    public async Task WsListenSends64MiBAndCloses(string peer)
    {
        using var dir = new TempDir();
        string file = WebSocketPeers.RandomFile(dir, "data", Size);
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "-U", "WS-LISTEN:0,bind=127.0.0.1", $"OPEN:{file}");
        using var _ = server;
        var client = await WebSocketPeers.RunAsync(peer, null, "client-sink", $"ws://127.0.0.1:{port}/", dir["received"]);
        Assert.True(client.ExitCode == 0, client.ToString() + client.StdoutText);
        Assert.Contains("close 1000", client.StdoutText);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Equal(WebSocketPeers.Sha256(file), WebSocketPeers.Sha256(dir["received"]));
    }
}
