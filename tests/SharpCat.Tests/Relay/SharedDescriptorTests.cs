using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>Two directions that read one descriptor take turns, the first address first, as in socat.</summary>
public class SharedDescriptorTests
{
    [Fact]
    public async Task StdioTwiceReadsTheFirstAddressFirstEveryTime()
    {
        // Both directions read fd 0: the chunk must go left to right (">") on every run, not to
        // whichever read wins. Twenty runs, since a race would show in some of them.
        for (int run = 0; run < 20; run++)
        {
            var r = await Run.SharpCatAsync("hi\n"u8.ToArray(), "-v", "-", "-");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("hi\n", r.StdoutText);
            var headers = r.StderrText.Split('\n').Where(l => l.StartsWith('>') || l.StartsWith('<')).ToArray();
            Assert.Single(headers);
            Assert.StartsWith("> ", headers[0]);
        }
    }

    [Fact]
    public async Task ChunksAlternateBetweenTheAddressesAsInSocat()
    {
        // socat reads the first address, then the second, then the first again: with chunks that
        // arrive apart, the -v arrows alternate. The writer waits for each chunk to come out first.
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            using var p = LiveProcess.Start(program, "-v", "-", "-");
            for (int i = 0; i < 4; i++)
            {
                await p.Stdin.WriteAsync(new[] { (byte)('a' + i), (byte)'\n' });
                await p.Stdin.FlushAsync();
                int expected = 2 * (i + 1);
                await p.WaitForStdoutAsync(o => o.Length >= expected);
            }
            p.Stdin.Close();
            Assert.Equal(0, await p.WaitForExitAsync());
            string arrows = string.Concat(p.StderrText.Split('\n').Where(l => l.StartsWith('>') || l.StartsWith('<')).Select(l => l[0]));
            Assert.True(arrows == "><><", $"{Path.GetFileName(program)}: {arrows}\n{p.StderrText}");
        }
    }
}
