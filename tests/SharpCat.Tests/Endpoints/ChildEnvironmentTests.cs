using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// The SOCAT_* variables a child program gets about the connection it serves (peer and local
/// address, a datagram's ancillary data), compared with socat's for the same invocation. Values that
/// differ by nature (pids, the client's port, the version) are compared by name only, a timestamp by its form.
/// </summary>
public class ChildEnvironmentTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "UDP4-RECVFROM:{port},ip-pktinfo,ip-recvttl,ip-recvtos", "UDP4-SENDTO:127.0.0.1:{port}", "udp" },
        { "UDP4-RECVFROM:{port},fork,ip-pktinfo,ip-recvttl", "UDP4-SENDTO:127.0.0.1:{port}", "udp" },
        { "UDP6-RECVFROM:{port},ipv6-recvpktinfo,ipv6-recvhoplimit,ipv6-recvtclass", "UDP6-SENDTO:[::1]:{port}", "udp6" },
        { "UDP4-RECVFROM:{port},ip-recvopts,so-timestamp", "UDP4-SENDTO:127.0.0.1:{port},ip-options=x01000000", "udp" },
        { "UDP6-RECVFROM:{port},fork,so-timestamp,ipv6-recvtclass,ipv6-recvhoplimit", "UDP6-SENDTO:[::1]:{port},ipv6-tclass=0xaa,ipv6-unicast-hops=35", "udp6" },
        { "IP4-RECVFROM:{proto},so-timestamp,ip-recvopts,ip-recvttl,ip-pktinfo", "IP4-SENDTO:127.0.0.1:{proto},ip-options=x01000000", "ip" },
        { "IP4-RECVFROM:{proto},fork,so-timestamp,ip-recvtos", "IP4-SENDTO:127.0.0.1:{proto},ip-tos=7", "ip" },
        { "IP6-RECVFROM:{proto},fork,ipv6-recvpktinfo,ipv6-recvhoplimit,ipv6-recvtclass", "IP6-SENDTO:[::1]:{proto},ipv6-tclass=0xaa", "ip" },
        { "UDP4-LISTEN:{port},ip-recvttl", "UDP4-SENDTO:127.0.0.1:{port}", "udp" },
        { "UDP6-LISTEN:{port},fork", "UDP6-SENDTO:[::1]:{port}", "udp6" },
        { "TCP4-LISTEN:{port},reuseaddr", "TCP4:127.0.0.1:{port}", "tcp" },
        { "TCP6-LISTEN:{port},reuseaddr,fork", "TCP6:[::1]:{port}", "tcp6" },
        { "UNIX-LISTEN:{dir}/s", "UNIX-CONNECT:{dir}/s", "unix" },
        { "UNIX-RECVFROM:{dir}/s", "UNIX-SENDTO:{dir}/s,bind={dir}/c", "unix" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    [InlineData("OPENSSL-LISTEN:{port},reuseaddr,cert={certs}/server-full.pem,cafile={certs}/ca.pem",
        "OPENSSL:localhost:{port},cafile={certs}/ca.pem,cert={certs}/client-full.pem", "tcp")]
    public async Task ChildProgramsAreToldWhatSocatTellsThem(string listen, string connect, string kind)
    {
        using var dir = new TempDir();
        string port = kind is "unix" or "ip" ? "" : FreePorts.Next().ToString();
        string proto = kind is "ip" ? RawProtocols.Next().ToString() : "";
        string Fill(string a) => a.Replace("{port}", port).Replace("{proto}", proto).Replace("{dir}", dir.Path).Replace("{certs}", certs.Dir.Path);
        var socat = await VariablesAsync(Binaries.Socat!, Fill(listen), Fill(connect), dir);
        var ours = await VariablesAsync(Binaries.SharpCat, Fill(listen), Fill(connect), dir);
        Assert.Contains(socat, v => v.StartsWith("SOCAT_PEERADDR="));
        Assert.Equal(socat, ours);
    }

    /// <summary>Runs one program as the server (the two in turn, on the same port or path) and reads what its child was told.</summary>
    private static async Task<string[]> VariablesAsync(string program, string listen, string connect, TempDir dir)
    {
        string output = dir["env"];
        File.Delete(output);
        File.Delete(dir["s"]);
        File.Delete(dir["c"]);
        using (var server = LiveProcess.Start(program, "-d", "-d", "-u", listen, $"SYSTEM:env | grep ^SOCAT_ | sort > {output}.part; mv {output}.part {output}"))
        {
            // "receiving on", or for raw IP socat's "receiving IP protocol N" and sharpcat's "receiving protocol N on".
            await server.WaitForStderrAsync(listen.Contains("RECVFROM") ? "receiving " : "listening on");
            var client = await Run.ProgramAsync(Binaries.Socat!, ["-u", "-", connect], "x\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.Equal(0, client.ExitCode);
            await Wait.UntilAsync(() => File.Exists(output));
        }
        // SO_TIMESTAMP's value is compared by its form (ctime's, then the microseconds); AncillaryDataTests checks the time.
        return File.ReadAllLines(output)
            .Select(l => Regex.Replace(l, @"^(SOCAT_(PID|PPID|VERSION|PEERPORT))=.*", "$1=*"))
            .Select(l => Regex.Replace(l, @"^SOCAT_TIMESTAMP=\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}, \d{6} usecs$", "SOCAT_TIMESTAMP=<ctime>, <usecs> usecs"))
            .ToArray();
    }

    /// <summary>A TLS client's child learns the session and the server's certificate (and the names its check read).</summary>
    [Theory]
    [InlineData("")]
    [InlineData(",commonname=127.0.0.1")]
    public async Task ATlsClientsChildIsToldAboutTheServer(string options)
    {
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", $"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert={certs["server-full.pem"]},verify=0", "PIPE");
        using var _ = server;
        string[] Told(RunResult r) => r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] args = ["-u", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}{options}", "SYSTEM:env | grep ^SOCAT_OPENSSL | sort"];
        var socat = Told(await Run.SocatAsync([], args));
        var ours = Told(await Run.SharpCatAsync([], args));
        Assert.Contains(socat, v => v.StartsWith("SOCAT_OPENSSL_X509V3_SUBJECTALTNAME_DNS="));
        Assert.Equal(socat, ours);
    }
}
