using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// SOCKET, IP and TCP options of the stream socket addresses, checked on the live socket: the
/// relay's descriptor is duplicated into the test (<see cref="ForeignSocket"/>) and read with
/// getsockopt, side by side with socat given the same address; and by what they do on the wire
/// (two listeners on one port, dual-stack accept, the reset that linger=0 sends, TIME_WAIT).
/// </summary>
public class SocketOptionTests
{
    private static string Program(string name) => name switch
    {
        "sharpcat" => Binaries.SharpCat,
        "socat" => Binaries.Socat ?? throw new InvalidOperationException("socat is not installed (test.sh installs it)"),
        _ => throw new ArgumentException(name),
    };

    private static readonly Dictionary<string, (int Level, int Option)> Readable = new()
    {
        ["SO_REUSEADDR"] = (ForeignSocket.SOL_SOCKET, 2),
        ["SO_SNDBUF"] = (ForeignSocket.SOL_SOCKET, 7),
        ["SO_RCVBUF"] = (ForeignSocket.SOL_SOCKET, 8),
        ["SO_KEEPALIVE"] = (ForeignSocket.SOL_SOCKET, 9),
        ["SO_REUSEPORT"] = (ForeignSocket.SOL_SOCKET, 15),
        ["SO_RCVLOWAT"] = (ForeignSocket.SOL_SOCKET, 18),
        ["IP_TTL"] = (ForeignSocket.IPPROTO_IP, 2),
        ["IPV6_V6ONLY"] = (ForeignSocket.IPPROTO_IPV6, 26),
        ["TCP_NODELAY"] = (ForeignSocket.IPPROTO_TCP, 1),
        ["TCP_KEEPIDLE"] = (ForeignSocket.IPPROTO_TCP, 4),
        ["TCP_KEEPINTVL"] = (ForeignSocket.IPPROTO_TCP, 5),
        ["TCP_KEEPCNT"] = (ForeignSocket.IPPROTO_TCP, 6),
    };

