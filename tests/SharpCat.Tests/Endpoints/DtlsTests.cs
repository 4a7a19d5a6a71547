using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// OPENSSL-DTLS-CLIENT and OPENSSL-DTLS-SERVER: sharpcat, socat and openssl's DTLS client and
/// server on either side; record boundaries, half-close, client certificates and the refusals (the
/// checks shared with TLS are in TlsAndDtlsTests).
/// </summary>
public class DtlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private async Task<(LiveProcess Server, int Port)> ServerAsync(string cert, string options = "", string right = "PIPE") =>
        await Listeners.SharpCatAsync("-d", "-d", $"OPENSSL-DTLS-SERVER:0,bind=127.0.0.1,cert={cert}{options}", right);

    [Fact]
    public async Task SharpcatClientAndServerTalkAndLogTheSession()
    {
        var (server, port) = await ServerAsync(certs["server-full.pem"], ",verify=0");
        using var _ = server;
        var data = Encoding.ASCII.GetBytes("through dtls\n");
        var r = await Run.SharpCatAsync(data, "-t", "5", "-d", "-d", "-", $"OPENSSL-DTLS-CLIENT:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(data, r.Stdout);
        Assert.Contains("N SSL proto version used: DTLSv1.2", r.LogLines);
        Assert.Contains(r.LogLines, l => l.StartsWith("N SSL connection using ECDHE-"));
        Assert.Contains("N SSL peer certificate subject: CN=localhost", r.LogLines);
    }

    [Fact]
    public async Task RecordsKeepTheirBoundaries()
    {
        // UDP-RECV on the far side shows each record arriving as one datagram of its own.
        var (server, port) = await ServerAsync(certs["server-full.pem"], ",verify=0", "-");
        using var _ = server;
        using var client = LiveProcess.SharpCat("-d", "-d", "-", $"OPENSSL-DTLS-CLIENT:localhost:{port},cafile={certs["ca.pem"]}");
        await client.WaitForStderrAsync("starting data transfer loop");
        foreach (string line in new[] { "one\n", "two two\n", "three three three\n" })
        {
            await client.Stdin.WriteAsync(Encoding.ASCII.GetBytes(line));
            await client.Stdin.FlushAsync();
            await server.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).EndsWith(line));
        }
        Assert.Equal("one\ntwo two\nthree three three\n", Encoding.ASCII.GetString(server.Stdout));
    }

    [Fact]
    public async Task InteropWithSocatBothWays()
    {
        var data = Encoding.ASCII.GetBytes("socat and sharpcat over dtls\n");
        // socat client, sharpcat server
        var (server, port) = await ServerAsync(certs["server-full.pem"], ",verify=0");
        using (server)
        {
            var r = await Run.SocatAsync(data, "-t", "5", "-", $"OPENSSL-DTLS-CLIENT:localhost:{port},cafile={certs["ca.pem"]}");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(data, r.Stdout);
        }
        // sharpcat client with a client certificate, socat server that requires one
        int socatPort = FreePorts.Next();
        using var socatServer = LiveProcess.Start(Binaries.Socat!, "-d", "-d",
            $"OPENSSL-DTLS-SERVER:{socatPort},bind=127.0.0.1,cert={certs["server-full.pem"]},cafile={certs["ca.pem"]},verify=1", "PIPE");
        await socatServer.WaitForStderrAsync("listening on");
        var back = await Run.SharpCatAsync(data, "-t", "5", "-", $"OPENSSL-DTLS-CLIENT:localhost:{socatPort},cafile={certs["ca.pem"]},cert={certs["client-full.pem"]}");
        Assert.Equal(0, back.ExitCode);
        Assert.Equal(data, back.Stdout);
    }

    [Fact]
    public async Task SharpcatClientAgainstOpensslDtlsServer()
    {
        int port = FreePorts.Next();
        using (var sserver = LiveProcess.Start("bash", "-c",
            $"sleep 20 | openssl s_server -dtls -accept 127.0.0.1:{port} -cert {certs["server.pem"]} -key {certs["server.key"]} -quiet 2>&1"))
        {
            RunResult? r = null;
            // s_server has no "ready" line with -quiet: send until it has bound (each try is a fresh client).
            await Wait.UntilAsync(() =>
            {
                r = Run.SharpCatAsync("to s_server\n"u8.ToArray(), "-", $"OPENSSL-DTLS-CLIENT:localhost:{port},cafile={certs["ca.pem"]}").GetAwaiter().GetResult();
                return r.ExitCode == 0;
            });
            await sserver.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("to s_server"));
        }
    }

    [Fact]
    public async Task AClosedPortIsRefusedAsInSocat()
    {
        int port = FreePorts.Next();
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            var r = await Run.ProgramAsync(program, ["-", $"OPENSSL-DTLS-CLIENT:127.0.0.1:{port},verify=0"], "x\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.EndsWith("E SSL_connect(): Connection refused", r.StderrText.Trim());
        }
    }
}
