using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Library;

/// <summary>The library as a test suite uses it: a relay in-process, its port, its events, its log, its stop.</summary>
public class RelayHostTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static async Task<Socket> ConnectAsync(EndPoint to)
    {
        var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(to).WaitAsync(Bound);
        return client;
    }

    private static async Task<string> ExchangeAsync(Socket client, string text)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        await client.SendAsync(data).WaitAsync(Bound);
        var received = new byte[data.Length];
        int got = 0;
        while (got < data.Length)
        {
            int n = await client.ReceiveAsync(received.AsMemory(got)).AsTask().WaitAsync(Bound);
            if (n == 0) break;
            got += n;
        }
        return Encoding.ASCII.GetString(received, 0, got);
    }

    private static async Task<int> ReadToEndAsync(Socket client)
    {
        var buffer = new byte[4096];
        int total = 0, n;
        try
        {
            while ((n = await client.ReceiveAsync(buffer).WaitAsync(Bound)) > 0) total += n;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return total;
    }

    [Fact]
    public async Task TheListenerOfAZeroPortReportsThePortItGot()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost(Address.Of("TCP4-LISTEN", "0").Bind("127.0.0.1").Fork(), Address.Tcp("127.0.0.1", echo.Port));
        await relay.StartAsync().WaitAsync(Bound);
        var local = Assert.IsType<IPEndPoint>(Assert.Single(relay.LocalEndPoints));
        Assert.Equal(IPAddress.Loopback, local.Address);
        Assert.NotEqual(0, local.Port);
        using var client = await ConnectAsync(local);
        Assert.Equal("hello", await ExchangeAsync(client, "hello"));
    }

    [Fact]
    public async Task ASingleRelayIsStartedOnceItTransfersEvenWithNoOneListeningForEvents()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost($"TCP4:127.0.0.1:{echo.Port}", "SYSTEM:sleep 30");
        await relay.StartAsync().WaitAsync(Bound);
        Assert.False(relay.Completion.IsCompleted);
        Assert.Equal(1, relay.Statistics.ConnectionsOpen);
    }

    [Fact]
    public async Task EventsDescribeEachConnectionAndStatisticsAddThemUp()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{echo.Port}");
        var opened = new ConcurrentQueue<RelayConnection>();
        var closed = new TaskCompletionSource<RelayConnectionClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionOpened += (sender, c) => { Assert.Same(relay, sender); opened.Enqueue(c); };
        relay.ConnectionClosed += (_, c) => closed.TrySetResult(c);
        await relay.StartAsync().WaitAsync(Bound);
        var listening = (IPEndPoint)relay.LocalEndPoints[0];

        using var client = await ConnectAsync(listening);
        Assert.Equal("12345", await ExchangeAsync(client, "12345"));
        Assert.Equal(1, relay.Statistics.ConnectionsOpen);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await ReadToEndAsync(client));
        var record = await closed.Task.WaitAsync(Bound);

        var connection = Assert.Single(opened);
        Assert.Same(connection, record.Connection);
        Assert.Equal(1, connection.Id);
        Assert.Equal("TCP4-LISTEN:0,bind=127.0.0.1,fork", connection.Left.Address);
        Assert.Equal(client.LocalEndPoint, connection.Left.RemoteEndPoint);
        Assert.Equal(listening, connection.Left.LocalEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, echo.Port), connection.Right.RemoteEndPoint);
        Assert.Equal(new DirectionSummary(5, 1, DirectionEnd.EndOfFile, null), record.LeftToRight);
        Assert.Equal(5, record.RightToLeft.Bytes);
        Assert.Equal(DirectionEnd.EndOfFile, record.RightToLeft.End);
        Assert.True(record.Duration > TimeSpan.Zero);
        Assert.Equal(new RelayStatistics(0, 1, 5, 5, 1, 1), relay.Statistics);
    }

    [Fact]
    public async Task TwoRelaysInOneProcessLogApartAtTheirOwnLevels()
    {
        using var echo = new EchoServer();
        using var chatty = new ListLoggerFactory(LogLevel.Information);
        using var quiet = new ListLoggerFactory(LogLevel.Error);
        int refused = FreePorts.Next(); // nothing listens there
        await using var a = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{echo.Port}", loggerFactory: chatty);
        await using var b = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{refused}", loggerFactory: quiet);
        var bFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await a.StartAsync().WaitAsync(Bound);
        await b.StartAsync().WaitAsync(Bound);
        int portA = ((IPEndPoint)a.LocalEndPoints[0]).Port, portB = ((IPEndPoint)b.LocalEndPoints[0]).Port;

        using (var client = await ConnectAsync(a.LocalEndPoints[0]))
            Assert.Equal("x", await ExchangeAsync(client, "x"));
        using (var client = await ConnectAsync(b.LocalEndPoints[0]))
            Assert.Equal(0, await ReadToEndAsync(client)); // B cannot reach its server and closes
        await Wait.UntilAsync(() => quiet.Records.Count > 0);

        var aLines = chatty.Messages.ToArray();
        Assert.Contains(aLines, l => l.StartsWith("starting data transfer loop", StringComparison.Ordinal));
        Assert.Contains(aLines, l => l.Contains($"listening on AF=2 127.0.0.1:{portA}"));
        Assert.DoesNotContain(aLines, l => l.Contains(portB.ToString()) || l.Contains("refused"));
        Assert.All(chatty.Records, r => Assert.Equal("SharpCat.Relay", r.Category));

        var bRecord = Assert.Single(quiet.Records);
        Assert.Equal(LogLevel.Error, bRecord.Level);
        Assert.Contains($"127.0.0.1:{refused}", bRecord.Message);
        Assert.Contains("Connection refused", bRecord.Message);
    }

    [Fact]
    public async Task StopWithDrainClosesTheListenerAndLetsOpenConnectionsFinish()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{echo.Port}");
        var closed = new TaskCompletionSource<RelayConnectionClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionClosed += (_, c) => closed.TrySetResult(c);
        await relay.StartAsync().WaitAsync(Bound);
        var listening = relay.LocalEndPoints[0];
        using var client = await ConnectAsync(listening);
        Assert.Equal("before", await ExchangeAsync(client, "before"));

        var stopping = relay.StopAsync();
        await Wait.UntilAsync(() => !Probe.CanConnect(listening));
        Assert.False(stopping.IsCompleted);
        Assert.Equal("during the stop", await ExchangeAsync(client, "during the stop"));
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await ReadToEndAsync(client));
        await stopping.WaitAsync(Bound);
        Assert.True(relay.Completion.IsCompletedSuccessfully);
        var record = await closed.Task.WaitAsync(Bound);
        Assert.Equal(DirectionEnd.EndOfFile, record.LeftToRight.End);
        Assert.Equal(21, record.LeftToRight.Bytes);
    }

    [Fact]
    public async Task StopWithoutDrainCutsOpenConnections()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{echo.Port}");
        var closed = new TaskCompletionSource<RelayConnectionClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionClosed += (_, c) => closed.TrySetResult(c);
        await relay.StartAsync().WaitAsync(Bound);
        using var client = await ConnectAsync(relay.LocalEndPoints[0]);
        Assert.Equal("open", await ExchangeAsync(client, "open"));

        await relay.StopAsync(new CancellationToken(canceled: true)).WaitAsync(Bound);
        Assert.Equal(0, await ReadToEndAsync(client));
        var record = await closed.Task.WaitAsync(Bound);
        Assert.Equal(DirectionEnd.Stopped, record.LeftToRight.End);
        Assert.Equal(DirectionEnd.Stopped, record.RightToLeft.End);
        Assert.True(relay.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task ASingleRelayWithoutForkFinishesItsTransferWhenStoppedWithDrain()
    {
        using var echo = new EchoServer();
        await using var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1", $"TCP4:127.0.0.1:{echo.Port}");
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionOpened += (_, _) => opened.TrySetResult();
        await relay.StartAsync().WaitAsync(Bound);
        using var client = await ConnectAsync(relay.LocalEndPoints[0]);
        await opened.Task.WaitAsync(Bound);
        var stopping = relay.StopAsync();
        Assert.Equal("still relayed", await ExchangeAsync(client, "still relayed"));
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await ReadToEndAsync(client));
        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public async Task AnAddressThatCannotBeOpenedFailsStartAsync()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var logs = new ListLoggerFactory(LogLevel.Error);
        await using var relay = new RelayHost($"TCP4-LISTEN:{port},bind=127.0.0.1", "PIPE", loggerFactory: logs);
        var e = await Assert.ThrowsAnyAsync<SharpCatException>(() => relay.StartAsync().WaitAsync(Bound));
        Assert.Contains("Address already in use", e.Message);
        Assert.True(relay.Completion.IsFaulted);
        Assert.Equal(e.Message, Assert.Single(logs.Messages));
    }

    [Fact]
    public void AnInvalidAddressIsRefusedWhenTheRelayIsMade()
    {
        var e = Assert.Throws<SharpCatException>(() => new RelayHost("OPEN:/nonexistent/x,fork", "PIPE"));
        Assert.Contains("\"fork\"", e.Message);
        e = Assert.Throws<SharpCatException>(() => new RelayHost("PIPE", "NOSUCHTYPE:1"));
        Assert.Contains("NOSUCHTYPE", e.Message);
    }

    [Fact]
    public async Task RunAsyncRelaysToTheEndAndThrowsWhenCancelled()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["in"], "file contents\n");
        await RelayHost.RunAsync($"OPEN:{dir["in"]},rdonly", $"CREATE:{dir["out"]}", new RelayOptions { Direction = RelayDirection.LeftToRight })
            .WaitAsync(Bound);
        Assert.Equal("file contents\n", File.ReadAllText(dir["out"]));

        using var cts = new CancellationTokenSource();
        var running = RelayHost.RunAsync("TCP4-LISTEN:0,bind=127.0.0.1", "PIPE", cancellationToken: cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Bound));
    }
}
