using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>Test certificates made with openssl: a CA, server and client certificates, and bad ones.</summary>
public sealed class TlsCertificates : IDisposable
{
    public TempDir Dir { get; } = new();
    public string this[string name] => Dir[name];

    public TlsCertificates()
    {
        void Openssl(params string[] args)
        {
            var r = Run.ProgramAsync("openssl", args, [], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (r.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', args)}: {r}");
        }
        string d = Dir.Path;
        File.WriteAllText(Dir["san-localhost.ext"], "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        File.WriteAllText(Dir["san-other.ext"], "subjectAltName=DNS:other.example\n");
        Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/ca.key", "-out", $"{d}/ca.pem", "-days", "30", "-subj", "/CN=SharpCat Test CA");
        void Issue(string name, string subject, string ext, string days)
        {
            Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/{name}.key", "-out", $"{d}/{name}.csr", "-subj", subject);
            Openssl("x509", "-req", "-in", $"{d}/{name}.csr", "-CA", $"{d}/ca.pem", "-CAkey", $"{d}/ca.key", "-CAcreateserial",
                "-out", $"{d}/{name}.pem", "-days", days, "-extfile", $"{d}/{ext}");
            File.WriteAllText($"{d}/{name}-full.pem", File.ReadAllText($"{d}/{name}.pem") + File.ReadAllText($"{d}/{name}.key"));
        }
        Issue("server", "/CN=localhost", "san-localhost.ext", "30");
        Issue("client", "/CN=test client", "san-other.ext", "30");
        Issue("wrongname", "/CN=other.example", "san-other.ext", "30");
        Issue("expired", "/CN=localhost", "san-localhost.ext", "-1");
        // Not yet valid: `openssl ca` is the tool that sets a start date.
        File.WriteAllText($"{d}/ca.cnf", "[ca]\ndefault_ca = test\n[test]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
            + "default_md = sha256\npolicy = any\ncopy_extensions = copy\n[any]\ncommonName = supplied\n");
        File.WriteAllText($"{d}/index.txt", "");
        File.WriteAllText($"{d}/serial", "01\n");
        Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/future.key", "-out", $"{d}/future.csr", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost");
        var ca = Run.ProgramAsync("openssl", ["ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "future.csr",
            "-out", "future.pem", "-startdate", "20400101000000Z", "-enddate", "20410101000000Z"], [], TimeSpan.FromSeconds(30), d).GetAwaiter().GetResult();
        if (ca.ExitCode != 0) throw new InvalidOperationException($"openssl ca: {ca}");
        File.WriteAllText($"{d}/future-full.pem", File.ReadAllText($"{d}/future.pem") + File.ReadAllText($"{d}/future.key"));
        Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/self.key", "-out", $"{d}/self.pem", "-days", "30",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        File.WriteAllText($"{d}/self-full.pem", File.ReadAllText($"{d}/self.pem") + File.ReadAllText($"{d}/self.key"));
    }

    /// <summary>A capath directory: the CA under its subject hash, as OpenSSL looks it up.</summary>
    public async Task<TempDir> HashedCaDirAsync()
    {
        var dir = new TempDir();
        var hash = await Run.ProgramAsync("openssl", ["x509", "-hash", "-noout", "-in", this["ca.pem"]], [], Run.DefaultTimeout);
        File.Copy(this["ca.pem"], dir[hash.StdoutText.Trim() + ".0"]);
        return dir;
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>OPENSSL and OPENSSL-LISTEN: sharpcat, socat and openssl s_server on either side; every bad certificate named.</summary>
public class TlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private async Task<(LiveProcess Server, int Port)> ServerAsync(string cert, string options = "") =>
        await Listeners.SharpCatAsync("-d", "-d", $"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,cert={cert},verify=0{options}", "PIPE");

    [Theory]
    [InlineData("TLS1.3")]
    [InlineData("TLS1.2")]
    public async Task SharpcatClientAndServerTalk(string version)
    {
        var (server, port) = await ServerAsync(certs["server-full.pem"]);
        using var _ = server;
        var data = Encoding.ASCII.GetBytes("through tls\n");
        // -t 5: under load the echo may come later than the default half second after our EOF.
        var r = await Run.SharpCatAsync(data, "-t", "5", "-d", "-d", "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]},max-version={version}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(data, r.Stdout);
        Assert.Contains(r.LogLines, l => l == $"N SSL proto version used: TLSv{version[3..]}");
        Assert.Contains(r.LogLines, l => l.StartsWith("N SSL peer certificate subject: CN=localhost"));
    }

    /// <summary>
    /// A client given a bracketed IPv6 host checks it as socat does: a certificate named "[::1]"
    /// (its common name, as socat's test.sh makes them) or one for the address ::1 passes; one for
    /// another name does not. Beside socat.
    /// </summary>
    [Theory]
    [InlineData("sharpcat", "/CN=[::1]", null, true)]
    [InlineData("sharpcat", "/CN=other", "IP:::1", true)]
    [InlineData("sharpcat", "/CN=localhost", null, false)]
    [InlineData("socat", "/CN=[::1]", null, true)]
    [InlineData("socat", "/CN=other", "IP:::1", true)]
    [InlineData("socat", "/CN=localhost", null, false)]
    public async Task ABracketedIpv6HostIsCheckedAsSocatChecksIt(string program, string subject, string? altName, bool accepted)
    {
        string binary = Binaries.Of(program);
        using var dir = new TempDir();
        var args = new List<string> { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
            "-keyout", dir["k.pem"], "-out", dir["c.pem"] };
        if (altName is not null) args.AddRange(["-addext", $"subjectAltName={altName}"]);
        var made = await Run.ProgramAsync("openssl", [.. args], [], TimeSpan.FromSeconds(30));
        Assert.True(made.ExitCode == 0, made.ToString());
        int port = FreePorts.Next();
        using var server = LiveProcess.Start(Binaries.SharpCat, "-d", "-d", $"OPENSSL-LISTEN:{port},pf=ip6,bind=[::1],reuseaddr,cert={dir["c.pem"]},key={dir["k.pem"]},verify=0", "PIPE");
        await server.WaitForStderrAsync("listening on");
        var r = await Run.ProgramAsync(binary, ["-t", "5", "-", $"OPENSSL:[::1]:{port},cafile={dir["c.pem"]}"], "v6\n"u8.ToArray(), Run.DefaultTimeout);
        Assert.True((r.ExitCode == 0) == accepted, r.ToString());
        if (accepted) Assert.Equal("v6\n", r.StdoutText);
    }

    /// <summary>
    /// retry covers a TLS client's handshake, as in socat: a first peer that answers in plain text
    /// fails the handshake, and the attempt after it reaches the TLS server that took the port since.
    /// </summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task RetryCoversTheHandshake(string program)
    {
        string binary = Binaries.Of(program);
        int port = FreePorts.Next();
        using var plain = LiveProcess.Start(Binaries.SharpCat, "-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "SYSTEM:echo HTTP/1.0 503 not yet");
        await plain.WaitForStderrAsync("listening on");
        var client = Run.ProgramAsync(binary, ["-d", "-d", "-t", "5", "-", $"OPENSSL:127.0.0.1:{port},verify=0,retry=50,interval=0.2"], "retried\n"u8.ToArray(), TimeSpan.FromSeconds(60));
        await plain.WaitForExitAsync();
        using var server = LiveProcess.Start(Binaries.SharpCat, "-d", "-d", $"OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,cert={certs["server-full.pem"]},verify=0", "PIPE");
        var r = await client;
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("retried\n", r.StdoutText);
    }

    [Fact]
    public async Task InteropWithSocatBothWays()
    {
        var data = Encoding.ASCII.GetBytes(new string('x', 100_000) + "\n");
        // socat client, sharpcat server
        var (server, port) = await ServerAsync(certs["server-full.pem"]);
        using (server)
        {
            var r = await Run.SocatAsync(data, "-t", "2", "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(data, r.Stdout);
        }
        // sharpcat client, socat server with a client certificate required
        var (socatServer, socatPort) = await Listeners.StartAsync(Binaries.Socat!, "-d", "-d",
            $"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,cert={certs["server-full.pem"]},cafile={certs["ca.pem"]},verify=1", "PIPE");
        using (socatServer)
        {
            var r = await Run.SharpCatAsync(data, "-t", "2", "-", $"OPENSSL:localhost:{socatPort},cafile={certs["ca.pem"]},cert={certs["client.pem"]},key={certs["client.key"]}");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(data, r.Stdout);
        }
    }

    [Fact]
    public async Task SharpcatClientAgainstOpensslSServer()
    {
        using var sserver = LiveProcess.Start("bash", "-c", $"sleep 20 | openssl s_server -accept 127.0.0.1:0 -cert {certs["server.pem"]} -key {certs["server.key"]} -quiet 2>&1");
        // s_server prints no port for 0: find it from its listening socket.
        int port = 0;
        await Wait.UntilAsync(() => (port = ListeningPortOf("openssl", certs["server.pem"])) != 0);
        var r = await Run.SharpCatAsync("to s_server\n"u8.ToArray(), "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Equal(0, r.ExitCode);
        await sserver.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("to s_server"));
    }

    private static int ListeningPortOf(string program, string marker)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
                string cmd = File.ReadAllText($"{dir}/cmdline").Replace('\0', ' ');
                if (!cmd.StartsWith(program + " ") || !cmd.Contains(marker)) continue;
                var inodes = Directory.GetFiles($"{dir}/fd").Select(f => new FileInfo(f).LinkTarget ?? "").Where(t => t.StartsWith("socket:[")).Select(t => t[8..^1]).ToHashSet();
                foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
                {
                    var p = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (p[3] == "0A" && inodes.Contains(p[9])) return Convert.ToInt32(p[1].Split(':')[1], 16);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return 0;
    }

    [Fact]
    public async Task VerifyZeroAcceptsAnyCertificate()
    {
        var (server, port) = await ServerAsync(certs["self-full.pem"]);
        using var _ = server;
        var r = await Run.SharpCatAsync("ok\n"u8.ToArray(), "-t", "5", "-", $"OPENSSL:127.0.0.1:{port},verify=0");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("ok\n", r.StdoutText);
    }

    [Fact]
    public async Task WithoutLibsslTheTlsAddressesSaySo()
    {
        // A mount namespace where libssl.so.3 is an empty file: dlopen fails as on a system without it.
        string libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
        if (!File.Exists(libssl)) libssl = "/lib/x86_64-linux-gnu/libssl.so.3";
        var r = await Run.ProgramAsync("unshare", ["-m", "sh", "-c", $"mount --bind /dev/null {libssl} && exec \"$0\" \"$@\"", Binaries.SharpCat,
            "-", "OPENSSL:localhost:1"], [], Run.DefaultTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E the TLS addresses need OpenSSL 3 (libssl.so.3), which could not be loaded: install libssl3"], r.LogLines);
    }

    [Fact]
    public async Task APlaintextPeerOnATlsPortFailsTheHandshake()
    {
        var (plain, port) = await Listeners.SharpCatAsync("-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "SYSTEM:echo not tls");
        using var _ = plain;
        var r = await Run.SharpCatAsync([], "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.StartsWith("E SSL_connect(): ", Assert.Single(r.LogLines));
    }

    [Fact]
    public async Task CipherPicksTheSuiteOnBothSides()
    {
        // The server's OpenSSL cipher string, seen from socat; then the client's, seen from sharpcat.
        var (server, port) = await ServerAsync(certs["server-full.pem"], ",fork,max-version=TLS1.2,cipher=ECDHE-RSA-AES128-GCM-SHA256");
        using var _ = server;
        var viaSocat = await Run.SocatAsync("c\n"u8.ToArray(), "-t", "5", "-d", "-d", "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}");
        Assert.Equal("c\n", viaSocat.StdoutText);
        Assert.Contains("N SSL connection using ECDHE-RSA-AES128-GCM-SHA256", viaSocat.LogLines);
        var mismatch = await Run.SharpCatAsync("c\n"u8.ToArray(), "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]},cipher=ECDHE-RSA-AES256-GCM-SHA384");
        Assert.Equal(1, mismatch.ExitCode);
        var match = await Run.SharpCatAsync("c\n"u8.ToArray(), "-t", "5", "-d", "-d", "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]},cipher=HIGH:!aNULL,compress=none");
        Assert.Equal("c\n", match.StdoutText);
        Assert.Contains("N SSL connection using ECDHE-RSA-AES128-GCM-SHA256", match.LogLines); // OpenSSL's name, as socat logs it
    }

    [Theory]
    [InlineData("cipher=NO-SUCH-CIPHER", "E cipher=\"NO-SUCH-CIPHER\": no cipher match")]
    [InlineData("compress=zlib", "E compress=\"zlib\": \"auto\" or \"none\"")]
    [InlineData("dhparams=/dev/null", "E dhparams \"/dev/null\": no DH PARAMETERS found in it")]
    [InlineData("egd=/dev/null", "E OPENSSL: option \"egd\" is not supported: OpenSSL 1.1 and later seed themselves from the kernel's random source and have no EGD support")]
    [InlineData("fips", "E OPENSSL: option \"fips\" is not supported: FIPS mode belongs to the system's OpenSSL configuration (openssl.cnf); this build has no switch of its own for it")]
    [InlineData("pseudo", "E OPENSSL: option \"pseudo\" is not supported: OpenSSL seeds itself from the kernel's random source; there is no missing /dev/urandom to stand in for")]
    public async Task OptionsThatCannotApplyFailBeforeConnecting(string option, string message)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var r = await Run.SharpCatAsync([], "-", $"OPENSSL:localhost:{port},{option}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([message], r.LogLines);
        Assert.False(listener.Pending(), "a connection was made before the option was refused");
    }

    [Theory]
    [InlineData("", "localhost")]
    [InlineData(",snihost=sni.example", "sni.example")]
    [InlineData(",no-sni", null)]
    public async Task SniIsTheHostOrSnihostOrNone(string options, string? expected)
    {
        int port = FreePorts.Next();
        using var sserver = LiveProcess.Start("bash", "-c",
            $"sleep 20 | openssl s_server -accept 127.0.0.1:{port} -cert {certs["server.pem"]} -key {certs["server.key"]} -tlsextdebug 2>&1");
        await sserver.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("ACCEPT"));
        var r = await Run.SharpCatAsync("sni\n"u8.ToArray(), "-", $"OPENSSL:localhost:{port},cafile={certs["ca.pem"]}{options}");
        Assert.Equal(0, r.ExitCode);
        await sserver.WaitForStdoutAsync(o => Encoding.ASCII.GetString(o).Contains("sni\n"));
        string log = Encoding.ASCII.GetString(sserver.Stdout);
        if (expected is null) Assert.DoesNotContain("\"server name\"", log);
        else Assert.Matches($@"TLS client extension ""server name"".*\n.*{Regex.Escape(expected)}", log);
    }
}
