using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Packaging;

/// <summary>The Debian package: lintian's verdict, and a real install, use and purge.</summary>
[Collection(PackagingCollection.Name)]
public class DebPackageTests
{
    private static readonly TimeSpan DpkgTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task LintianFindsNoErrors()
    {
        string deb = Packages.RequireDeb();
        if (Binaries.FindOnPath("lintian") is not { } lintian) throw new InvalidOperationException("lintian is missing (test.sh installs it)");
        // --fail-on error: warnings are reported but pass; the overrides shipped in the package apply.
        var r = await Packages.RunAsync(lintian, ["--fail-on", "error", "--info", deb], DpkgTimeout);
        Assert.True(r.ExitCode == 0, $"lintian failed:\n{r.StdoutText}{r.StderrText}");
        Assert.DoesNotContain(r.StdoutText.Split('\n'), l => l.StartsWith("E: "));
    }

    [Fact]
    public async Task ControlSaysWhatTheBinaryNeeds()
    {
        string deb = Packages.RequireDeb();
        var r = await Packages.RunAsync("dpkg-deb", ["--field", deb, "Package", "Version", "Architecture", "Depends", "Recommends"], DpkgTimeout);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Package: sharpcat\n", r.StdoutText);
        Assert.Matches($@"Version: {Packages.Version.Replace(".", @"\.")}-\d+\n", r.StdoutText);
        Assert.Contains("Architecture: amd64\n", r.StdoutText);
        Assert.Matches(@"Depends: .*\blibc6 \(>= ", r.StdoutText);
        Assert.Matches(@"Recommends: .*\blibssl3", r.StdoutText);
    }

    [RootFact]
    public async Task InstallsRunsAndPurgesCleanly()
    {
        string deb = Packages.RequireDeb();
        var before = await Packages.RunAsync("dpkg-query", ["-W", "-f=${Status}", "sharpcat"], DpkgTimeout);
        if (before.StdoutText.EndsWith(" installed", StringComparison.Ordinal))
            throw new InvalidOperationException("a sharpcat package is already installed on this machine: this test would replace and then remove it; remove it first (dpkg --purge sharpcat)");

        try
        {
            var install = await Packages.RunAsync("dpkg", ["-i", deb], DpkgTimeout, environment: new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" });
            Assert.True(install.ExitCode == 0, $"dpkg -i failed:\n{install.StdoutText}{install.StderrText}");

            var version = await Run.ProgramAsync("/usr/bin/sharpcat", ["-V"], [], Run.DefaultTimeout);
            Assert.Equal(0, version.ExitCode);
            Assert.Contains($"sharpcat version {Packages.Version} ", version.StdoutText);

            if (Binaries.FindOnPath("man") is not { } man) throw new InvalidOperationException("man is missing (test.sh installs man-db)");
            var page = await Packages.RunAsync(man, ["-w", "sharpcat"], DpkgTimeout);
            Assert.True(page.ExitCode == 0, $"man -w sharpcat: {page.StderrText}");
            Assert.Equal("/usr/share/man/man1/sharpcat.1.gz", page.StdoutText.Trim());
            // Where bash-completion loads a command's completion on first use; bash must parse it.
            const string completion = "/usr/share/bash-completion/completions/sharpcat";
            Assert.True(File.Exists(completion));
            var syntax = await Packages.RunAsync("/bin/bash", ["-n", completion], DpkgTimeout);
            Assert.True(syntax.ExitCode == 0, $"bash -n {completion}: {syntax.StderrText}");
            // The installed page renders (man's own formatter, warnings on) and the installed
            // completion completes: an address keyword, then an option of that address.
            var rendered = await Packages.RunAsync(man, ["-P", "cat", "sharpcat"], DpkgTimeout,
                environment: new Dictionary<string, string?> { ["MANWIDTH"] = "100", ["MANROFFOPT"] = "-ww" });
            Assert.True(rendered.ExitCode == 0 && rendered.StderrText.Length == 0, $"man sharpcat: {rendered.StderrText}");
            Assert.Contains("TCP-LISTEN", rendered.StdoutText);
            Assert.Contains("max-children", rendered.StdoutText);
            const string complete = """
                source /usr/share/bash-completion/completions/sharpcat
                for line in 'sharpcat TCP-LIS' 'sharpcat - TCP-LISTEN:8080,fo'; do
                  COMP_LINE=$line; COMP_POINT=${#line}; read -r -a COMP_WORDS <<<"$line"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                  COMPREPLY=(); _sharpcat sharpcat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                  printf '%s\n' "${COMPREPLY[@]}"
                done
                """;
            var completed = await Packages.RunAsync("/bin/bash", ["--norc", "-c", complete], DpkgTimeout);
            Assert.True(completed.ExitCode == 0, completed.StderrText);
            var offered = completed.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(offered, o => o.EndsWith("TCP-LISTEN:", StringComparison.Ordinal) || o == "LISTEN:");
            Assert.Contains(offered, o => o.EndsWith("fork", StringComparison.Ordinal));

            // A real relay through the installed binary: stdin to an echo server on loopback and back.
            using var echo = new EchoServer();
            byte[] payload = Encoding.ASCII.GetBytes("through the packaged sharpcat\n");
            var relay = await Run.ProgramAsync("/usr/bin/sharpcat", ["-", $"TCP:127.0.0.1:{echo.Port}"], payload, Run.DefaultTimeout);
            Assert.True(relay.ExitCode == 0, relay.ToString());
            Assert.Equal(payload, relay.Stdout);

            var files = await Packages.RunAsync("dpkg", ["-L", "sharpcat"], DpkgTimeout);
            Assert.Contains("/usr/bin/sharpcat", files.StdoutText.Split('\n'));
        }
        finally
        {
            var purge = await Packages.RunAsync("dpkg", ["--purge", "sharpcat"], DpkgTimeout);
            Assert.True(purge.ExitCode == 0, $"dpkg --purge failed:\n{purge.StdoutText}{purge.StderrText}");
        }

        var after = await Packages.RunAsync("dpkg-query", ["-W", "-f=${Status}", "sharpcat"], DpkgTimeout);
        Assert.True(after.StdoutText is "" || after.StdoutText.EndsWith("not-installed", StringComparison.Ordinal), $"dpkg status after purge: {after.StdoutText}");
        Assert.False(File.Exists("/usr/bin/sharpcat"));
        Assert.False(Directory.Exists("/usr/share/doc/sharpcat"));
        Assert.False(File.Exists("/usr/share/bash-completion/completions/sharpcat"));
        Assert.False(File.Exists("/usr/share/man/man1/sharpcat.1.gz"));
    }
}