    // Each value differs from the kernel's default, so an option that is ignored fails its row.
    // Buffer sizes read back doubled (the kernel's bookkeeping share); linger reads "onoff,seconds".
    // The *-LISTEN rows read the accepted connection, which inherits the listener's options; UNIX
    // connections do not inherit them, so UNIX-LISTEN reads the listening socket itself. IPV6_V6ONLY
    // is read on a client: binding [::1] sets it by itself (the listener's case is the namespace test).
    [Theory]
    [InlineData("TCP4-LISTEN", "", "SO_REUSEADDR", "0")]
    [InlineData("TCP4-LISTEN", "reuseaddr", "SO_REUSEADDR", "1")]
    [InlineData("TCP4-LISTEN", "so-reuseaddr", "SO_REUSEADDR", "1")]
    [InlineData("TCP4-LISTEN", "reuseport", "SO_REUSEPORT", "1")]
    [InlineData("TCP4-LISTEN", "so-reuseport", "SO_REUSEPORT", "1")]
    [InlineData("TCP4-LISTEN", "keepalive", "SO_KEEPALIVE", "1")]
    [InlineData("TCP4-LISTEN", "so-keepalive", "SO_KEEPALIVE", "1")]
    [InlineData("TCP4-LISTEN", "keepintvl=7", "TCP_KEEPINTVL", "7")]
    [InlineData("TCP4-LISTEN", "tcp-keepintvl=8", "TCP_KEEPINTVL", "8")]
    [InlineData("TCP4-LISTEN", "keepcnt=4", "TCP_KEEPCNT", "4")]
    [InlineData("TCP4-LISTEN", "tcp-keepcnt=5", "TCP_KEEPCNT", "5")]
    [InlineData("TCP4-LISTEN", "tcp-keepidle=44", "TCP_KEEPIDLE", "44")]
    [InlineData("TCP4-LISTEN", "linger=3", "SO_LINGER", "1,3")]
    [InlineData("TCP4-LISTEN", "so-linger=0", "SO_LINGER", "1,0")]
    [InlineData("TCP4-LISTEN", "sndbuf=65536", "SO_SNDBUF", "131072")]
    [InlineData("TCP4-LISTEN", "so-sndbuf=50000", "SO_SNDBUF", "100000")]
    [InlineData("TCP4-LISTEN", "so-rcvbuf=70000", "SO_RCVBUF", "140000")]
    [InlineData("TCP4-LISTEN", "rcvlowat=17", "SO_RCVLOWAT", "17")]
    [InlineData("TCP4-LISTEN", "so-rcvlowat=5", "SO_RCVLOWAT", "5")]
    [InlineData("TCP4-LISTEN", "ttl=33", "IP_TTL", "33")]
    [InlineData("TCP4-LISTEN", "ip-ttl=20", "IP_TTL", "20")]
    [InlineData("TCP4-LISTEN", "tcp-nodelay", "TCP_NODELAY", "1")]
    [InlineData("TCP6-LISTEN", "ttl=34", "IP_TTL", "34")]
    [InlineData("TCP6-LISTEN", "keepcnt=6,keepintvl=9", "TCP_KEEPINTVL", "9")]
    [InlineData("TCP4", "bind=127.0.0.1", "SO_REUSEADDR", "0")]
    [InlineData("TCP4", "so-reuseaddr", "SO_REUSEADDR", "1")]
    [InlineData("TCP4", "so-keepalive", "SO_KEEPALIVE", "1")]
    [InlineData("TCP4", "keepintvl=7", "TCP_KEEPINTVL", "7")]
    [InlineData("TCP4", "keepcnt=4", "TCP_KEEPCNT", "4")]
    [InlineData("TCP4", "linger=3", "SO_LINGER", "1,3")]
    [InlineData("TCP4", "sndbuf=65536", "SO_SNDBUF", "131072")]
    [InlineData("TCP4", "rcvlowat=17", "SO_RCVLOWAT", "17")]
    [InlineData("TCP4", "ttl=33", "IP_TTL", "33")]
    [InlineData("TCP6", "ipv6only=1", "IPV6_V6ONLY", "1")]
    [InlineData("TCP6", "ipv6-v6only=1", "IPV6_V6ONLY", "1")]
    [InlineData("TCP6", "v6only=1", "IPV6_V6ONLY", "1")]
    [InlineData("TCP6", "so-sndbuf=65536", "SO_SNDBUF", "131072")]
    [InlineData("UNIX-LISTEN", "sndbuf=65536", "SO_SNDBUF", "131072")]
    [InlineData("UNIX-LISTEN", "so-rcvlowat=9", "SO_RCVLOWAT", "9")]
    [InlineData("UNIX-LISTEN", "linger=2", "SO_LINGER", "1,2")]
    [InlineData("UNIX-CONNECT", "so-sndbuf=50000", "SO_SNDBUF", "100000")]
    [InlineData("UNIX-CONNECT", "rcvlowat=17", "SO_RCVLOWAT", "17")]
    [InlineData("UNIX-CONNECT", "so-linger=4", "SO_LINGER", "1,4")]
    public async Task OptionReadsBackOffTheLiveSocketAsWithSocat(string kind, string options, string read, string expected)
    {
        string sharp = await ReadOptionAsync(Program("sharpcat"), kind, options, read);
        string socat = await ReadOptionAsync(Program("socat"), kind, options, read);
        Assert.True(sharp == expected && socat == expected,
            $"{kind},{options}: {read} is {sharp} under sharpcat, {socat} under socat; expected {expected}");
    }

