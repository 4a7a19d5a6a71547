using System.Net.Sockets;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Endpoints;
using SharpCat.Grammar;
using SharpCat.Relay;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// TCP_NODELAY over a TLS connection, read from the kernel: held on from the handshake until
/// the first application write (so the first reply after a TLS 1.3 server's session tickets is
/// not held by Nagle until the peer's delayed ACK), then as the address set it; an address that
/// sets <c>nodelay</c> either way keeps it as given throughout. Both ends are sharpcat's own
/// OPENSSL-LISTEN and OPENSSL, in-process.
/// </summary>
public class TlsNagleTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static OpenRequest Request(string address) =>
        new(AddressResolver.Resolve(AddressParser.ParseSingle(address)), Access.ReadWrite, new RelayOptions());

    private static bool NoDelay(IChannel channel)
    {
        using var socket = new Socket(new SafeSocketHandle(channel.ReadFd, ownsHandle: false));
        return socket.NoDelay;
    }

    private static async Task<string> ReadAsync(IChannel channel, int length)
    {
        var buffer = new byte[length];
        int got = 0;
        while (got < length)
        {
            int n = await channel.ReadAsync(buffer.AsMemory(got), CancellationToken.None).AsTask().WaitAsync(Bound);
            Assert.True(n > 0, "the peer ended the stream early");
            got += n;
        }
        return Encoding.ASCII.GetString(buffer);
    }

    [Theory]
    [InlineData("", true, false)]           // default: held for the handshake, Nagle back after the first write
    [InlineData(",nodelay=0", false, false)] // explicit: as set throughout
    [InlineData(",nodelay", true, true)]
    [InlineData(",nodelay=1", true, true)]
    public async Task NodelayIsHeldUntilTheFirstWriteUnlessTheAddressSetsIt(string option, bool duringHandshake, bool afterFirstWrite)
    {
        int port = FreePorts.Next();
        await using var listener = await OpenSslEndpoints.Listen(
            Request($"OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,cert={certs["server-full.pem"]},verify=0,min-version=TLS1.3{option}"),
            CancellationToken.None);
        var accepting = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var client = await OpenSslEndpoints.Connect(Request($"OPENSSL:127.0.0.1:{port},verify=0{option}"), CancellationToken.None)
            .AsTask().WaitAsync(Bound);
        await using var server = await accepting.WaitAsync(Bound);

        Assert.Equal(duringHandshake, NoDelay(server));
        Assert.Equal(duringHandshake, NoDelay(client));

        // The client's request first, then the server's reply: each side's first write.
        await client.WriteAsync("request"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal(afterFirstWrite, NoDelay(client));
        Assert.Equal(duringHandshake, NoDelay(server));
        Assert.Equal("request", await ReadAsync(server, 7));
        await server.WriteAsync("reply"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal(afterFirstWrite, NoDelay(server));
        Assert.Equal("reply", await ReadAsync(client, 5));

        // Later writes leave the setting alone.
        await server.WriteAsync("more"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal(afterFirstWrite, NoDelay(server));
        Assert.Equal("more", await ReadAsync(client, 4));
    }
}
