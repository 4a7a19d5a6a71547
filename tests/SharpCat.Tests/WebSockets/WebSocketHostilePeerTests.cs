using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// RFC 6455's rules enforced against a hostile peer on a raw socket: each bad frame closes the
/// WebSocket with its code (§7.4.1) and ends the relay with exit status 1 and one error line; the
/// good but unusual (fragments with a ping between them) goes through.
/// </summary>
public class WebSocketHostilePeerTests
{
    private static byte[] Bad(string kind) => kind switch
    {
        "unmasked" => RawWebSocket.Frame(0x82, "hi"u8.ToArray(), masked: false),
        "reserved-bits" => RawWebSocket.Frame(0xC2, "hi"u8.ToArray(), masked: true),
        "reserved-opcode" => RawWebSocket.Frame(0x83, "hi"u8.ToArray(), masked: true),
        "oversized" => RawWebSocket.Frame(0x82, [], masked: true, claimedLength: 5000),
        "oversized-fragments" => [.. RawWebSocket.Frame(0x02, new byte[600], masked: true), .. RawWebSocket.Frame(0x80, new byte[600], masked: true)],
        "length-msb" => RawWebSocket.Frame(0x82, [], masked: true, claimedLength: long.MinValue),
        "long-control" => RawWebSocket.Frame(0x89, new byte[126], masked: true),
        "fragmented-control" => RawWebSocket.Frame(0x09, "x"u8.ToArray(), masked: true),
        "orphan-continuation" => RawWebSocket.Frame(0x80, "x"u8.ToArray(), masked: true),
        "interleaved-message" => [.. RawWebSocket.Frame(0x02, "a"u8.ToArray(), masked: true), .. RawWebSocket.Frame(0x82, "b"u8.ToArray(), masked: true)],
        "bad-utf8" => RawWebSocket.Frame(0x81, [0xC3, 0x28], masked: true),
        "split-utf8-end" => RawWebSocket.Frame(0x81, [0x61, 0xE2, 0x82], masked: true),
        "bad-close-code" => RawWebSocket.Frame(0x88, [0x03, 0xED], masked: true),
        "one-byte-close" => RawWebSocket.Frame(0x88, [0x03], masked: true),
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [InlineData("unmasked", 1002, "the client sent an unmasked frame")]
    [InlineData("reserved-bits", 1002, "a frame has reserved bits set (0x40) and no extension was agreed")]
    [InlineData("reserved-opcode", 1002, "a frame has the reserved opcode 0x3")]
    [InlineData("oversized", 1009, "a message is larger than ws-max-message=1000 bytes")]
    [InlineData("oversized-fragments", 1009, "a message is larger than ws-max-message=1000 bytes")]
    [InlineData("length-msb", 1002, "a frame's 64-bit length has its most significant bit set")]
    [InlineData("long-control", 1002, "a Ping frame carries 126 bytes (control frames carry at most 125)")]
    [InlineData("fragmented-control", 1002, "a Ping frame is fragmented (control frames must not be)")]
    [InlineData("orphan-continuation", 1002, "a continuation frame continues no message")]
    [InlineData("interleaved-message", 1002, "a new message began before the last one's final frame")]
    [InlineData("bad-utf8", 1007, "a text message is not valid UTF-8")]
    [InlineData("split-utf8-end", 1007, "a text message ends in the middle of a UTF-8 character")]
    [InlineData("bad-close-code", 1002, "the peer closed with code 1005, which may not be sent")]
    [InlineData("one-byte-close", 1002, "a Close frame carries a one-byte code")]
    public async Task ABadFrameFromAClientClosesWithItsCode(string kind, int code, string message)
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,ws-max-message=1000", "PIPE");
        using var _ = server;
        using var ws = await RawWebSocket.ConnectAsync(port);
        await ws.SendAsync(Bad(kind));
        Assert.Equal(code, await ws.ReadCloseCodeAsync());
        Assert.Equal(1, await server.WaitForExitAsync());
        var errors = server.StderrText.Split('\n').Where(l => l.Contains(" E ")).ToArray();
        string name = code switch { 1002 => "protocol error", 1007 => "invalid payload data", _ => "message too big" };
        Assert.Equal([$"WS-LISTEN: {message}; closed the WebSocket with {code} ({name})"], errors.Select(l => l[(l.IndexOf(" E ") + 3)..]));
    }