    /// <summary>Opens <paramref name="kind"/> with the options under the program, and reads one option off its socket.</summary>
    private static async Task<string> ReadOptionAsync(string program, string kind, string options, string read)
    {
        string opts = options.Length == 0 ? "" : "," + options;
        using var dir = new TempDir();
        string path = dir["s"];
        switch (kind)
        {
            case "TCP4-LISTEN" or "TCP6-LISTEN":
            {
                bool v6 = kind == "TCP6-LISTEN";
                string bind = v6 ? "[::1]" : "127.0.0.1";
                var (relay, port) = await Listeners.StartAsync(program, "-d", "-d", $"{kind}:0,bind={bind}{opts}", "PIPE");
                using var _ = relay;
                using var client = new TcpClient(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
                await client.ConnectAsync(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
                await relay.WaitForStderrAsync("starting data transfer loop");
                string peer = client.Client.LocalEndPoint!.ToString()!;
                return ReadFrom(relay, s => s.Peer == peer, read);
            }
            case "TCP4" or "TCP6":
            {
                bool v6 = kind == "TCP6";
                using var listener = new TcpListener(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
                listener.Start();
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                using var relay = LiveProcess.Start(program, "-d", "-d", "-", $"{kind}:{(v6 ? "[::1]" : "127.0.0.1")}:{port}{opts}");
                using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
                await relay.WaitForStderrAsync("starting data transfer loop");
                string local = accepted.Client.RemoteEndPoint!.ToString()!;
                return ReadFrom(relay, s => s.Local == local, read);
            }
            case "UNIX-LISTEN":
            {
                var (relay, _) = await Listeners.StartAsync(program, "-d", "-d", $"UNIX-LISTEN:{path}{opts}", "PIPE");
                using var _r = relay;
                return ReadFrom(relay, s => s.Listening && s.Local == path, read);
            }
            case "UNIX-CONNECT":
            {
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(path));
                listener.Listen();
                using var relay = LiveProcess.Start(program, "-d", "-d", "-", $"UNIX-CONNECT:{path}{opts}");
                using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
                await relay.WaitForStderrAsync("starting data transfer loop");
                return ReadFrom(relay, s => s.Peer == path, read);
            }
            default:
                throw new ArgumentException(kind);
        }
    }

    private static string ReadFrom(LiveProcess relay, Func<ForeignSocket, bool> match, string read)
    {
        using var socket = ForeignSocket.Find(relay.Pid, match)
            ?? throw new InvalidOperationException($"no matching socket in process {relay.Pid}; stderr:\n{relay.StderrText}");
        if (read == "SO_LINGER") return socket.Linger();
        var (level, option) = Readable[read];
        return socket.Int(level, option).ToString();
    }

    /// <summary>
    /// The datagram options, read off the live UDP socket (a receiver, and a sender to a test
    /// socket) under sharpcat and under socat; each value differs from the kernel's default.
    /// </summary>
    [Theory]
    [InlineData("UDP4-RECV", "broadcast", 1, 6, 1)]
    [InlineData("UDP4-RECV", "so-broadcast=1", 1, 6, 1)]
    [InlineData("UDP4-RECV", "ip-multicast-ttl=5", 0, 33, 5)]
    [InlineData("UDP4-RECV", "multicast-loop=0", 0, 34, 0)]
    [InlineData("UDP4-RECV", "mtudiscover=0", 0, 10, 0)]
    [InlineData("UDP4-RECV", "ip-mtu-discover=2", 0, 10, 2)]
    [InlineData("UDP4-RECV", "tos=16", 0, 1, 16)]
    [InlineData("UDP4-RECV", "ttl=9", 0, 2, 9)]
    [InlineData("UDP4-RECV", "ip-recverr=1", 0, 11, 1)]
    [InlineData("UDP4-RECV", "ip-pktinfo", 0, 8, 1)]
    [InlineData("UDP4-RECV", "ip-recvttl", 0, 12, 1)]
    [InlineData("UDP4-RECV", "ip-recvtos", 0, 13, 1)]
    [InlineData("UDP6-RECV", "ipv6-recvpktinfo", 41, 49, 1)]
    [InlineData("UDP6-RECV", "ipv6-recvhoplimit", 41, 51, 1)]
    [InlineData("UDP6-RECV", "ipv6-recvtclass", 41, 66, 1)]
    [InlineData("UDP6-RECV", "ipv6-unicast-hops=7", 41, 16, 7)]
    [InlineData("UDP4-SENDTO", "broadcast", 1, 6, 1)]
    [InlineData("UDP4-SENDTO", "ip-multicast-ttl=3", 0, 33, 3)]
    [InlineData("UDP4-SENDTO", "tos=8", 0, 1, 8)]
    public async Task DatagramOptionReadsBackAsWithSocat(string kind, string options, int level, int option, int expected)
    {
        int sharp = await ReadDatagramOptionAsync(Program("sharpcat"), kind, options, level, option);
        int socat = await ReadDatagramOptionAsync(Program("socat"), kind, options, level, option);
        Assert.True(sharp == expected && socat == expected,
            $"{kind},{options}: ({level}, {option}) is {sharp} under sharpcat, {socat} under socat; expected {expected}");
    }

    private static async Task<int> ReadDatagramOptionAsync(string program, string kind, string options, int level, int option)
    {
        bool v6 = kind.StartsWith("UDP6");
        string host = v6 ? "[::1]" : "127.0.0.1";
        using var target = new Socket(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        int port = ((IPEndPoint)target.LocalEndPoint!).Port;
        // The receiver takes a port of its own (bind picks one), the sender sends to the test socket.
        using var relay = kind.EndsWith("RECV")
            ? LiveProcess.Start(program, "-d", "-d", "-u", $"{kind}:0,bind={host},{options}", "-")
            : LiveProcess.Start(program, "-d", "-d", "-u", "-", $"{kind}:{host}:{port},{options}");
        await relay.WaitForStderrAsync("starting data transfer loop");
        using var socket = ForeignSocket.Find(relay.Pid, s => s.Family == (v6 ? 10 : 2) && s.Local != target.LocalEndPoint!.ToString())
            ?? throw new InvalidOperationException($"no UDP socket in process {relay.Pid}; stderr:\n{relay.StderrText}");
        return socket.Int(level, option);
    }

    /// <summary>The IPv6 options Linux refuses as ints fail with the kernel's words under both programs.</summary>
    [Theory]
    [InlineData("ipv6-pktinfo=1")]
    [InlineData("ipv6-rthdr=1")]
    [InlineData("ipv6-authhdr=1")]
    [InlineData("ipv6-dstopts=1")]
    [InlineData("ipv6-hopopts=1")]
    [InlineData("ipv6-hoplimit=1")]
    public async Task KernelRefusedIpv6OptionsFailAsUnderSocat(string option)
    {
        static string Message(RunResult r) => System.Text.RegularExpressions.Regex.Replace(r.LogLines[^1], @"setsockopt\(\d+,", "setsockopt(N,");
        var socat = await Run.SocatAsync([], "-u", $"UDP6-RECV:0,bind=[::1],{option}", "-");
        var ours = await Run.SharpCatAsync([], "-u", $"UDP6-RECV:0,bind=[::1],{option}", "-");
        Assert.Equal(1, socat.ExitCode);
        Assert.Equal(1, ours.ExitCode);
        Assert.Equal(Message(socat), Message(ours));
    }

    /// <summary>
    /// sourceport and range on datagram addresses: the port a UDP sender sends from, and a datagram
    /// receiver that drops what comes from outside its range.
    /// </summary>
    [Fact]
    public async Task SourceportAndRangeActOnDatagrams()
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)target.LocalEndPoint!).Port;
        int source = FreePorts.Next();
        var sent = await Run.SharpCatAsync("sp\n"u8.ToArray(), "-u", "-", $"UDP4-SENDTO:127.0.0.1:{port},sourceport={source}");
        Assert.Equal(0, sent.ExitCode);
        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var r = await target.ReceiveFromAsync(buffer, SocketFlags.None, from).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(source, ((IPEndPoint)r.RemoteEndPoint).Port);

        using var receiver = LiveProcess.SharpCat("-d", "-d", "-u", "UDP4-RECV:0,bind=127.0.0.1,range=127.0.0.2/32", "-");
        await receiver.WaitForStderrAsync("starting data transfer loop");
        using var found = ForeignSocket.Find(receiver.Pid, s => s.Family == 2)!;
        var receiverEnd = IPEndPoint.Parse(found.Local);
        using var outside = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        outside.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
        await outside.SendToAsync("outside\n"u8.ToArray(), SocketFlags.None, receiverEnd);
        using var inside = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        inside.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await inside.SendToAsync("inside\n"u8.ToArray(), SocketFlags.None, receiverEnd);
        await receiver.WaitForStdoutAsync(o => o.Length >= "inside\n".Length);
        Assert.Equal("inside\n", System.Text.Encoding.ASCII.GetString(receiver.Stdout));
        Assert.Contains("refusing connection from AF=2 127.0.0.3:", receiver.StderrText); // socat's words, for datagrams too
    }

