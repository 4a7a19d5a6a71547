using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's socket options, read back off the live sockets of socat 1.8.0.3 and of sharpcat
/// given the same address (<see cref="ForeignSocket"/>): the receive and send timeouts, setsockopt
/// at the socket and the connected phases, and a source-specific IPv6 multicast membership.
/// </summary>
public class Socat18SocketOptionTests
{
    private const int SOL_SOCKET = 1, SO_KEEPALIVE = 9, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21, IPPROTO_TCP = 6, TCP_NODELAY = 1;

    private static readonly string[] Programs = ["socat18", "sharpcat"];

    /// <summary>A relay to a test listener; the socket the relay connected with.</summary>
    private static async Task<(LiveProcess Relay, ForeignSocket Socket)> ClientAsync(string program, string address)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-", address.Replace("{port}", port.ToString()));
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await relay.WaitForStderrAsync("starting data transfer loop");
        string local = accepted.Client.RemoteEndPoint!.ToString()!;
        var socket = ForeignSocket.Find(relay.Pid, s => s.Local == local)
            ?? throw new InvalidOperationException($"{program}: no socket {local}; stderr:\n{relay.StderrText}");
        return (relay, socket);
    }

    /// <summary>
    /// A listening relay: one option read off its listening socket before a client comes (socat
    /// without fork closes it once it accepts), then off the accepted connection.
    /// </summary>
    private static async Task<(int OnListening, int OnAccepted)> ReadOnListenerAsync(string program, string options, int level, int name)
    {
        var (relay, port) = await Listeners.StartAsync(Binaries.Of(program), "-d", "-d", $"TCP4-LISTEN:0,bind=127.0.0.1,{options}", "PIPE");
        using var _ = relay;
        int onListening;
        using (var listening = ForeignSocket.Find(relay.Pid, s => s.Listening) ?? throw new InvalidOperationException($"{program}: no listening socket"))
            onListening = listening.Int(level, name);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
        await relay.WaitForStderrAsync("starting data transfer loop");
        string peer = client.Client.LocalEndPoint!.ToString()!;
        using var accepted = ForeignSocket.Find(relay.Pid, s => s.Peer == peer) ?? throw new InvalidOperationException($"{program}: no accepted socket");
        return (onListening, accepted.Int(level, name));
    }

    // Whole jiffies (the kernel keeps these timeouts in them): values read back exactly.
    [Theory]
    [InlineData("rcvtimeo=1.5", SO_RCVTIMEO, "1.500000")]
    [InlineData("so-rcvtimeo=3", SO_RCVTIMEO, "3.000000")]
    [InlineData("sndtimeo=0.5", SO_SNDTIMEO, "0.500000")]
    [InlineData("so-sndtimeo=2", SO_SNDTIMEO, "2.000000")]
    public async Task TimeoutsReadBackOffAClientAsWithSocat18(string option, int name, string expected)
    {
        foreach (string program in Programs)
        {
            var (relay, socket) = await ClientAsync(program, $"TCP4:127.0.0.1:{{port}},{option}");
            using var _ = relay;
            using var __ = socket;
            Assert.Equal(expected, socket.Timeval(SOL_SOCKET, name));
        }
    }

    [Theory]
    [InlineData("rcvtimeo=4", SO_RCVTIMEO, "4.000000")]
    [InlineData("sndtimeo=1.2", SO_SNDTIMEO, "1.200000")]
    public async Task TimeoutsReadBackOffADatagramSocketAsWithSocat18(string option, int name, string expected)
    {
        foreach (string program in Programs)
        {
            using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            string to = target.LocalEndPoint!.ToString()!;
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-u", "-", $"UDP4-SENDTO:{to},{option}");
            await relay.WaitForStderrAsync("starting data transfer loop");
            using var socket = ForeignSocket.Find(relay.Pid, s => s.Family == 2 && s.Local != to)
                ?? throw new InvalidOperationException($"{program}: no socket; stderr:\n{relay.StderrText}");
            Assert.Equal(expected, socket.Timeval(SOL_SOCKET, name));
        }
    }

    /// <summary>
    /// setsockopt-socket acts on the listening socket (which the accepted one inherits);
    /// setsockopt-connected only on the accepted connection, as socat 1.8 applies them.
    /// </summary>
    [Theory]
    [InlineData("setsockopt-socket=1:9:x01000000", 1, 1)]
    [InlineData("sockopt-sock=1:9:x01000000", 1, 1)]
    [InlineData("setsockopt-connected=1:9:x01000000", 0, 1)]
    [InlineData("sockopt-conn=1:9:x01000000", 0, 1)]
    public async Task SocketAndConnectedPhasesActAsInSocat18(string option, int onListening, int onAccepted)
    {
        foreach (string program in Programs)
            Assert.Equal((onListening, onAccepted), await ReadOnListenerAsync(program, option, SOL_SOCKET, SO_KEEPALIVE));
    }

    [Theory]
    [InlineData("setsockopt-connected=6:1:x01000000", IPPROTO_TCP, TCP_NODELAY)]
    [InlineData("setsockopt-socket=1:9:x01000000", SOL_SOCKET, SO_KEEPALIVE)]
    public async Task SocketAndConnectedPhasesActOnAClientAsInSocat18(string option, int level, int name)
    {
        foreach (string program in Programs)
        {
            var (relay, socket) = await ClientAsync(program, $"TCP4:127.0.0.1:{{port}},{option}");
            using var _ = relay;
            using var __ = socket;
            Assert.True(socket.Int(level, name) == 1, $"{program}: ({level}, {name}) not set");
        }
    }

    [Theory]
    [InlineData("setsockopt-connected=1:9:x01000000")]
    [InlineData("setsockopt-socket=1:9:x01000000")]
    public async Task SocketAndConnectedPhasesActOnUdp(string option)
    {
        foreach (string program in Programs)
        {
            using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            string to = target.LocalEndPoint!.ToString()!;
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-u", "-", $"UDP4:{to},{option}");
            await relay.WaitForStderrAsync("starting data transfer loop");
            using var socket = ForeignSocket.Find(relay.Pid, s => s.Family == 2 && s.Peer == to)
                ?? throw new InvalidOperationException($"{program}: no socket; stderr:\n{relay.StderrText}");
            Assert.Equal(1, socket.Int(SOL_SOCKET, SO_KEEPALIVE));
        }
    }

    [Theory]
    [InlineData("rcvtimeo=-1")]
    [InlineData("sndtimeo=abc")]
    [InlineData("setsockopt-socket=1:9")]
    [InlineData("setsockopt-connected=x:9:x01")]
    public async Task BadValuesAreRefusedBeforeAnythingOpens(string option)
    {
        var r = await Run.SharpCatAsync("-", $"TCP4:127.0.0.1:9,{option}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(option[..option.IndexOf('=')], Assert.Single(r.LogLines));
    }

    /// <summary>
    /// ipv6-join-source-group on an IPv6 receiver: the kernel's source filter for the group on lo
    /// (/proc/net/mcfilter6) shows the source, under socat 1.8 and sharpcat alike.
    /// </summary>
    [Theory]
    [InlineData("ipv6-join-source-group")]
    [InlineData("join-source-group")]
    public async Task Ipv6SourceGroupMembershipIsTheKernelsAsWithSocat18(string name)
    {
        foreach (string program in Programs)
        {
            string group = $"ff3e::{Random.Shared.Next(0x1000, 0xffff):x}";
            string hex = Convert.ToHexString(IPAddress.Parse(group).GetAddressBytes()).ToLowerInvariant();
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-u", $"UDP6-RECV:0,{name}=[{group}]:lo:[::1]", "-");
            await relay.WaitForStderrAsync("starting data transfer loop");
            string filter = File.ReadAllText("/proc/net/mcfilter6");
            Assert.Contains($" lo {hex} 00000000000000000000000000000001 ", System.Text.RegularExpressions.Regex.Replace(filter, " +", " "));
        }
    }

    [Theory]
    [InlineData("ipv6-join-source-group=[ff3e::1]:lo")]
    [InlineData("ipv6-join-source-group=[fe80::1]:lo:[::1]")]
    [InlineData("ipv6-join-source-group=[ff3e::1]:nosuchif9:[::1]")]
    public async Task BadSourceGroupsAreErrors(string option)
    {
        var r = await Run.SharpCatAsync("-u", $"UDP6-RECV:0,{option}", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("E ", Assert.Single(r.LogLines));
    }

    [Theory]
    [InlineData("TCP6-LISTEN:0,ipv6-join-source-group=[ff3e::1]:lo:[::1]")]
    [InlineData("STDIO,join-source-group=[ff3e::1]:lo:[::1]")]
    public async Task SourceGroupsWhereNoMembershipIsSetAreRefused(string address)
    {
        var r = await Run.SharpCatAsync("-u", address, "-");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("E ", Assert.Single(r.LogLines));
    }
}
