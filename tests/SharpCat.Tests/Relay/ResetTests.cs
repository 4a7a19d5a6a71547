using Microsoft.Extensions.Logging.Abstractions;
using System.Net;
using System.Net.Sockets;
using SharpCat.Endpoints;
using SharpCat.Relay;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// A peer that resets its connection: by default, as in socat, the reset is logged and the other
/// side gets a clean end of file after the data that came before it; with --propagate-reset the
/// other side gets a reset too. Both the spliced path and the copying one (-v).
/// </summary>
public class ResetTests
{
    public static TheoryData<string, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (bool copying in new[] { false, true })
        {
            data.Add("sharpcat", copying, false);
            data.Add("sharpcat", copying, true);
            data.Add("socat", copying, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AResetIsLoggedAndPassedOnAsAsked(string program, bool copying, bool propagate)
    {
        // The server sends a line, then resets (linger 0) once the line has been read back out.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        int relayPort = FreePorts.Next();
        var args = new List<string> { "-d", "-d" };
        if (copying) args.Add("-v");
        if (propagate) args.Add("--propagate-reset");
        args.Add($"TCP-LISTEN:{relayPort},bind=127.0.0.1,reuseaddr");
        args.Add($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}");
        using var relay = LiveProcess.Start(Binaries.Of(program), args.ToArray());
        await relay.WaitForStderrAsync("listening on");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, relayPort);
        using (var accepted = await server.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            await accepted.SendAsync("partial\n"u8.ToArray());
            var line = new byte[8];
            int got = 0;
            while (got < line.Length) got += await client.ReceiveAsync(line.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("partial\n"u8.ToArray(), line);
            accepted.LingerState = new LingerOption(true, 0);
        }
        // What the client sees after the data: a clean end of file, or a reset.
        SocketError end;
        try
        {
            int n = await client.ReceiveAsync(new byte[16]).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, n);
            end = SocketError.Success;
        }
        catch (SocketException e)
        {
            end = e.SocketErrorCode;
        }
        Assert.Equal(propagate ? SocketError.ConnectionReset : SocketError.Success, end);
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Contains("W read(", relay.StderrText);
        Assert.Contains("Connection reset by peer", relay.StderrText);
        if (propagate) Assert.Contains("W socket 2 was reset by its peer: resetting socket 1 (--propagate-reset)", relay.StderrText);
    }

    /// <summary>
    /// A reset that is already there when the relay starts waiting for data: the wait's zero-byte
    /// recv(2) consumes the error, and the read after it sees only an end of file. The reset must
    /// still count as one, on the copying path and the spliced one (CI once caught the race).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AResetThatCameBeforeTheWaitIsStillAReset(bool spliced)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var (relaySide, peer) = await ConnectedPairAsync(listener);
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        // Readable once the reset is in; Poll does not consume the error.
        Assert.True(relaySide.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "the reset never arrived");
        var source = new SocketChannel(relaySide);
        if (spliced)
        {
            var (sinkSide, reader) = await ConnectedPairAsync(listener);
            using var _ = reader;
            var raw = new AddressBehaviour(LineTerminator.Raw, false, null, null, false);
            var sink = new SocketChannel(sinkSide);
            var tally = new DirectionTally(new RelayContext(NullLogger.Instance, new RelayOptions(), null), RelaySide.Right);
            var (direction, _) = SplicedConnection.Start(new OpenedEndpoint(source, raw, raw, "socket 2", "TCP"), new OpenedEndpoint(sink, raw, raw, "socket 1", "TCP"),
                tally, null, new ActivityClock(), CancellationToken.None);
            await direction!.WaitAsync(TimeSpan.FromSeconds(10));
            await sink.DisposeAsync();
        }
        else
        {
            await source.WaitReadableAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await source.ReadAsync(new byte[16], CancellationToken.None));
        }
        Assert.True(source.WasReset);
        await source.DisposeAsync();
    }

    private static async Task<(Socket Connected, Socket Accepted)> ConnectedPairAsync(Socket listener)
    {
        var connected = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await connected.ConnectAsync(listener.LocalEndPoint!);
        return (connected, await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
