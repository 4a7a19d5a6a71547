using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// RECVFROM with fork on UNIX, abstract and generic sockets: as socat's child per datagram, every
/// datagram is relayed and answered to its own sender, and the address goes on receiving. (Before,
/// one relay took the first datagram and the address was opened again, failing on its own socket
/// file: every later sender was lost.)
/// </summary>
public class RecvFromForkTests
{
    [Theory]
    [InlineData("socat", "unix")]
    [InlineData("sharpcat", "unix")]
    [InlineData("socat", "abstract")]
    [InlineData("sharpcat", "abstract")]
    // socat 1.7.4 answers only the first sender here: its child reads the socket again and takes
    // the next sender's datagram (then "Broken pipe"); sharpcat answers each, as on UNIX sockets.
    [InlineData("sharpcat", "socket")]
    public async Task EachSenderGetsItsOwnAnswer(string program, string kind)
    {
        using var dir = new TempDir();
        string name = $"sharpcat-rf-{Guid.NewGuid():N}";
        int port = FreePorts.Next();
        var (address, target) = kind switch
        {
            "unix" => ($"UNIX-RECVFROM:{dir["server"]},fork", (EndPoint)new UnixDomainSocketEndPoint(dir["server"])),
            "abstract" => ($"ABSTRACT-RECVFROM:{name},fork", new UnixDomainSocketEndPoint("\0" + name)),
            _ => ($"SOCKET-RECVFROM:2:2:0:x{port:x4}7f0000010000000000000000,fork", new IPEndPoint(IPAddress.Loopback, port)),
        };
        using var server = LiveProcess.Start(Binaries.Of(program), "-d", "-d", address, "SYSTEM:read l; echo \"$l\" | tr a-z A-Z");
        await server.WaitForStderrAsync("receiving on");
        for (int i = 1; i <= 3; i++)
        {
            using var sender = kind == "socket"
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            sender.Bind(kind == "socket" ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(dir[$"sender{i}"]));
            await sender.SendToAsync(Encoding.ASCII.GetBytes($"sender {i}\n"), target);
            var buffer = new byte[100];
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await sender.ReceiveAsync(buffer, SocketFlags.None, bound.Token);
            Assert.Equal($"SENDER {i}\n", Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.False(server.HasExited, server.StderrText);
        Assert.DoesNotContain(" E ", server.StderrText);
    }
}
