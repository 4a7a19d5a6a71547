using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's res-nsaddr, res-retrans, res-retry and the res-* flags beside socat 1.8.0.3, with a DNS server of the
/// test's own on 127.0.0.1 (every lookup here names it, so nothing asks the machine's own servers):
/// the name is asked of that server, an unanswered query is sent again after res-retrans seconds,
/// res-retry rounds and no more. /etc/hosts is read first by both (glibc's "files dns"), so the names
/// are under .sharpcat.test, which no hosts file lists.
/// </summary>
public class Socat18ResolverStateTests
{
    private static readonly string[] Programs = ["socat18", "sharpcat"];
    private const string Name = "relay.sharpcat.test";

    /// <summary>The name reaches the echo server through the test's DNS server, and the same bytes come back from both programs.</summary>
    [Theory]
    [InlineData("TCP4:{name}:{port},res-nsaddr=127.0.0.1:{dns}")]
    [InlineData("TCP4:{name}:{port},dns=127.0.0.1:{dns}")]
    [InlineData("TCP4:{name}:{port},nameserver=127.0.0.1:{dns},res-retrans=2,res-retry=2")]
    [InlineData("TCP:{name}:{port},pf=ip4,nsaddr=127.0.0.1:{dns},retrans=1,res-maxretry=3")]
    public async Task TheNameIsAskedOfTheGivenServerAsInSocat18(string address)
    {
        using var echo = new EchoServer();
        var outputs = new Dictionary<string, byte[]>();
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name]);
            string a = address.Replace("{name}", Name).Replace("{port}", echo.Port.ToString()).Replace("{dns}", dns.Port.ToString());
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-", a], "through the name server\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            outputs[program] = r.Stdout;
            // One A query, or more where a loaded machine was slower than res-retrans to answer.
            Assert.True(dns.Queries.Any(q => q.Type == 1 && q.Name == Name), $"{program}: {string.Join(", ", dns.Queries)}");
            Assert.All(dns.Queries, q => Assert.Equal(Name, q.Name));
        }
        Assert.Equal("through the name server\n", Encoding.ASCII.GetString(outputs["sharpcat"]));
        Assert.Equal(outputs["socat18"], outputs["sharpcat"]);
    }

    /// <summary>A datagram address and a listener's bind= name look up the same way.</summary>
    [Fact]
    public async Task DatagramAndBindNamesUseTheServerToo()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)receiver.LocalEndPoint!).Port;
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name]);
            var r = await Run.ProgramAsync(Binaries.Of(program),
                ["-u", "-", $"UDP4-SENDTO:{Name}:{port},bind={Name}:0,res-nsaddr=127.0.0.1:{dns.Port}"], "datagram\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            var buffer = new byte[64];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var got = await receiver.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            Assert.Equal("datagram\n", Encoding.ASCII.GetString(buffer, 0, got.ReceivedBytes));
            Assert.True(dns.Queries.Count(q => q.Name == Name && q.Type == 1) >= 2, $"{program}: {string.Join(", ", dns.Queries)}");
        }
    }

    /// <summary>
    /// The server leaves the first query unanswered: with res-retrans=1 the resolver asks again about a
    /// second later from the same socket (not after resolv.conf's 5 s), and with two rounds it gets the answer.
    /// </summary>
    [Fact]
    public async Task AnUnansweredQueryIsSentAgainAfterRetransSeconds()
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name], dropFirst: 1);
            var r = await Run.ProgramAsync(Binaries.Of(program),
                ["-", $"TCP4:{Name}:{echo.Port},res-nsaddr=127.0.0.1:{dns.Port},res-retrans=1,res-retry=2"], "again\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal("again\n", r.StdoutText);
            var queries = dns.Queries;
            Assert.Equal(2, queries.Count);
            Assert.False(queries[0].Answered);
            Assert.Equal(queries[0].From, queries[1].From);
            var gap = queries[1].At - queries[0].At;
            Assert.True(gap > TimeSpan.FromSeconds(0.5) && gap < TimeSpan.FromSeconds(4.5), $"{program}: asked again after {gap}");
        }
    }

    /// <summary>
    /// res-retry=1: one round only, so the dropped query is the lookup's end, and the name fails.
    /// (socat 1.8.0.3 calls getaddrinfo a second time after a failure, so its server sees two rounds.)
    /// </summary>
    [Fact]
    public async Task OneRoundIsAllRetryOneAllows()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name], dropFirst: 100);
            var r = await Run.ProgramAsync(Binaries.Of(program),
                ["-", $"TCP4:{Name}:{port},res-nsaddr=127.0.0.1:{dns.Port},res-retrans=1,res-retry=1"], [], Run.DefaultTimeout);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(r.LogLines, l => l.Contains("Temporary failure in name resolution"));
            int rounds = program == "socat18" ? 2 : 1;
            Assert.Equal(rounds, dns.Queries.Count);
            Assert.Equal(rounds, dns.Queries.Select(q => q.From).Distinct().Count());
        }
        Assert.False(listener.Pending());
        var sharp = await Run.SharpCatAsync("-", $"TCP4:{Name}:{port},res-nsaddr=127.0.0.1:9,res-retry=0");
        Assert.Equal(1, sharp.ExitCode);
        Assert.Equal("E getaddrinfo(\"relay.sharpcat.test\", \"NULL\", {0x00,2,1,6}, {}): Temporary failure in name resolution", Assert.Single(sharp.LogLines));
    }

    /// <summary>An unknown name gets the server's NXDOMAIN: both fail; an IP literal is not looked up at all.</summary>
    [Fact]
    public async Task UnknownNamesFailAndLiteralsAreNotAsked()
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name]);
            var r = await Run.ProgramAsync(Binaries.Of(program),
                ["-", $"TCP4:other.sharpcat.test:{echo.Port},res-nsaddr=127.0.0.1:{dns.Port}"], [], Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(r.LogLines, l => l.StartsWith("E ") && l.EndsWith("Name or service not known"));
            Assert.Contains(dns.Queries, q => q.Name == "other.sharpcat.test");

            var literal = await Run.ProgramAsync(Binaries.Of(program),
                ["-", $"TCP4:127.0.0.1:{echo.Port},res-nsaddr=127.0.0.1:{dns.Port}"], "literal\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(literal.ExitCode == 0, $"{program}: {literal}");
            Assert.Equal("literal\n", literal.StdoutText);
            Assert.DoesNotContain(dns.Queries, q => q.Name.StartsWith("127.", StringComparison.Ordinal));
        }
    }

    /// <summary>A fork listener's every connection looks up with its own settings: no descriptor or thread is left behind.</summary>
    [Fact]
    public async Task ForkedConnectionsEachLookUpAndLeaveNothingBehind()
    {
        using var echo = new EchoServer();
        using var dns = new DnsServer([Name]);
        int listen = FreePorts.Next();
        using var relay = LiveProcess.Start(Binaries.SharpCat, "-d", "-d", $"TCP4-LISTEN:{listen},fork,reuseaddr,bind=127.0.0.1",
            $"TCP4:{Name}:{echo.Port},res-nsaddr=127.0.0.1:{dns.Port},res-retrans=1");
        await relay.WaitForStderrAsync(log => log.Contains("listening on"), "the listener");
        int? before = null;
        for (int i = 0; i < 8; i++)
        {
            var r = await Run.SharpCatAsync(Encoding.ASCII.GetBytes($"connection {i}\n"), "-", $"TCP4:127.0.0.1:{listen}");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal($"connection {i}\n", r.StdoutText);
            await dns.WaitForQueriesAsync(i + 1, TimeSpan.FromSeconds(10));
            if (i == 1) before = Directory.GetFiles($"/proc/{relay.Pid}/fd").Length;
        }
        await Wait.UntilAsync(() => Directory.GetFiles($"/proc/{relay.Pid}/fd").Length <= before, 10);
        Assert.Equal(8, dns.Queries.Count(q => q.Type == 1));
    }

    private static async Task<RunResult> LookUpAsync(string program, string host, int port, string options, Dictionary<string, string?>? environment = null) =>
        await Run.ProgramAsync(Binaries.Of(program), ["-", $"TCP4:{host}:{port},{options}"], "flags\n"u8.ToArray(), Run.DefaultTimeout, environment: environment);

    /// <summary>res-usevc: the resolver asks over TCP (each lookup its own connection unless res-stayopen).</summary>
    [Theory]
    [InlineData("res-usevc")]
    [InlineData("usevc=1")]
    public async Task UsevcAsksOverTcpAsInSocat18(string option)
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([Name], tcp: true);
            var r = await LookUpAsync(program, Name, echo.Port, $"res-nsaddr=127.0.0.1:{dns.Port},{option}");
            Assert.True(r.ExitCode == 0 && r.StdoutText == "flags\n", $"{program}: {r}");
            Assert.NotEmpty(dns.Queries);
            Assert.All(dns.Queries, q => Assert.NotEqual(0, q.Connection));
        }
    }

    /// <summary>res-recurse=0 clears the query's RD bit, which is set by default.</summary>
    [Fact]
    public async Task RecurseDecidesTheRecursionBitAsInSocat18()
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        foreach (var (option, recursion) in new[] { ("res-recurse=0", false), ("recurse", true), ("res-retry=2", true) })
        {
            using var dns = new DnsServer([Name]);
            var r = await LookUpAsync(program, Name, echo.Port, $"res-nsaddr=127.0.0.1:{dns.Port},{option}");
            Assert.True(r.ExitCode == 0, $"{program} {option}: {r}");
            Assert.All(dns.Queries, q => Assert.Equal(recursion, q.Recursion));
        }
    }

    /// <summary>An answer marked truncated is asked again over TCP, unless res-igntc takes it as it is.</summary>
    [Fact]
    public async Task IgntcTakesATruncatedAnswerAsInSocat18()
    {
        using var echo = new EchoServer();
        foreach (string program in Programs)
        foreach (var (option, overTcp) in new[] { ("res-igntc=0", true), ("res-igntc", false), ("igntc=1", false) })
        {
            using var dns = new DnsServer([Name], tcp: true, truncate: true);
            var r = await LookUpAsync(program, Name, echo.Port, $"res-nsaddr=127.0.0.1:{dns.Port},{option}");
            Assert.True(r.ExitCode == 0, $"{program} {option}: {r}");
            Assert.Equal(overTcp, dns.Queries.Any(q => q.Connection != 0));
        }
    }

    /// <summary>
    /// The search list (LOCALDOMAIN here): a name without a dot gets it with res-defnames (on by
    /// default), a name with one after the name itself failed with res-dnsrch (on by default).
    /// </summary>
    [Theory]
    [InlineData("relay", "", true)]
    [InlineData("relay", "res-defnames=0", false)]
    [InlineData("relay", "defnames=1", true)]
    [InlineData("relay.sub", "", true)]
    [InlineData("relay.sub", "res-dnsrch=0", false)]
    [InlineData("relay.sub", "dnsrch", true)]
    public async Task SearchListFlagsAsInSocat18(string host, string option, bool found)
    {
        using var echo = new EchoServer();
        var environment = new Dictionary<string, string?> { ["LOCALDOMAIN"] = "sharpcat.test" };
        foreach (string program in Programs)
        {
            using var dns = new DnsServer([host + ".sharpcat.test"]);
            var r = await LookUpAsync(program, host, echo.Port, $"res-nsaddr=127.0.0.1:{dns.Port},{option}", environment);
            Assert.True((r.ExitCode == 0) == found, $"{program} {host},{option}: {r}\n{string.Join("\n", dns.Queries)}");
            Assert.Equal(found, dns.Queries.Any(q => q.Name == host + ".sharpcat.test"));
        }
    }

    /// <summary>res-stayopen keeps the TCP connection of res-usevc for the next query of the lookup (the search list's second name).</summary>
    [Theory]
    [InlineData("res-usevc,res-stayopen", 1)]
    [InlineData("usevc,stayopen=1", 1)]
    [InlineData("res-usevc", 2)]
    public async Task StayopenKeepsTheConnectionAsInSocat18(string options, int connections)
    {
        using var echo = new EchoServer();
        var environment = new Dictionary<string, string?> { ["LOCALDOMAIN"] = "sharpcat.test" };
        foreach (string program in Programs)
        {
            using var dns = new DnsServer(["relay.sub.sharpcat.test"], tcp: true);
            var r = await LookUpAsync(program, "relay.sub", echo.Port, $"res-nsaddr=127.0.0.1:{dns.Port},{options}", environment);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal(2, dns.Queries.Count);
            Assert.Equal(connections, dns.Queries.Select(q => q.Connection).Distinct().Count());
        }
    }

    /// <summary>res-debug would do nothing (glibc prints resolver debug output only in debugging builds): refused with the reason.</summary>
    [Fact]
    public async Task ResDebugIsRefused()
    {
        var r = await Run.SharpCatAsync("-", $"TCP4:{Name}:9,res-debug");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("E TCP4-CONNECT: option \"res-debug\" is not supported: glibc's resolver prints", Assert.Single(r.LogLines));
    }

    /// <summary>Bad values: one error, exit 1, nothing connects or asks (socat 1.8 looks a name up, and takes a negative count as none given).</summary>
    [Theory]
    [InlineData("res-nsaddr=::1", "E option \"res-nsaddr\": invalid value \"::1\": the resolver's name server list (_res.nsaddr_list) holds IPv4 addresses only")]
    [InlineData("dns=[::1]:53", "E option \"dns\": invalid value \"[::1]:53\": the resolver's name server list (_res.nsaddr_list) holds IPv4 addresses only")]
    [InlineData("res-nsaddr=name.example", "E option \"res-nsaddr\": invalid value \"name.example\": not an IPv4 address (a.b.c.d, with an optional :port)")]
    [InlineData("res-nsaddr=127.1", "E option \"res-nsaddr\": invalid value \"127.1\": not an IPv4 address (a.b.c.d, with an optional :port)")]
    [InlineData("res-nsaddr=127.0.0.1:70000", "E option \"res-nsaddr\": invalid value \"127.0.0.1:70000\": invalid port \"70000\" (0 to 65535, or a service name)")]
    [InlineData("res-nsaddr=127.0.0.1:nosuchservice", "E option \"res-nsaddr\": invalid value \"127.0.0.1:nosuchservice\": unknown service \"nosuchservice\" for udp")]
    [InlineData("res-retry=-1", "E option \"res-retry\": invalid value \"-1\": out of range 0..2147483647")]
    [InlineData("retrans=-5", "E option \"retrans\": invalid value \"-5\": out of range 0..2147483647")]
    [InlineData("res-retrans=1x", "E option \"res-retrans\": invalid value \"1x\": trailing garbage after the number")]
    public async Task BadValuesAreOneClearError(string option, string error)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var dns = new DnsServer([Name]);
        var r = await Run.SharpCatAsync("-", $"TCP4:{Name}:{port},{option}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(error, Assert.Single(r.LogLines));
        Assert.False(listener.Pending());
        Assert.Empty(dns.Queries);
    }

    [Theory]
    [InlineData("STDIO,res-nsaddr=127.0.0.1")]
    [InlineData("FD:0,res-retry=2")]
    public async Task WhereNothingIsLookedUpTheyAreRefused(string address)
    {
        var r = await Run.SharpCatAsync(address, "PIPE");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("sets name resolution", Assert.Single(r.LogLines));
    }
}
