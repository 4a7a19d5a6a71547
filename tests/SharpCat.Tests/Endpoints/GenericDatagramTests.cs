using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>SOCKET-SENDTO, SOCKET-DATAGRAM, SOCKET-RECV, SOCKET-RECVFROM with numeric family, type, protocol and hex addresses.</summary>
public class GenericDatagramTests
{
    /// <summary>socat's hex form of sockaddr_in after the family: port, address, eight zero bytes.</summary>
    private static string Hex(int port) => $"x{port:x4}7f0000010000000000000000";

    [Theory]
    [InlineData("SOCKET-SENDTO")]
    [InlineData("SOCKET-DATAGRAM")]
    public async Task AGenericUdpSocketSends(string keyword)
    {
        int port = FreePorts.Next();
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        var r = await Run.SharpCatAsync("generic\n"u8.ToArray(), "-u", "-", $"{keyword}:2:2:17:{Hex(port)}");
        Assert.Equal(0, r.ExitCode);
        var got = await receiver.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("generic\n"u8.ToArray(), got.Buffer);
    }

    [Fact]
    public async Task AGenericUdpSocketReceives()
    {
        int port = FreePorts.Next();
        using var relay = LiveProcess.SharpCat("-d", "-d", "-u", $"SOCKET-RECV:2:2:17:{Hex(port)}", "-");
        await relay.WaitForStderrAsync("starting data transfer loop");
        using var sender = new UdpClient();
        await sender.SendAsync("in\n"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
        await relay.WaitForStdoutAsync(o => o.Length >= 3);
        Assert.Equal("in\n"u8.ToArray(), relay.Stdout);
    }
}
