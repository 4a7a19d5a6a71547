using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// The checks an accepting or receiving address makes of its peer (socat's xiocheckpeer):
/// <c>sourceport</c> and <c>lowport</c> on every TCP, UDP and TLS address that accepts or
/// receives, each with a client that must be refused (and logged) and one that must be let in,
/// through sharpcat and through socat. The client is socat, which binds the port it is told to.
/// </summary>
public abstract class AccessControlTests
{
    /// <summary>
    /// Each check: the option on the server, the client option that meets it, and socat's reason
    /// for a refusal. The refused client sends from a port of the kernel's choice (ephemeral, so
    /// never the one named and never privileged).
    /// </summary>
    private static IEnumerable<(string Check, string Admitted, string Reason)> Checks()
    {
        int port = FreePorts.Next();
        yield return ($"sourceport={port}", $"sourceport={port}", "due to wrong sourceport");
        yield return ("lowport", "lowport", "due to lowport option");
    }

    protected static async Task CheckAsync(string program, string listen, string right, string client, string check,
        string admitted, string reason)
    {
        var (server, port) = await Listeners.StartAsync(Program(program), "-d", "-d", $"{listen},{check}", right);
        using var _ = server;
        string target = client.Replace("{port}", port.ToString());
        var refusedRun = await Run.SocatAsync("refused\n"u8.ToArray(), "-t", "1", "-", target);
        Assert.Empty(refusedRun.Stdout);
        await server.WaitForStderrAsync(l => l.Contains("W refusing connection from AF=") && l.Contains(reason), $"a refusal {reason}");
        var admittedRun = await Run.SocatAsync("admitted\n"u8.ToArray(), "-t", "3", "-", $"{target},{admitted}");
        Assert.True(admittedRun.StdoutText == "admitted\n", $"{admittedRun}\nserver:\n{server.StderrText}");
    }

    private static string Program(string name) => Binaries.Of(name);

    /// <summary>Every address with every check, through both programs.</summary>
    protected static TheoryData<string, string, string, string, string, string, string> Cases(string protocol,
        params (string Listen, string Right, string Client)[] addresses)
    {
        var data = new TheoryData<string, string, string, string, string, string, string>();
        foreach (string program in new[] { "sharpcat", "socat" })
            foreach (var (listen, right, client) in addresses)
                foreach (var (check, admitted, reason) in Checks())
                    data.Add(program, listen, right, client, check, admitted, reason);
        return data;
    }
}

public class StreamAccessControlTests(TlsCertificates certs) : AccessControlTests, IClassFixture<TlsCertificates>
{
    public static TheoryData<string, string, string, string, string, string, string> Listeners => Cases("tcp",
        ("TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr,fork", "PIPE", "TCP4:127.0.0.1:{port}"),
        ("TCP6-LISTEN:0,bind=[::1],reuseaddr,fork", "PIPE", "TCP6:[::1]:{port}"),
        ("TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "PIPE", "TCP:127.0.0.1:{port}"),
        ("OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,verify=0,cert={cert}", "PIPE", "OPENSSL:127.0.0.1:{port},verify=0"));

    [Theory]
    [MemberData(nameof(Listeners))]
    public Task RefusesAndAdmits(string program, string listen, string right, string client, string check, string admitted, string reason) =>
        CheckAsync(program, listen.Replace("{cert}", certs["server-full.pem"]), right, client, check, admitted, reason);
}

public class DatagramAccessControlTests : AccessControlTests
{
    public static TheoryData<string, string, string, string, string, string, string> Receivers => Cases("udp",
        ("UDP4-LISTEN:{free},bind=127.0.0.1,fork", "PIPE", "UDP4:127.0.0.1:{port}"),
        ("UDP6-LISTEN:{free},bind=[::1],fork", "PIPE", "UDP6:[::1]:{port}"),
        ("UDP4-RECVFROM:{free},bind=127.0.0.1,fork", "PIPE", "UDP4:127.0.0.1:{port}"),
        ("UDP4-RECVFROM:{free},bind=127.0.0.1", "PIPE", "UDP4:127.0.0.1:{port}"),
        ("UDP6-RECVFROM:{free},bind=[::1]", "PIPE", "UDP6:[::1]:{port}"));

    [Theory]
    [MemberData(nameof(Receivers))]
    public Task RefusesAndAdmits(string program, string listen, string right, string client, string check, string admitted, string reason)
    {
        // A fixed port: socat's UDP-LISTEN,fork binds anew after each peer, and port 0 would move.
        bool v6 = listen.Contains("[::1]");
        return CheckAsync(program, listen.Replace("{free}", FreePorts.Next().ToString()), right, client, check, admitted, reason);
    }

    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task UdpRecvDropsWhatItsChecksRefuse(string program)
    {
        // UDP-RECV has no one to answer: what it lets in comes out on stdout.
        int source = FreePorts.Next();
        using var server = LiveProcess.Start(Binaries.Of(program),
            "-d", "-d", "-u", $"UDP4-RECV:0,bind=127.0.0.1,sourceport={source}", "-");
        await server.WaitForStderrAsync("starting data transfer loop");
        using var found = ForeignSocket.Find(server.Pid, s => s.Family == 2)!;
        var receiver = IPEndPoint.Parse(found.Local);
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await other.SendToAsync("refused\n"u8.ToArray(), SocketFlags.None, receiver);
        await server.WaitForStderrAsync("due to wrong sourceport");
        using var right = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        right.Bind(new IPEndPoint(IPAddress.Loopback, source));
        await right.SendToAsync("admitted\n"u8.ToArray(), SocketFlags.None, receiver);
        await server.WaitForStdoutAsync(o => o.Length >= "admitted\n".Length);
        Assert.Equal("admitted\n", System.Text.Encoding.ASCII.GetString(server.Stdout));
    }
}
