using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// A fork listener that runs out of descriptors keeps every live relay and the client it could not
/// yet serve, waits, and serves it when relays end; and an idle relayed connection holds its two sockets, no splice pipe.
/// </summary>
public class ExhaustionTests
{
    // Two limits of different parity: with two descriptors per relay, the last one free is hit
    // either by an accept or by the connect that follows it, and each must keep the client.
    [Theory]
    [InlineData(60)]
    [InlineData(61)]
    public async Task ListenerOutOfDescriptorsKeepsItsRelaysAndRecovers(int limit)
    {
        using var echo = new EchoServer();
        int port = FreePorts.Next();
        using var relay = LiveProcess.Start("prlimit", $"--nofile={limit}:{limit}", Binaries.SharpCat, "-d", "-d",
            $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{echo.Port}");
        await relay.WaitForStderrAsync("listening on");
        var exhausted = relay.WaitForStderrAsync("again when resources free up");

        // Connect until the relay can accept no more: the last client waits in the backlog.
        var clients = new List<(TcpClient Client, StreamReader Reader)>();
        Task<string?>? waiting = null;
        for (int i = 0; waiting is null; i++)
        {
            Assert.True(i < limit, "the descriptor limit was never reached");
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
            clients.Add((client, reader));
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"ping {i}\n"));
            var line = reader.ReadLineAsync();
            await Task.WhenAny(line, exhausted);
            if (!line.IsCompleted) waiting = line;
            else Assert.Equal($"ping {i}", await line);
        }
        int live = clients.Count - 1;
        Assert.True(live >= 10, $"only {live} connections before the limit: more than 2 descriptors each?\n{relay.StderrText}");

        // Every relay accepted before the limit still works both ways.
        for (int i = 0; i < live; i++)
        {
            await clients[i].Client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"again {i}\n"));
            Assert.Equal($"again {i}", await clients[i].Reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        // Five relays end: the waiting client is accepted and answered.
        for (int i = 0; i < 5; i++) clients[i].Client.Dispose();
        Assert.Equal($"ping {live}", await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        foreach (var (client, _) in clients) client.Dispose();
        relay.Signal(15);
        Assert.Equal(143, await relay.WaitForExitAsync());
    }
}
