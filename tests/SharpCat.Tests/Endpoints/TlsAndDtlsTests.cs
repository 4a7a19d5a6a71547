using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// What TLS (OPENSSL, OPENSSL-LISTEN) and DTLS (OPENSSL-DTLS-*) must do alike: name a bad
/// certificate and relay nothing, check the name given as commonname, find a CA in a capath
/// directory, name the versions when they do not meet, and take DH parameters.
/// </summary>
public class TlsAndDtlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static string Client(bool dtls) => dtls ? "OPENSSL-DTLS-CLIENT" : "OPENSSL";

    private static string Server(bool dtls) => dtls ? "OPENSSL-DTLS-SERVER" : "OPENSSL-LISTEN";

    /// <summary>A sharpcat TLS or DTLS server; it checks client certificates against the CA only when asked to.</summary>
    private async Task<(LiveProcess Server, int Port)> ServerAsync(bool dtls, string cert, string options = "", string right = "PIPE",
        bool requireClientCertificate = false) =>
        await Listeners.SharpCatAsync("-d", "-d",
            $"{Server(dtls)}:0,bind=127.0.0.1,reuseaddr,cert={certs[cert]},{(requireClientCertificate ? $"cafile={certs["ca.pem"]}" : "verify=0")}{options}", right);

    [Theory]
    [InlineData(false, "self-full.pem", "", "E certificate verify failed: self-signed certificate, subject CN=localhost")]
    [InlineData(false, "server-full.pem", "noca", "E certificate verify failed: unable to get local issuer certificate, subject CN=localhost")]
    [InlineData(false, "expired-full.pem", "", "E certificate verify failed: certificate has expired, subject CN=localhost")]
    [InlineData(false, "future-full.pem", "", "E certificate verify failed: certificate is not yet valid, subject CN=localhost")]
    [InlineData(true, "future-full.pem", "", "E certificate verify failed: certificate is not yet valid, subject CN=localhost")]
    [InlineData(false, "wrongname-full.pem", "", "E certificate name mismatch: expected \"localhost\", the certificate is for \"other.example\"")]
    [InlineData(true, "self-full.pem", "", "E certificate verify failed: self-signed certificate, subject CN=localhost")]
    [InlineData(true, "server-full.pem", "noca", "E certificate verify failed: unable to get local issuer certificate, subject CN=localhost")]
    [InlineData(true, "expired-full.pem", "", "E certificate verify failed: certificate has expired, subject CN=localhost")]
    [InlineData(true, "wrongname-full.pem", "", "E certificate name mismatch: expected \"localhost\", the certificate is for \"other.example\"")]
    public async Task BadServerCertificatesAreNamedAndNothingIsRelayed(bool dtls, string serverCert, string clientCa, string message)
    {
        var (server, port) = await ServerAsync(dtls, serverCert);
        using var _ = server;
        string ca = clientCa == "noca" ? "" : $",cafile={certs["ca.pem"]}";
        var r = await Run.SharpCatAsync("secret\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port}{ca}");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal([message], r.LogLines);
        Assert.DoesNotContain("secret", Encoding.ASCII.GetString(server.Stdout));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CommonnameAndCapathDecideTheCheck(bool dtls)
    {
        using var dir = await certs.HashedCaDirAsync();
        var (server, port) = await ServerAsync(dtls, "server-full.pem", ",fork");
        using var _ = server;
        // The name checked is commonname's, not the host's (an IP address here).
        var ok = await Run.SharpCatAsync("cn\n"u8.ToArray(), "-t", "5", "-", $"{Client(dtls)}:127.0.0.1:{port},capath={dir.Path},commonname=localhost");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("cn\n", ok.StdoutText);
        var other = await Run.SharpCatAsync("cn\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},capath={dir.Path},commonname=other.example");
        Assert.Equal(1, other.ExitCode);
        Assert.Equal(["E certificate name mismatch: expected \"other.example\", the certificate is for \"localhost\", \"127.0.0.1\""], other.LogLines);
        // A capath without the CA trusts nothing.
        using var empty = new TempDir();
        var none = await Run.SharpCatAsync("cn\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},capath={empty.Path}");
        Assert.Equal(["E certificate verify failed: unable to get local issuer certificate, subject CN=localhost"], none.LogLines);
    }

    [Theory]
    [InlineData(false, "TLS1.3", "TLS1.2")]
    [InlineData(true, "DTLS1.2", "DTLS1")]
    public async Task AVersionMismatchNamesTheVersions(bool dtls, string serverMin, string clientMax)
    {
        var (server, port) = await ServerAsync(dtls, "server-full.pem", $",min-version={serverMin}");
        using var _ = server;
        var r = await Run.SharpCatAsync("v\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]},max-version={clientMax}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"E SSL_connect(): tlsv1 alert protocol version (this side allows {clientMax} only)"], r.LogLines);
        await server.WaitForStderrAsync($"E SSL_accept(): unsupported protocol (this side allows {serverMin} only)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DhparamsEnableTheDheSuites(bool dtls)
    {
        using var dir = new TempDir();
        string dh = dir["dh.pem"];
        var gen = await Run.ProgramAsync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048", "-out", dh], [], Run.DefaultTimeout);
        Assert.Equal(0, gen.ExitCode);
        string client = $"{Client(dtls)}:localhost:{{0}},cafile={certs["ca.pem"]},cipher=DHE-RSA-AES128-GCM-SHA256{(dtls ? "" : ",max-version=TLS1.2")}";
        // Without DH parameters OpenSSL 3 offers no DHE suite, so the handshake fails...
        var (plain, plainPort) = await ServerAsync(dtls, "server-full.pem");
        using (plain)
        {
            var r = await Run.SharpCatAsync("dhe\n"u8.ToArray(), "-", string.Format(client, plainPort));
            Assert.Equal(1, r.ExitCode);
        }
        // ...and with them it is the suite chosen.
        var (server, port) = await ServerAsync(dtls, "server-full.pem", $",dhparams={dh}");
        using var _ = server;
        var ok = await Run.SharpCatAsync("dhe\n"u8.ToArray(), "-t", "5", "-d", "-d", "-", string.Format(client, port));
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("dhe\n", ok.StdoutText);
        Assert.Contains("N SSL connection using DHE-RSA-AES128-GCM-SHA256", ok.LogLines);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task HalfCloseLetsTheOtherDirectionFinish(bool dtls, bool socatClient)
    {
        // The client's EOF is a close_notify (and for TLS a TCP half-close); the server's program
        // still answers after reading it.
        var (server, port) = await ServerAsync(dtls, "server-full.pem", right: "SYSTEM:cat; echo after-eof");
        using var _ = server;
        string[] args = ["-t", "5", "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]}"];
        var r = socatClient ? await Run.SocatAsync("before\n"u8.ToArray(), args) : await Run.SharpCatAsync("before\n"u8.ToArray(), args);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("before\nafter-eof\n", r.StdoutText);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnUnreadableCertificateFileIsNamed(bool dtls)
    {
        // Root reads any file: the program runs as nobody, the file is root's own (mode 0600).
        using var dir = new TempDir();
        string cert = dir["cert.pem"];
        File.Copy(certs["server-full.pem"], cert);
        File.SetUnixFileMode(cert, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        var r = await Run.ProgramAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Binaries.SharpCat,
            $"{Server(dtls)}:0,bind=127.0.0.1,cert={cert}", "PIPE"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([$"E cert \"{cert}\": Permission denied"], r.LogLines);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServerWithACaRequiresAClientCertificate(bool dtls)
    {
        var (server, port) = await ServerAsync(dtls, "server-full.pem", ",fork", requireClientCertificate: true);
        using var _ = server;
        var without = await Run.SharpCatAsync("no cert\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Equal(1, without.ExitCode);
        Assert.Empty(without.Stdout);
        await server.WaitForStderrAsync("E SSL_accept(): peer did not return a certificate");
        var with = await Run.SharpCatAsync("with cert\n"u8.ToArray(), "-t", "5", "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]},cert={certs["client-full.pem"]}");
        Assert.Equal(0, with.ExitCode);
        Assert.Equal("with cert\n", with.StdoutText);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServerChecksTheClientsNameAgainstCommonname(bool dtls)
    {
        // The client certificate is for "other.example": a server that wants another name relays nothing.
        var (server, port) = await ServerAsync(dtls, "server-full.pem", ",fork,commonname=someone.else", requireClientCertificate: true);
        using (server)
        {
            var refused = await Run.SharpCatAsync("wrong name\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]},cert={certs["client-full.pem"]}");
            Assert.Empty(refused.Stdout);
            await server.WaitForStderrAsync("E certificate name mismatch: expected \"someone.else\", the certificate is for \"test client\", \"other.example\"");
            Assert.DoesNotContain("wrong name", Encoding.ASCII.GetString(server.Stdout));
        }
        var (named, namedPort) = await ServerAsync(dtls, "server-full.pem", ",fork,commonname=other.example", requireClientCertificate: true);
        using (named)
        {
            var admitted = await Run.SharpCatAsync("right name\n"u8.ToArray(), "-t", "5", "-", $"{Client(dtls)}:localhost:{namedPort},cafile={certs["ca.pem"]},cert={certs["client-full.pem"]}");
            Assert.True(admitted.ExitCode == 0, admitted.ToString());
            Assert.Equal("right name\n", admitted.StdoutText);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServerVerifiesClientsUnlessToldNotToAsSocat(bool dtls)
    {
        // Neither cafile nor verify=0: as in socat the server requires a client certificate and
        // checks it against the system's roots, which do not hold the test CA (the client sends
        // its chain up to that CA).
        var (server, port) = await Listeners.SharpCatAsync("-d", "-d", $"{Server(dtls)}:0,bind=127.0.0.1,reuseaddr,fork,cert={certs["server-full.pem"]}", "PIPE");
        using var _ = server;
        var without = await Run.SharpCatAsync("no cert\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Empty(without.Stdout);
        await server.WaitForStderrAsync("E SSL_accept(): peer did not return a certificate");
        var untrusted = await Run.SharpCatAsync("our ca\n"u8.ToArray(), "-", $"{Client(dtls)}:localhost:{port},cafile={certs["ca.pem"]},cert={certs["client-full.pem"]}");
        Assert.Empty(untrusted.Stdout);
        await server.WaitForStderrAsync("E certificate verify failed: self-signed certificate in certificate chain, subject CN=SharpCat Test CA");
    }

    [Theory]
    [InlineData("cert={0}/missing.pem", "E cert \"{0}/missing.pem\": No such file or directory")]
    [InlineData("cert={0}/server.pem,key={0}/client.key", "E cert \"{0}/server.pem\", key \"{0}/client.key\": ")]
    [InlineData("cert={0}/server-full.pem,cafile={0}/missing-ca.pem", "E cafile \"{0}/missing-ca.pem\": No such file or directory")]
    [InlineData("cert={0}/server-full.pem,dhparams={0}/ca.pem", "E dhparams \"{0}/ca.pem\": no DH PARAMETERS found in it")]
    [InlineData("cert={0}/server-full.pem,cipher=NO-SUCH-CIPHER", "E cipher=\"NO-SUCH-CIPHER\": no cipher match")]
    [InlineData("cert={0}/server-full.pem,min-version=DTLS1.2", "E min-proto-version=DTLS1.2: not a TLS version (SSL3, TLS1, TLS1.1, TLS1.2 or TLS1.3)", false)]
    [InlineData("cert={0}/server-full.pem,min-version=TLS1.3", "E min-proto-version=TLS1.3: not a DTLS version (DTLS1 or DTLS1.2)", true)]
    public async Task BadOptionsFailBeforeListening(string option, string message, bool? onlyDtls = null)
    {
        foreach (bool dtls in new[] { false, true })
        {
            if (onlyDtls is { } only && only != dtls) continue;
            var r = await Run.SharpCatAsync([], $"{Server(dtls)}:0,bind=127.0.0.1,{string.Format(option, certs.Dir.Path)}", "PIPE");
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith(string.Format(message, certs.Dir.Path), Assert.Single(r.LogLines));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpensslSClientAgainstASharpcatServerWithAClientCertificate(bool dtls)
    {
        var (server, port) = await ServerAsync(dtls, "server-full.pem", requireClientCertificate: true);
        using var _ = server;
        using var sclient = LiveProcess.Start("bash", "-c", $"(echo from s_client; sleep 20) | openssl s_client {(dtls ? "-dtls " : "")}-connect 127.0.0.1:{port} "
            + $"-CAfile {certs["ca.pem"]} -cert {certs["client.pem"]} -key {certs["client.key"]} -quiet 2>/dev/null");
        await sclient.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("from s_client"));
        await server.WaitForStderrAsync("SSL peer certificate subject: CN=test client");
    }
}
