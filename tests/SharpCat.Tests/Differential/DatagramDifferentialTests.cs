using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Differential;

/// <summary>
/// Every datagram address form through socat and through sharpcat, with a test socket as the peer:
/// the datagrams the peer receives (one per read of -b bytes), the datagrams the program hands on
/// (one -v record each), and the answers a RECVFROM/LISTEN/connected address sends back must be
/// the same, datagram for datagram.
/// </summary>
public class DatagramDifferentialTests
{
    /// <summary>A test's peer: a datagram socket of the family the address needs, and how the address names it.</summary>
    private sealed class Peer : IDisposable
    {
        public Socket Socket { get; }
        public string Name { get; } // substituted for {peer}
        public EndPoint Local { get; }
        private readonly bool _raw;

        public Peer(string kind, TempDir dir)
        {
            switch (kind)
            {
                case "udp4" or "udp6":
                    bool v6 = kind == "udp6";
                    Socket = new Socket(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    Socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
                    Name = ((IPEndPoint)Socket.LocalEndPoint!).Port.ToString();
                    break;
                case "unix":
                    Socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                    Socket.Bind(new UnixDomainSocketEndPoint(dir["peer"]));
                    Name = dir["peer"];
                    break;
                case "abstract":
                    Name = $"sharpcat-diff-{Guid.NewGuid():N}";
                    Socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                    Socket.Bind(new UnixDomainSocketEndPoint("\0" + Name));
                    break;
                case "raw4":
                    int protocol = RawProtocols.Next();
                    Socket = RawSocket(protocol);
                    Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    Name = protocol.ToString();
                    _raw = true;
                    break;
                default:
                    throw new ArgumentException(kind);
            }
            Local = Socket.LocalEndPoint!;
        }

        /// <summary>The next datagram (a raw IPv4 packet without its header), or null after 10 s.</summary>
        public async Task<byte[]?> ReceiveAsync(int seconds = 10)
        {
            var buffer = new byte[65536];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try
            {
                int n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                int skip = _raw ? (buffer[0] & 0x0F) * 4 : 0;
                return buffer[skip..n];
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public void Dispose() => Socket.Dispose();
    }

    private static readonly byte[] Input = Encoding.ASCII.GetBytes("abcdefghijkl\n");

    /// <summary>Sending forms: -b 5 cuts stdin into datagrams of at most 5 bytes, which the peer must see one by one.</summary>
    [Theory]
    [InlineData("UDP4-SENDTO:127.0.0.1:{peer}", "udp4")]
    [InlineData("UDP6-SENDTO:[::1]:{peer}", "udp6")]
    [InlineData("UDP4-DATAGRAM:127.0.0.1:{peer}", "udp4")]
    [InlineData("UDP6-DATAGRAM:[::1]:{peer}", "udp6")]
    [InlineData("UDP4:127.0.0.1:{peer}", "udp4")]
    [InlineData("UDP6:[::1]:{peer}", "udp6")]
    [InlineData("UNIX-SENDTO:{peer}", "unix")]
    [InlineData("UNIX-CLIENT:{peer}", "unix")]
    [InlineData("GOPEN:{peer}", "unix")]
    [InlineData("ABSTRACT-SENDTO:{peer}", "abstract")]
    // ABSTRACT-CLIENT is left out: socat 1.7.4 tries a stream connect first and stops at its
    // "Connection refused" instead of falling back to a datagram socket as it does for paths.
    [InlineData("IP4-SENDTO:127.0.0.1:{peer}", "raw4")]
    [InlineData("IP4-DATAGRAM:127.0.0.1:{peer}", "raw4")]
    [InlineData("SOCKET-SENDTO:2:2:17:x{port}7f0000010000000000000000", "udp4")]
    [InlineData("SOCKET-DATAGRAM:2:2:17:x{port}7f0000010000000000000000", "udp4")]
    public async Task SentDatagramsAreTheSame(string address, string kind)
    {
        var socat = await SendAsync(Binaries.Socat!, address, kind);
        var ours = await SendAsync(Binaries.SharpCat, address, kind);
        Assert.Equal(["abcde", "fghij", "kl\n"], socat);
        Assert.Equal(socat, ours);
    }

    private static async Task<string[]> SendAsync(string program, string address, string kind)
    {
        using var dir = new TempDir();
        using var peer = new Peer(kind, dir);
        string filled = address.Replace("{peer}", peer.Name).Replace("{port}", kind.StartsWith("udp") ? int.Parse(peer.Name).ToString("x4") : "");
        var r = await Run.ProgramAsync(program, ["-b", "5", "-u", "-", filled], Input, Run.DefaultTimeout);
        Assert.True(r.ExitCode == 0, $"{program}: {r}");
        var got = new List<string>();
        while (got.Count < 3 && await peer.ReceiveAsync() is { } d) got.Add(Encoding.ASCII.GetString(d));
        return got.ToArray();
    }

    /// <summary>Receiving forms: what the peer sends comes out one datagram per -v record, and a datagram longer than -b is cut.</summary>
    [Theory]
    [InlineData("UDP4-RECV:{port}", "udp4", "127.0.0.1")]
    [InlineData("UDP6-RECV:{port}", "udp6", "::1")]
    [InlineData("UDP4-RECVFROM:{port}", "udp4", "127.0.0.1")]
    [InlineData("UNIX-RECV:{dir}/s", "unix", null)]
    [InlineData("UNIX-RECVFROM:{dir}/s", "unix", null)]
    [InlineData("ABSTRACT-RECV:{name}", "abstract", null)]
    [InlineData("IP4-RECV:{proto}", "raw4", "127.0.0.1")]
    [InlineData("SOCKET-RECV:2:2:17:x{port}7f0000010000000000000000", "udp4", "127.0.0.1")]
    public async Task ReceivedDatagramsAreTheSame(string address, string kind, string? host)
    {
        using var dir = new TempDir();
        string name = $"sharpcat-diff-{Guid.NewGuid():N}";
        int port = kind.StartsWith("udp") ? FreePorts.Next() : 0;
        int protocol = RawProtocols.Next();
        string filled = address.Replace("{port}", address.StartsWith("SOCKET") ? port.ToString("x4") : port.ToString())
            .Replace("{dir}", dir.Path).Replace("{name}", name).Replace("{proto}", protocol.ToString());
        EndPoint target = kind switch
        {
            "unix" => new UnixDomainSocketEndPoint(dir["s"]),
            "abstract" => new UnixDomainSocketEndPoint("\0" + name),
            "raw4" => new IPEndPoint(IPAddress.Loopback, 0),
            _ => new IPEndPoint(IPAddress.Parse(host!), port),
        };
        bool once = address.Contains("RECVFROM"); // without fork, a RECVFROM address takes one datagram
        string[] datagrams = once ? ["just one datagram\n"] : ["one\n", "two two\n", "three three three, cut by -b\n"];
        var socat = await ReceiveAsync(Binaries.Socat!, filled, kind, target, protocol, datagrams, dir);
        var ours = await ReceiveAsync(Binaries.SharpCat, filled, kind, target, protocol, datagrams, dir);
        Assert.Equal(socat.Stdout, ours.Stdout);
        Assert.Equal(socat.Lengths, ours.Lengths);
    }

    private static async Task<(string Stdout, string[] Lengths)> ReceiveAsync(string program, string address, string kind, EndPoint target,
        int protocol, string[] datagrams, TempDir dir)
    {
        File.Delete(dir["s"]);
        // -b counts a raw IPv4 packet's header too (in socat as here): give it room for one.
        int limit = kind == "raw4" ? 40 : 20, header = kind == "raw4" ? 20 : 0;
        using var receiver = LiveProcess.Start(program, "-d", "-d", "-v", "-b", (limit + header).ToString(), "-u", address, "-");
        await receiver.WaitForStderrAsync(address.Contains("RECVFROM") ? "receiving on" : "starting data transfer loop");
        using var sender = kind switch
        {
            "unix" or "abstract" => new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified),
            "raw4" => RawSocket(protocol),
            _ => new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp),
        };
        string expected = string.Concat(datagrams.Select(d => d.Length > limit ? d[..limit] : d));
        foreach (string d in datagrams) await sender.SendToAsync(Encoding.ASCII.GetBytes(d), SocketFlags.None, target);
        await receiver.WaitForStdoutAsync(o => o.Length >= expected.Length);
        await receiver.WaitForStderrAsync($"length={Math.Min(datagrams[^1].Length, limit)} ");
        var lengths = Regex.Matches(receiver.StderrText, @"length=(\d+)").Select(m => m.Groups[1].Value).ToArray();
        return (Encoding.ASCII.GetString(receiver.Stdout), lengths);
    }

