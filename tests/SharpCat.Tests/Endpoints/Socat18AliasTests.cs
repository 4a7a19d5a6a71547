using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>Option names socat 1.8 added as aliases of older ones, beside socat 1.8.0.3.</summary>
public class Socat18AliasTests
{
    /// <summary>o_creat (1.8's spelling of o-creat): the same file from both.</summary>
    [Fact]
    public async Task OUnderscoreCreatCreatesAsInSocat18()
    {
        var contents = new List<string>();
        foreach (string program in new[] { "socat18", "sharpcat" })
        {
            using var dir = new TempDir();
            string file = dir["created"];
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "-", $"OPEN:{file},o_creat"], "made\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            contents.Add(File.ReadAllText(file));
        }
        Assert.Equal(["made\n", "made\n"], contents);
    }

    /// <summary>add-source-membership is ip-add-source-membership: its checks, under either name.</summary>
    [Fact]
    public async Task AddSourceMembershipIsTheIpOption()
    {
        var r = await Run.SharpCatAsync("-u", "UDP4-RECV:0,add-source-membership=10.1.2.3:127.0.0.1:127.0.0.2", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("E ip-add-source-membership: \"10.1.2.3\" is not a multicast address", Assert.Single(r.LogLines));
        var help = await Run.SharpCatAsync("-hhh");
        Assert.Contains("add-source-membership is an alias for ip-add-source-membership\n", help.StdoutText);
        Assert.Contains("o_creat is an alias for o-create\n", help.StdoutText);
    }
}