    /// <summary>A server that masks its frames breaks §5.1: the client closes with 1002 and exits 1.</summary>
    [Fact]
    public async Task AMaskedFrameFromAServerClosesWith1002()
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = LiveProcess.SharpCat("-d", "-d", "-", $"WS-CONNECT:127.0.0.1:{port}");
        var (ws, request) = await RawWebSocket.AcceptAsync(listener);
        using var _ = ws;
        await ws.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {RawWebSocket.AcceptFor(request)}\r\n\r\n"));
        await ws.SendAsync(RawWebSocket.Frame(0x82, "hi"u8.ToArray(), masked: true));
        Assert.Equal(1002, await ws.ReadCloseCodeAsync());
        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains("E WS-CONNECT: the server sent a masked frame; closed the WebSocket with 1002 (protocol error)", client.StderrText);
        Assert.Empty(client.Stdout);
    }

    /// <summary>
    /// ws-ping-interval pings a quiet peer; a pong keeps the WebSocket up, and a peer that stays
    /// silent after a ping for ws-ping-timeout gets a 1011 close and the relay exits 1.
    /// </summary>
    [Fact]
    public async Task APeerThatStopsAnsweringPingsIsClosedWith1011()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,ws-ping-interval=0.5,ws-ping-timeout=3", "PIPE");
        using var _ = server;
        using var ws = await RawWebSocket.ConnectAsync(port);
        var ping = await ws.ReadFrameAsync() ?? throw new InvalidOperationException(server.StderrText);
        Assert.Equal(0x89, ping.First);
        await ws.SendAsync(RawWebSocket.Frame(0x8A, ping.Payload, masked: true));
        // Answered: the next frame is the next ping, not a close; this one stays unanswered.
        var next = await ws.ReadFrameAsync() ?? throw new InvalidOperationException(server.StderrText);
        Assert.Equal(0x89, next.First);
        Assert.NotEqual(ping.Payload, next.Payload);
        Assert.Equal(1011, await ws.ReadCloseCodeAsync());
        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.Contains("E WS-LISTEN: nothing from the peer within 3 s of a ping (ws-ping-timeout); closed the WebSocket with 1011 (internal error)", server.StderrText);
    }

    /// <summary>
    /// A message in fragments with a ping between them (§5.4: control frames may come between
    /// fragments) is relayed whole and in order, the ping answered with a pong of the same payload;
    /// the client's close is answered with its code and the relay exits 0.
    /// </summary>
    [Fact]
    public async Task FragmentsWithAPingBetweenThemGoThrough()
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1", "PIPE");
        using var _ = server;
        using var ws = await RawWebSocket.ConnectAsync(port);
        await ws.SendAsync([.. RawWebSocket.Frame(0x01, "hé"u8.ToArray()[..2], masked: true), .. RawWebSocket.Frame(0x89, "p1"u8.ToArray(), masked: true),
            .. RawWebSocket.Frame(0x80, [.. "hé"u8.ToArray()[2..], .. "llo"u8.ToArray()], masked: true)]);
        var echoed = new List<byte>();
        bool ponged = false;
        while (echoed.Count < 6 || !ponged)
        {
            var frame = await ws.ReadFrameAsync() ?? throw new InvalidOperationException("closed early:\n" + server.StderrText);
            Assert.True((frame.First & 0x80) != 0, "a final frame");
            if ((frame.First & 0x0F) == 0xA)
            {
                Assert.Equal("p1"u8.ToArray(), frame.Payload);
                ponged = true;
            }
            else
            {
                Assert.Equal(0x2, frame.First & 0x0F); // binary: the relay's writes are binary messages by default
                echoed.AddRange(frame.Payload);
            }
        }
        Assert.Equal("héllo", Encoding.UTF8.GetString([.. echoed]));
        await ws.SendAsync(RawWebSocket.Frame(0x88, [0x0F, 0xA0, .. "bye"u8.ToArray()], masked: true)); // 4000, a private code
        Assert.Equal(4000, await ws.ReadCloseCodeAsync());
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("W WS-LISTEN: the peer closed the WebSocket: 4000 (private code), reason \"bye\"", server.StderrText);
    }
}
