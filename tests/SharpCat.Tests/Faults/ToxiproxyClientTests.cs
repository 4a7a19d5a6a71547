using SharpCat.Tests.Support;

namespace SharpCat.Tests.Faults;

/// <summary>
/// toxiproxy's own Node client (npm toxiproxy-node-client, installed by test.sh into tests/node)
/// against <c>sharpcat --control</c>: tests/node/toxiproxy-client.test.mjs runs its documented
/// calls and the cases of its test suite, and measures a latency toxic on the wire.
/// </summary>
public class ToxiproxyClientTests
{
    [Fact]
    public async Task TheNodeClientWorksAgainstTheControlApi()
    {
        string dir = Path.Combine(Binaries.RepositoryRoot(), "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "toxiproxy-node-client")),
            "tests/node/node_modules is missing: test.sh installs it (npm ci --prefix tests/node)");
        string node = Binaries.FindOnPath("node") ?? throw new InvalidOperationException("node is not installed (test.sh installs nodejs)");
        using var echo = new EchoServer();
        using var control = await ControlServer.StartAsync();
        var r = await Run.ProgramAsync(node, ["--test", "--test-reporter=tap", "toxiproxy-client.test.mjs"], stdin: null, TimeSpan.FromSeconds(120), dir,
            new Dictionary<string, string?> { ["TOXIPROXY_URL"] = control.Url, ["ECHO_PORT"] = echo.Port.ToString() });
        Assert.True(r.ExitCode == 0, r.StdoutText + r.StderrText);
        Assert.Contains("# pass 10", r.StdoutText);
        Assert.Contains("# fail 0", r.StdoutText);
    }

    [Fact]
    public async Task VersionListsTheFaultsAndTheApi()
    {
        var r = await Run.SharpCatAsync("-V");
        Assert.Contains("  #define WITH_FAULTS 1\n", r.StdoutText);
        Assert.Contains("  #define WITH_TOXIPROXY_API 1 /* 2.12.0 */\n", r.StdoutText);
    }
}
