using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Packaging;

/// <summary>
/// The packages that ./package.sh left in artifacts/packages (test.sh runs it before the tests),
/// and a runner for the package tools that use them (dotnet, dpkg, lintian).
/// </summary>
internal static partial class Packages
{
    public static string RepoRoot => Binaries.RepositoryRoot();

    public static string Folder => Path.Combine(RepoRoot, "artifacts", "packages");

    /// <summary>The project's version, as package.sh stamps it on every package.</summary>
    public static string Version { get; } = ReadVersion();

    public static bool IsRoot => geteuid() == 0;

    /// <summary>A package file by name; a missing one fails the test with package.sh's last words.</summary>
    public static string Require(string fileName)
    {
        string path = Path.Combine(Folder, fileName);
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: run ./package.sh (test.sh does).{PackageLog()}");
        return path;
    }

    /// <summary>The .deb of this version, whatever its Debian revision.</summary>
    public static string RequireDeb()
    {
        string[] debs = Directory.Exists(Folder) ? Directory.GetFiles(Folder, $"sharpcat_{Version}-*_amd64.deb") : [];
        if (debs.Length != 1)
            throw new InvalidOperationException($"expected one sharpcat_{Version}-*_amd64.deb in {Folder}, found {debs.Length}: run ./package.sh (test.sh does).{PackageLog()}");
        return debs[0];
    }

    /// <summary>
    /// Runs a program with extra environment (null removes a variable). A child dotnet must not
    /// inherit the MSBuild paths of the `dotnet test` that runs us: it resolves its own SDK.
    /// </summary>
    public static Task<RunResult> RunAsync(string program, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, byte[]? stdin = null)
    {
        var variables = new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        foreach (string key in Environment.GetEnvironmentVariables().Keys)
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)) variables[key] = null;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) variables[key] = value;
        return Run.ProgramAsync(program, [.. args], stdin ?? [], timeout, workingDirectory ?? RepoRoot, variables);
    }

    /// <summary>A NuGet.Config whose sources are exactly the given ones, nothing inherited.</summary>
    public static string WriteNuGetConfig(string directory, params (string Key, string Source, string[] Patterns)[] sources)
    {
        var xml = new System.Text.StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n");
        foreach (var s in sources) xml.Append($"    <add key=\"{s.Key}\" value=\"{s.Source}\" />\n");
        xml.Append("  </packageSources>\n");
        if (sources.Any(s => s.Patterns.Length > 0))
        {
            // Source mapping: our own ids come from the local folder only, never from a feed
            // that might hold a package of the same name.
            xml.Append("  <packageSourceMapping>\n    <clear />\n");
            foreach (var s in sources)
            {
                xml.Append($"    <packageSource key=\"{s.Key}\">\n");
                foreach (string pattern in s.Patterns) xml.Append($"      <package pattern=\"{pattern}\" />\n");
                xml.Append("    </packageSource>\n");
            }
            xml.Append("  </packageSourceMapping>\n");
        }
        xml.Append("</configuration>\n");
        string path = Path.Combine(directory, "NuGet.Config");
        File.WriteAllText(path, xml.ToString());
        return path;
    }

    private static string PackageLog()
    {
        string log = Path.Combine(RepoRoot, "artifacts", "package.log");
        if (!File.Exists(log)) return "";
        var tail = File.ReadLines(log).TakeLast(5);
        return $"\nlast lines of {log}:\n{string.Join('\n', tail)}";
    }


    private static string ReadVersion()
    {
        var m = VersionElement().Match(File.ReadAllText(Path.Combine(RepoRoot, "Directory.Build.props")));
        return m.Success ? m.Groups[1].Value : throw new InvalidOperationException("no <Version> in Directory.Build.props");
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();


    [DllImport("libc")]
    private static extern uint geteuid();
}

/// <summary>
/// The packaging tests run alone, after the parallel part of the suite: a dotnet build and dpkg's
/// triggers take both cores for a while, and the relay and soak tests measure time and memory.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    public const string Name = "packaging";
}

/// <summary>A [Fact] that needs root (dpkg -i), skipped with the reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Packages.IsRoot) Skip = "installing a .deb needs root";
    }
}
