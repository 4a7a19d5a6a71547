using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's SHELL beside socat 1.8.0.3: SYSTEM's command run by the shell that SHELL names (or
/// the shell= option), which the command also gets as SHELL and as its $0's name; no SHELL, or one
/// that is not a path, is socat's error.
/// </summary>
public class Socat18ShellTests
{
    private static readonly string[] Programs = ["socat18", "sharpcat"];

    private static Task<RunResult> RunAsync(string program, string address, string? shell) =>
        Run.ProgramAsync(Binaries.Of(program), ["-u", address, "-"], [], Run.DefaultTimeout,
            environment: new Dictionary<string, string?> { ["SHELL"] = shell });

    [Theory]
    [InlineData("SHELL:echo \"[${BASH_VERSION:+bash}] $SHELL $0\"", "/bin/bash", "[bash] /bin/bash bash\n")]
    [InlineData("SHELL:echo \"[${BASH_VERSION:+bash}] $SHELL $0\"", "/bin/sh", "[] /bin/sh sh\n")]
    [InlineData("SHELL:echo \"$SHELL $0\",shell=/bin/dash", "/bin/bash", "/bin/dash dash\n")]
    [InlineData("SHELL:echo \"$SHELL $0\",shell=/bin/dash", null, "/bin/dash dash\n")]
    public async Task TheNamedShellRunsTheCommandAsInSocat18(string address, string? shell, string expected)
    {
        foreach (string program in Programs)
        {
            var r = await RunAsync(program, address, shell);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            Assert.Equal(expected, r.StdoutText);
        }
    }

    [Theory]
    [InlineData(null, "E SHELL variable undefined")]
    [InlineData("bash", "E SHELL \"bash\" variable does not specify a path (has no '/')")]
    public async Task WithoutAShellPathItFailsAsInSocat18(string? shell, string error)
    {
        foreach (string program in Programs)
        {
            var r = await RunAsync(program, "SHELL:echo never", shell);
            Assert.True(r.ExitCode == 1, $"{program}: {r}");
            Assert.Empty(r.Stdout);
            Assert.Contains(error, r.LogLines);
        }
    }

    /// <summary>shell= belongs to SHELL only (socat 1.8: "not supported with this address type").</summary>
    [Fact]
    public async Task SystemTakesNoShellOption()
    {
        foreach (string program in Programs)
        {
            var r = await RunAsync(program, "SYSTEM:echo never,shell=/bin/dash", "/bin/sh");
            Assert.True(r.ExitCode == 1, $"{program}: {r}");
            Assert.Empty(r.Stdout);
        }
    }
}
