using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Library;

/// <summary>How each direction of a connection ended, as its record tells it: -t, -T, a reset.</summary>
public class ConnectionRecordTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A relay from a :0 listener to a server socket of the test's own, one client connected and
    /// its server side accepted; the task gives the connection's record when it ends.
    /// </summary>
    private static async Task<(RelayHost Relay, Socket Client, Socket Server, Task<RelayConnectionClosed> Closed, Socket Listener)> ConnectAsync(RelayOptions options)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1", $"TCP4:127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}", options);
        var closed = new TaskCompletionSource<RelayConnectionClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ConnectionClosed += (_, c) => closed.TrySetResult(c);
        await relay.StartAsync().WaitAsync(Bound);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(relay.LocalEndPoints[0]).WaitAsync(Bound);
        var server = await listener.AcceptAsync().WaitAsync(Bound);
        return (relay, client, server, closed.Task, listener);
    }

    [Fact]
    public async Task ADirectionCutByTheClosingWaitSaysSo()
    {
        var (relay, client, server, closed, listener) = await ConnectAsync(new RelayOptions { CloseTimeout = TimeSpan.FromMilliseconds(200) });
        await using var _ = relay;
        using var __ = client;
        using var ___ = server;
        using var ____ = listener;
        await client.SendAsync("request"u8.ToArray());
        client.Shutdown(SocketShutdown.Send); // the server never answers nor closes
        var record = await closed.WaitAsync(Bound);
        Assert.Equal(new DirectionSummary(7, 1, DirectionEnd.EndOfFile, null), record.LeftToRight);
        Assert.Equal(new DirectionSummary(0, 0, DirectionEnd.ClosingTimeout, null), record.RightToLeft);
    }

    [Fact]
    public async Task AnIdleConnectionEndedByTheInactivityTimeoutSaysSo()
    {
        var (relay, client, server, closed, listener) = await ConnectAsync(new RelayOptions { InactivityTimeout = TimeSpan.FromMilliseconds(200) });
        await using var _ = relay;
        using var __ = client;
        using var ___ = server;
        using var ____ = listener;
        var record = await closed.WaitAsync(Bound);
        Assert.Equal(DirectionEnd.InactivityTimeout, record.LeftToRight.End);
        Assert.Equal(DirectionEnd.InactivityTimeout, record.RightToLeft.End);
    }

    [Fact]
    public async Task APeersResetSaysSo()
    {
        var (relay, client, server, closed, listener) = await ConnectAsync(new RelayOptions());
        await using var _ = relay;
        using var ___ = server;
        using var ____ = listener;
        client.LingerState = new LingerOption(true, 0);
        client.Dispose(); // a reset, not a FIN
        var record = await closed.WaitAsync(Bound);
        Assert.Equal(DirectionEnd.Reset, record.LeftToRight.End);
    }
}
