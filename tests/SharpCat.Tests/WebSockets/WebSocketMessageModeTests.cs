using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// What a message is: binary by default, text with ws-text (UTF-8 checked, a character split
/// between reads sent whole), one per line with ws-lines; seen by a python3-websockets server
/// that prints each message's type and content and echoes it.
/// </summary>
public class WebSocketMessageModeTests
{
    private const string Server = "import asyncio, websockets\n"
        + "async def echo(ws, *_):\n"
        + "    async for m in ws:\n"
        + "        print(type(m).__name__, repr(m), flush=True)\n"
        + "        await ws.send(m)\n"
        + "    print('end', flush=True)\n"
        + "async def main():\n"
        + "    async with websockets.serve(echo, '127.0.0.1', 0) as s:\n"
        + "        print(f'port {s.sockets[0].getsockname()[1]}', flush=True)\n"
        + "        await asyncio.sleep(60)\n"
        + "asyncio.run(main())\n";

    private static async Task<(LiveProcess Server, int Port)> StartServerAsync()
    {
        var p = LiveProcess.Start(WebSocketPeers.Python, ["-c", Server], environment: null);
        await p.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o).Contains('\n'));
        return (p, int.Parse(System.Text.Encoding.ASCII.GetString(p.Stdout).Split('\n')[0][5..]));
    }

    private static string Seen(LiveProcess server) =>
        string.Join("|", System.Text.Encoding.UTF8.GetString(server.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));

    /// <summary>
    /// Runs a WS-CONNECT client, writes <paramref name="input"/> to it, waits for <paramref name="echo"/>
    /// (stdin stays open meanwhile: its end would send the Close) and then ends stdin.
    /// </summary>
    private static async Task<LiveProcess> ClientAsync(int port, string options, byte[] input, string echo)
    {
        var client = LiveProcess.SharpCat("-", $"WS-CONNECT:127.0.0.1:{port}{options}");
        await client.Stdin.WriteAsync(input);
        await client.Stdin.FlushAsync();
        await client.WaitForStdoutAsync(o => System.Text.Encoding.UTF8.GetString(o) == echo);
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        return client;
    }

    [Fact]
    public async Task LinesAreTextMessagesAndMessagesComeBackAsLines()
    {
        var (server, port) = await StartServerAsync();
        using var _ = server;
        // One write holding several lines; the last one, without its newline, goes as a message at the end of the input.
        using var client = await ClientAsync(port, ",ws-lines,ws-text", "one\ntwo\n\nthré"u8.ToArray(), "one\ntwo\n\n");
        await server.WaitForStdoutAsync(o => System.Text.Encoding.UTF8.GetString(o).Contains("end"));
        Assert.Equal("str 'one'|str 'two'|str ''|str 'thré'|end", Seen(server));
    }

    [Fact]
    public async Task ByDefaultEachWriteIsOneBinaryMessage()
    {
        var (server, port) = await StartServerAsync();
        using var _ = server;
        using var client = await ClientAsync(port, "", "a\nb\n"u8.ToArray(), "a\nb\n");
        await server.WaitForStdoutAsync(o => System.Text.Encoding.UTF8.GetString(o).Contains("end"));
        Assert.Equal("bytes b'a\\nb\\n'|end", Seen(server));
    }

    /// <summary>-v shows the payloads each way, never the frames' headers or masks.</summary>
    [Fact]
    public async Task VerboseDumpsShowPayloadsNotFrames()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1", "PIPE");
        using var _ = server;
        using var client = LiveProcess.SharpCat("-v", "-", $"WS-CONNECT:127.0.0.1:{port}");
        await client.Stdin.WriteAsync("payload\n"u8.ToArray());
        await client.Stdin.FlushAsync();
        await client.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o) == "payload\n");
        client.Stdin.Close();
        Assert.Equal(0, await client.WaitForExitAsync());
        var lines = client.StderrText.Split('\n');
        Assert.Equal(2, lines.Count(l => l.StartsWith("> ") || l.StartsWith("< ")));
        Assert.All(lines.Where(l => l.StartsWith("> ") || l.StartsWith("< ")), l => Assert.Contains("length=8 ", l));
        Assert.Equal(2, lines.Count(l => l == "payload"));
    }

    [Fact]
    public async Task TextThatIsNotUtf8IsAnError()
    {
        var (server, port) = await StartServerAsync();
        using var _ = server;
        var r = await Run.SharpCatAsync([0x61, 0xFF, 0x0A], "-", $"WS-CONNECT:127.0.0.1:{port},ws-text");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("E WS-CONNECT: ws-text: the data is not valid UTF-8 and cannot be sent as a text message", Assert.Single(r.LogLines));
    }
}
