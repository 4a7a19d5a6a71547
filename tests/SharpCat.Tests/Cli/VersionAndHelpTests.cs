using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

public class VersionAndHelpTests
{
    [Fact]
    public async Task VersionListsFeaturesInSocatForm()
    {
        var r = await Run.SharpCatAsync("-V");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("sharpcat version ", r.StdoutText);
        // What socat's test.sh reads as the version: the last one on the second line.
        Assert.Matches(@"^sharpcat version \S+ \(socat 1\.7\.4\.4 compatible\) on ", r.StdoutText.Split('\n')[1]);
        Assert.Contains("  #define WITH_STDIO 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_FILE 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_PIPE 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_OPENSSL 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_SCTP 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_VSOCK 1\n", r.StdoutText);
        // Not built, so listed as absent.
        Assert.Contains("  #undef WITH_READLINE\n", r.StdoutText);
        Assert.Contains("  #define WITH_TCP 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_EXEC 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_SYSTEM 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_SOCKS4 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_PROXY 1\n", r.StdoutText);
        // libwrap.so.0 is on this machine (socat links it).
        Assert.Contains("  #define WITH_LIBWRAP 1\n", r.StdoutText);
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public async Task EveryFeatureLineOfSocatIsPresent()
    {
        if (Binaries.Socat is null) throw new InvalidOperationException("socat is not installed (test.sh installs it)");
        var socat = await Run.SocatAsync([], "-V");
        var ours = await Run.SharpCatAsync("-V");
        static IEnumerable<string> Features(string text) => text.Split('\n')
            .Where(l => l.StartsWith("  #")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        // socat 1.7.4's lines in its order; the others are socat 1.8's (and 1.8.1's) names for its additions.
        var socat174 = Features(socat.StdoutText).ToList();
        Assert.Equal(socat174, Features(ours.StdoutText).Where(socat174.Contains));
        var socat18 = Features((await Run.ProgramAsync(Binaries.Socat18, ["-V"], [], Run.DefaultTimeout)).StdoutText).ToHashSet();
        socat18.UnionWith(Features((await Run.ProgramAsync(Binaries.Socat181, ["-V"], [], Run.DefaultTimeout)).StdoutText));
        // SharpCat's own capabilities (DESIGN §10: listed by -V in socat's form) are the only other names.
        string[] own = ["WITH_WEBSOCKET", "WITH_FAULTS", "WITH_TOXIPROXY_API"];
        Assert.DoesNotContain(Features(ours.StdoutText), f => !socat174.Contains(f) && !socat18.Contains(f) && !own.Contains(f));
    }

    [Theory]
    [InlineData("-h", false, false)]
    [InlineData("-?", false, false)]
    [InlineData("-hh", true, false)]
    [InlineData("-hhh", true, true)]
    [InlineData("-??", true, false)]
    [InlineData("-h?", true, false)]
    [InlineData("-???", true, true)]
    public async Task HelpListsAddressesAndOptions(string flag, bool options, bool aliases)
    {
        var r = await Run.SharpCatAsync(flag);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("open:<filename>\tgroups=FD,FIFO,CHR,BLK,REG,NAMED,OPEN,TERMIOS".Replace("FD,FIFO,CHR,BLK,REG,NAMED,OPEN,TERMIOS", "BLK,CHR,FD,FIFO,NAMED,OPEN,REG,TERMIOS"), r.StdoutText);
        Assert.Contains(" tcp-listen:<port>", r.StdoutText);
        Assert.Contains(" openssl-dtls-server:<port>", r.StdoutText);
        Assert.Contains(" openssl-listen:<port>", r.StdoutText);
        Assert.Equal(options, r.StdoutText.Contains("creat") && r.StdoutText.Contains("o-create\tgroups=OPEN\tphase=OPEN\ttype=BOOL"));
        Assert.Equal(aliases, r.StdoutText.Contains("creat is an alias for o-create"));
    }

    /// <summary>
    /// What socat's test.sh reads: the lines after "opt:" of <c>-???</c> are the options there are,
    /// sorted, one per line; an option of socat's catalog that this build lacks is named nowhere
    /// (test.sh would take it for present and run its test).
    /// </summary>
    [Fact]
    public async Task TheOptionListIsWhatSocatsTestScriptReads()
    {
        var r = await Run.SharpCatAsync("-???");
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.StdoutText.Split('\n');
        string[] options = lines.SkipWhile(l => !l.Contains("opt:")).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0]).ToArray();
        Assert.Contains("ip-recvttl", options);
        Assert.Equal(options.Order(StringComparer.Ordinal), options);
        Assert.Contains("tcpwrappers", options);
        var refused = await Run.SharpCatAsync("TCP-LISTEN:0,tcp-md5sig=1", "-");
        Assert.Contains("not supported by this build", refused.StderrText);
        Assert.DoesNotMatch("[^a-z0-9-]tcp-md5sig[^a-z0-9-]", r.StdoutText);
        // Nor one refused for a reason (it would do nothing here).
        Assert.DoesNotMatch("[^a-z0-9-]res-debug[^a-z0-9-]", r.StdoutText);
    }
}