    /// <summary>Answering forms: the peer's one datagram goes to a program, whose answer comes back to the peer.</summary>
    [Theory]
    [InlineData("UDP4-RECVFROM:{port}", "udp4")]
    [InlineData("UDP6-RECVFROM:{port}", "udp6")]
    [InlineData("UDP4-LISTEN:{port}", "udp4")]
    [InlineData("UDP6-LISTEN:{port}", "udp6")]
    [InlineData("UNIX-RECVFROM:{dir}/s", "unix")]
    public async Task AnswersGoBackToTheSender(string address, string kind)
    {
        using var dir = new TempDir();
        int port = kind.StartsWith("udp") ? FreePorts.Next() : 0;
        string filled = address.Replace("{port}", port.ToString()).Replace("{dir}", dir.Path);
        var socat = await AnswerAsync(Binaries.Socat!, filled, kind, port, dir);
        var ours = await AnswerAsync(Binaries.SharpCat, filled, kind, port, dir);
        Assert.Equal("HELLO\n", socat);
        Assert.Equal(socat, ours);
    }

    private static async Task<string?> AnswerAsync(string program, string address, string kind, int port, TempDir dir)
    {
        File.Delete(dir["s"]);
        File.Delete(dir["peer"]);
        using var server = LiveProcess.Start(program, "-d", "-d", address, "SYSTEM:head -c 6 | tr a-z A-Z");
        await server.WaitForStderrAsync(address.Contains("LISTEN") ? "listening on" : "receiving on");
        using var peer = new Peer(kind, dir);
        EndPoint target = kind == "unix" ? new UnixDomainSocketEndPoint(dir["s"])
            : new IPEndPoint(kind == "udp6" ? IPAddress.IPv6Loopback : IPAddress.Loopback, port);
        await peer.Socket.SendToAsync("hello\n"u8.ToArray(), SocketFlags.None, target);
        return await peer.ReceiveAsync() is { } answer ? Encoding.ASCII.GetString(answer) : null;
    }

    /// <summary>A raw IPv4 socket for a protocol number .NET has no name for: socket(2) itself.</summary>
    private static Socket RawSocket(int protocol)
    {
        int fd = socket(2, 3, protocol);
        if (fd < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);
}
