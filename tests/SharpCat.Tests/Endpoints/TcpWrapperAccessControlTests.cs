using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// TCP wrappers (<c>tcpwrap</c>, <c>tcpwrap-etc</c>, <c>allow-table</c>, <c>deny-table</c>) on the
/// addresses socat checks them on, and the ways rules name the daemon and the client, through
/// sharpcat and through socat with the same hosts.allow and hosts.deny: a client the rules refuse
/// (nothing comes back, socat's refusal line is logged), then, the files rewritten (libwrap reads
/// them at every check), one they admit, served by the same listener.
/// </summary>
public class TcpWrapperAccessControlTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private const string Refusal = "due to tcpwrapper option";

    /// <summary>The rules: null for a file that is not there (libwrap reads no file as no rule).</summary>
    private sealed record Rules(string? Allow, string? Deny)
    {
        public void WriteTo(TempDir dir)
        {
            Write(dir["hosts.allow"], Allow);
            Write(dir["hosts.deny"], Deny);
        }

        private static void Write(string path, string? rules)
        {
            if (rules is null) File.Delete(path);
            else File.WriteAllText(path, rules + "\n");
        }

        public override string ToString() => $"allow \"{Allow}\", deny \"{Deny}\"";
    }

    // The client is always at the loopback address of its family; the other address is no one's.
    private static readonly Rules RefusedV4 = new("socat: 127.0.0.2", "ALL: ALL"), AdmittedV4 = new("socat: 127.0.0.1", "ALL: ALL");
    private static readonly Rules RefusedV6 = new("socat: [::2]", "ALL: ALL"), AdmittedV6 = new("socat: [::1]", "ALL: ALL");

    /// <summary>Every address socat checks the rules on, each with one spelling of the options.</summary>
    public static TheoryData<string, string, string> Addresses()
    {
        (string Listen, string Client)[] addresses =
        [
            ("TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,tcpwrap-etc={dir}", "TCP4:127.0.0.1:{port}"),
            ("TCP6-LISTEN:0,bind=[::1],reuseaddr,fork,hosts-allow={dir}/hosts.allow,hosts-deny={dir}/hosts.deny", "TCP6:[::1]:{port}"),
            ("TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,tcpwrap=socat,tcpwrap-etc={dir}", "TCP:127.0.0.1:{port}"),
            ("OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,verify=0,cert={cert},tcpwrap-etc={dir}", "OPENSSL:127.0.0.1:{port},verify=0"),
            ("OPENSSL-LISTEN:0,pf=ip6,bind=[::1],reuseaddr,fork,verify=0,cert={cert},tcpwrap-etc={dir}", "OPENSSL:[::1]:{port},verify=0"),
            ("UDP4-LISTEN:{free},bind=127.0.0.1,fork,libwrap,allow-table={dir}/hosts.allow,deny-table={dir}/hosts.deny", "UDP4:127.0.0.1:{port}"),
            ("UDP6-LISTEN:{free},bind=[::1],fork,tcpwrap-etc={dir}", "UDP6:[::1]:{port}"),
            ("UDP4-RECVFROM:{free},bind=127.0.0.1,fork,tcpwrap-dir={dir}", "UDP4:127.0.0.1:{port}"),
            ("UDP4-RECVFROM:{free},bind=127.0.0.1,tcpwrap-etc={dir}", "UDP4:127.0.0.1:{port}"),
            ("UDP6-RECVFROM:{free},bind=[::1],tcpwrappers,tcpwrap-etc={dir}", "UDP6:[::1]:{port}"),
        ];
        var data = new TheoryData<string, string, string>();
        foreach (string program in new[] { "sharpcat", "socat" })
            foreach (var (listen, client) in addresses)
                data.Add(program, listen, client);
        return data;
    }

    [Theory]
    [MemberData(nameof(Addresses))]
    public async Task RefusesAndAdmitsByTheRules(string program, string listen, string client)
    {
        using var dir = new TempDir();
        // A fixed port for UDP: socat's UDP-LISTEN,fork binds anew after each peer, and port 0 would move.
        listen = listen.Replace("{free}", FreePorts.Next().ToString()).Replace("{cert}", certs["server-full.pem"]);
        bool v6 = client.Contains("[::1]");
        await CheckAsync(program, [], listen, client, dir, v6 ? RefusedV6 : RefusedV4, v6 ? AdmittedV6 : AdmittedV4);
    }

    /// <summary>
    /// Whose rules apply (the daemon name: socat's own by default, the one given, the -lp name) and
    /// what they may say (host names, which libwrap looks up itself; no tables; allow and deny).
    /// </summary>
    /// <remarks>Each case: global options, address options, then hosts.allow and hosts.deny refusing, and admitting.</remarks>
    public static TheoryData<string, string[], string, string?, string?, string?, string?> RuleCases()
    {
        (string[] Global, string Options, string? RefusingAllow, string? RefusingDeny, string? AdmittingAllow, string? AdmittingDeny)[] cases =
        [
            ([], "tcpwrap=relay,tcpwrap-etc={dir}", "socat: ALL", "ALL: ALL", "relay: ALL", "ALL: ALL"),
            (["-lp", "relay"], "tcpwrap-etc={dir}", "socat: ALL", "ALL: ALL", "relay: 127.0.0.1", "ALL: ALL"),
            ([], "tcpwrap-etc={dir}", null, "socat: localhost", "socat: localhost", "ALL: ALL"),
            ([], "tcpwrap-etc={dir}", null, "socat: 127.0.0.0/255.0.0.0", null, null),
            ([], "tcpwrap-etc={dir}", "socat: 127.0.0.1: deny", null, null, "socat: ALL EXCEPT 127.0.0.2: allow"),
        ];
        var data = new TheoryData<string, string[], string, string?, string?, string?, string?>();
        foreach (string program in new[] { "sharpcat", "socat" })
            foreach (var c in cases)
                data.Add(program, c.Global, c.Options, c.RefusingAllow, c.RefusingDeny, c.AdmittingAllow, c.AdmittingDeny);
        return data;
    }

    [Theory]
    [MemberData(nameof(RuleCases))]
    public async Task AppliesTheRulesOfItsDaemonName(string program, string[] global, string options,
        string? refusingAllow, string? refusingDeny, string? admittingAllow, string? admittingDeny)
    {
        using var dir = new TempDir();
        await CheckAsync(program, global, $"TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,{options}", "TCP4:127.0.0.1:{port}",
            dir, new(refusingAllow, refusingDeny), new(admittingAllow, admittingDeny));
    }

    private static async Task CheckAsync(string program, string[] global, string listen, string client, TempDir dir,
        Rules refused, Rules admitted)
    {
        refused.WriteTo(dir);
        var (server, port) = await Listeners.StartAsync(Program(program), [.. global, "-d", "-d", listen.Replace("{dir}", dir.Path), "PIPE"]);
        using var _ = server;
        string target = client.Replace("{port}", port.ToString());
        var refusedRun = await Run.SocatAsync("refused\n"u8.ToArray(), "-t", "1", "-", target);
        Assert.True(refusedRun.Stdout.Length == 0, $"{refused} let the client in:\n{server.StderrText}");
        await server.WaitForStderrAsync(l => l.Contains("W refusing connection from AF=") && l.Contains(Refusal), "a refusal by the rules");
        admitted.WriteTo(dir);
        var admittedRun = await Run.SocatAsync("admitted\n"u8.ToArray(), "-t", "3", "-", target);
        Assert.True(admittedRun.StdoutText == "admitted\n", $"{admitted}: {admittedRun}\nserver:\n{server.StderrText}");
    }

    /// <summary>UDP-RECV has no one to answer: what the rules let in comes out on stdout, the rest is dropped.</summary>
    [Theory]
    [InlineData("sharpcat")]
    [InlineData("socat")]
    public async Task UdpRecvDropsWhatTheRulesRefuse(string program)
    {
        using var dir = new TempDir();
        RefusedV4.WriteTo(dir);
        using var server = LiveProcess.Start(Program(program), "-d", "-d", "-u", $"UDP4-RECV:0,bind=127.0.0.1,tcpwrap-etc={dir.Path}", "-");
        await server.WaitForStderrAsync("starting data transfer loop");
        using var found = ForeignSocket.Find(server.Pid, s => s.Family == 2)!;
        var receiver = IPEndPoint.Parse(found.Local);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await sender.SendToAsync("refused\n"u8.ToArray(), SocketFlags.None, receiver);
        await server.WaitForStderrAsync(Refusal);
        AdmittedV4.WriteTo(dir);
        await sender.SendToAsync("admitted\n"u8.ToArray(), SocketFlags.None, receiver);
        await server.WaitForStdoutAsync(o => o.Length >= "admitted\n".Length);
        Assert.Equal("admitted\n", System.Text.Encoding.ASCII.GetString(server.Stdout));
    }

    /// <summary>
    /// libwrap is loaded only for an address with a tcpwrap option (-V loads it to tell): a listener
    /// without one has it nowhere in its memory map.
    /// </summary>
    [Fact]
    public async Task LoadsLibwrapOnlyForTheOptions()
    {
        using var dir = new TempDir();
        AdmittedV4.WriteTo(dir);
        foreach (bool wrapped in new[] { false, true })
        {
            string options = wrapped ? $",tcpwrap-etc={dir.Path}" : "";
            var listener = await Listeners.SharpCatAsync("-d", "-d", $"TCP4-LISTEN:0,bind=127.0.0.1{options}", "PIPE");
            using var server = listener.Process;
            Assert.Equal(wrapped, File.ReadAllText($"/proc/{server.Pid}/maps").Contains("libwrap.so"));
        }
    }

    /// <summary>
    /// Where libwrap cannot be loaded (hidden here by a private mount over it), -V says so and a
    /// tcpwrap option is one error in socat's log format, before anything listens: never a check
    /// skipped. Needs root, for unshare -m.
    /// </summary>
    [Fact]
    public async Task WithoutLibwrapTheOptionIsAnError()
    {
        const string script = """
            library=$(readlink -f "$(ldconfig -p | awk '$1 == "libwrap.so.0" { print $NF; exit }')")
            mount --bind /dev/null "$library" || exit 99
            "$1" -V && "$1" -d -d TCP4-LISTEN:0,bind=127.0.0.1,tcpwrap PIPE
            """;
        var r = await Run.ProgramAsync("unshare", ["-m", "bash", "-c", script, "nolibwrap", Binaries.SharpCat], [], Run.DefaultTimeout);
        Assert.Contains("  #undef WITH_LIBWRAP /* libwrap.so.0 could not be loaded */\n", r.StdoutText);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d sharpcat\[\d+\] E TCP4-LISTEN: option ""tcpwrap"" needs TCP wrappers, and libwrap.so.0 could not be loaded: install libwrap0\n$",
            r.StderrText);
    }

    private static string Program(string name) => Binaries.Of(name);
}