    /// <summary>
    /// reuseport: a second listener joins a port that one already listens on, and the kernel then
    /// hands connections to both; without the option the same bind is refused.
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "reuseport")]
    [InlineData("sharpcat", "so-reuseport")]
    [InlineData("socat", "so-reuseport")]
    public async Task ReuseportLetsTwoListenersShareAPort(string second, string spelling)
    {
        var (first, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP4-LISTEN:0,bind=127.0.0.1,reuseport,fork", "PIPE");
        using var _ = first;

        // The control: the program under test without the option cannot bind the port (accept-timeout
        // ends it quickly should it wrongly listen).
        var refused = await Run.ProgramAsync(Program(second), [$"TCP4-LISTEN:{port},bind=127.0.0.1,accept-timeout=2", "PIPE"], [], Run.DefaultTimeout);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("Address already in use", refused.StderrText);

        using var other = LiveProcess.Start(Program(second), "-d", "-d", $"TCP4-LISTEN:{port},bind=127.0.0.1,{spelling},fork", "PIPE");
        await other.WaitForStderrAsync("listening on");
        // The kernel picks a listener by a hash of each connection's addresses: new source ports
        // reach both soon (each further connection misses one of them with probability 1/2).
        const string accepting = "accepting connection from AF=2 127.0.0.1:";
        for (int i = 0; i < 200 && !(first.StderrText.Contains(accepting) && other.StderrText.Contains(accepting)); i++)
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
            var stream = c.GetStream();
            await stream.WriteAsync("x"u8.ToArray());
            byte[] back = new byte[1];
            Assert.Equal(1, await stream.ReadAsync(back).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal((byte)'x', back[0]);
        }
        await Wait.UntilAsync(() => first.StderrText.Contains(accepting) && other.StderrText.Contains(accepting), 10);
    }

    /// <summary>
    /// ipv6only on a TCP6 listener on the wildcard address: 0 lets it take IPv4 clients as
    /// ::ffff:127.0.0.1, 1 leaves IPv4 to others, and without the option the kernel's default
    /// (net.ipv6.bindv6only) decides, as in socat (.NET alone would make every IPv6 socket
    /// IPv6-only). Run in a network namespace of its own (only a loopback; a fixed port is free
    /// there) whose default is set opposite to the option, so that an option not applied shows.
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "ipv6only=0", 1, true)]
    [InlineData("sharpcat", "ipv6only=1", 0, false)]
    [InlineData("sharpcat", "ipv6-v6only=0", 1, true)]
    [InlineData("sharpcat", "v6only=1", 0, false)]
    [InlineData("sharpcat", "", 0, true)]
    [InlineData("sharpcat", "", 1, false)]
    [InlineData("socat", "ipv6only=0", 1, true)]
    [InlineData("socat", "ipv6only=1", 0, false)]
    [InlineData("socat", "", 0, true)]
    [InlineData("socat", "", 1, false)]
    public async Task Ipv6OnlyDecidesWhetherAnIpv6ListenerTakesIpv4Clients(string program, string option, int bindv6only, bool dualStack)
    {
        string opts = option.Length == 0 ? "" : "," + option;
        using var dir = new TempDir();
        string S = Binaries.SharpCat, relay = Program(program);
        // The IPv6 client retries until the relay listens (bounded: 200 x 50 ms); the IPv4 client then
        // either gets its echo or a refusal.
        string script = $"""
            PATH=$PATH:/usr/sbin:/sbin
            ip link set lo up || exit 2
            echo {bindv6only} >/proc/sys/net/ipv6/bindv6only || exit 2
            "{relay}" -d -d TCP6-LISTEN:5555{opts},fork PIPE </dev/null >/dev/null 2>"{dir["relay.log"]}" &
            relay=$!
            echo "v6:$(printf v6 | "{S}" - TCP6:[::1]:5555,retry=200,interval=0.05 2>"{dir["client.log"]}")"
            echo "v4:$(printf v4 | "{S}" - TCP4:127.0.0.1:5555 2>&1)"
            kill $relay
            wait $relay
            """;
        var r = await NetworkNamespace.RunAsync(script);
        string log = File.Exists(dir["relay.log"]) ? File.ReadAllText(dir["relay.log"]) : "";
        string[] lines = r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 2 && lines[0] == "v6:v6", $"{r}\nstdout:\n{r.StdoutText}\nrelay log:\n{log}");
        if (!dualStack)
        {
            Assert.Matches(@"^v4:.*E connect\(\d+, AF=2 127\.0\.0\.1:5555, 16\): Connection refused$", lines[1]);
            Assert.DoesNotContain(MappedLoopback, log);
        }
        else
        {
            Assert.Equal("v4:v4", lines[1]);
            Assert.Contains(MappedLoopback, log);
        }
    }

    /// <summary>An IPv4 client as an IPv6 listener sees it, in socat's spelling of ::ffff:127.0.0.1.</summary>
    private const string MappedLoopback = "accepting connection from AF=10 [0000:0000:0000:0000:0000:ffff:7f00:0001]:";

    /// <summary>
    /// linger=0: when the relay ends the connection (here -T, nothing sent), the close resets it.
    /// As socat does, the socket is shut down first, so the peer reads end of file and the reset
    /// then takes the connection to CLOSED; with end-close there is no shutdown and the peer reads
    /// ECONNRESET. Without linger=0 the peer is left in CLOSE_WAIT, as after any orderly close.
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "", "EOF", TcpCloseWait)]
    [InlineData("sharpcat", "linger=0", "EOF", TcpClose)]
    [InlineData("sharpcat", "so-linger=0", "EOF", TcpClose)]
    [InlineData("sharpcat", "linger=0,end-close", "ECONNRESET", TcpClose)]
    [InlineData("sharpcat", "end-close", "EOF", TcpCloseWait)]
    [InlineData("socat", "", "EOF", TcpCloseWait)]
    [InlineData("socat", "linger=0", "EOF", TcpClose)]
    [InlineData("socat", "linger=0,end-close", "ECONNRESET", TcpClose)]
    public async Task LingerZeroResetsTheConnectionAtClose(string program, string options, string peerReads, int peerState)
    {
        string opts = options.Length == 0 ? "" : "," + options;
        // -T long enough that a loaded test host finishes its connect before the relay's close:
        // a reset that comes first fails the connect itself (EPIPE, seen in CI at -T 0.3).
        var (relay, port) = await Listeners.StartAsync(Program(program), "-d", "-d", "-T", "1.5", $"TCP4-LISTEN:0,bind=127.0.0.1{opts}", "PIPE");
        using var _ = relay;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
        string got;
        try
        {
            int n = await client.Client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(20));
            got = n == 0 ? "EOF" : $"{n} bytes";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            got = "ECONNRESET";
        }
        Assert.Equal(peerReads, got);
        Assert.Equal(0, await relay.WaitForExitAsync());
        // The relay has closed its socket: a reset, if any, was sent before it exited.
        if (peerState == TcpClose) await Wait.UntilAsync(() => TcpState(client.Client) == TcpClose, 10);
        Assert.Equal(peerState, TcpState(client.Client));
    }

    private const int TcpClose = 7, TcpCloseWait = 8;

    /// <summary>tcpi_state, the first byte of TCP_INFO.</summary>
    private static int TcpState(Socket s)
    {
        Span<byte> info = stackalloc byte[8];
        s.GetRawSocketOption(6, 11, info);
        return info[0];
    }

    /// <summary>
    /// reuseaddr: a listener may bind a port whose earlier connection is still in TIME_WAIT only
    /// with the option. Without it the bind fails as in socat (.NET would set SO_REUSEADDR on every
    /// TCP bind by itself; sharpcat must not).
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "reuseaddr")]
    [InlineData("sharpcat", "so-reuseaddr")]
    [InlineData("socat", "so-reuseaddr")]
    public async Task ReuseaddrIsNeededToListenOverTimeWait(string program, string spelling)
    {
        string p = Program(program);
        // A first relay on the port closes first (EOF from /dev/null), so its end goes to TIME_WAIT.
        var (first, port) = await Listeners.StartAsync(p, "-d", "-d", "TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr", "OPEN:/dev/null");
        using (first)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
            await client.GetStream().CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(20)); // the relay's FIN
            client.Close();
            Assert.Equal(0, await first.WaitForExitAsync()); // it read our FIN: its side is in TIME_WAIT now
        }
        var ss = await Run.ProgramAsync("/usr/bin/ss", ["-Htan", "state", "time-wait", $"( sport = :{port} )"], [], Run.DefaultTimeout);
        Assert.Contains($"127.0.0.1:{port}", ss.StdoutText);

        var plain = await Run.ProgramAsync(p, [$"TCP4-LISTEN:{port},bind=127.0.0.1,accept-timeout=2", "PIPE"], [], Run.DefaultTimeout);
        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Matches($@"E bind\(\d+, {{AF=2 127\.0\.0\.1:{port}}}, 16\): Address already in use", plain.StderrText);

        using var reusing = LiveProcess.Start(p, "-d", "-d", $"TCP4-LISTEN:{port},bind=127.0.0.1,{spelling}", "PIPE");
        await reusing.WaitForStderrAsync($"listening on AF=2 127.0.0.1:{port}");
    }
}
