using System.Net;
using System.Net.Sockets;
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
        int relayPort = FreePorts.Tcp();
        var args = new List<string> { "-d", "-d" };
        if (copying) args.Add("-v");
        if (propagate) args.Add("--propagate-reset");
        args.Add($"TCP-LISTEN:{relayPort},bind=127.0.0.1,reuseaddr");
        args.Add($"TCP:127.0.0.1:{((IPEndPoint)server.LocalEndPoint!).Port}");
        using var relay = LiveProcess.Start(program == "socat" ? Binaries.Socat! : Binaries.SharpCat, args.ToArray());
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
}
