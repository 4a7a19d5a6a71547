using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Metrics;

/// <summary>TLS handshakes timed by the library's <c>sharpcat.handshake.duration</c>, on both sides, and a failed one counted.</summary>
public class HandshakeMetricsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HandshakesAreTimedByRoleAndOutcome()
    {
        using var factory = new SharpCat.Cli.Metrics.ProgramMeterFactory();
        var options = new RelayOptions { MeterFactory = factory };
        await using var server = new RelayHost($"OPENSSL-LISTEN:0,bind=127.0.0.1,fork,cert={certs["server-full.pem"]},verify=0", "PIPE", options);
        using var serverSide = new RelayMetricsTests.Recorder(m => m.Scope == server);
        await server.StartAsync().WaitAsync(Bound);
        int serverPort = ((IPEndPoint)server.LocalEndPoints[0]).Port;
        await using var client = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1", $"OPENSSL:127.0.0.1:{serverPort},cafile={certs["ca.pem"]}", options);
        using var clientSide = new RelayMetricsTests.Recorder(m => m.Scope == client);
        await client.StartAsync().WaitAsync(Bound);

        using (var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await plain.ConnectAsync(client.LocalEndPoints[0]).WaitAsync(Bound);
            await plain.SendAsync(Encoding.ASCII.GetBytes("over tls\n")).WaitAsync(Bound);
            var buffer = new byte[64];
            int got = 0;
            while (got < 9) got += await plain.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Bound);
            Assert.Equal("over tls\n", Encoding.ASCII.GetString(buffer, 0, got));
        }
        double clientHandshake = Assert.Single(clientSide.Values("sharpcat.handshake.duration", "protocol=tls,role=client,outcome=ok"));
        await Wait.UntilAsync(() => serverSide.Values("sharpcat.handshake.duration", "protocol=tls,role=server,outcome=ok").Length == 1);
        Assert.InRange(clientHandshake, 0, Bound.TotalSeconds);

        // Not TLS at all: the server's handshake fails, is timed as failed and counted as an error.
        using (var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await garbage.ConnectAsync(server.LocalEndPoints[0]).WaitAsync(Bound);
            await garbage.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n")).WaitAsync(Bound);
            await Wait.UntilAsync(() => serverSide.Values("sharpcat.handshake.duration", "protocol=tls,role=server,outcome=failed").Length == 1);
        }
        Assert.Equal([1.0], serverSide.Values("sharpcat.errors", "kind=handshake"));
        Assert.Empty(clientSide.Values("sharpcat.errors", "kind=handshake"));
    }
}
