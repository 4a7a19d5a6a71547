namespace SharpCat.Tests.Support;

/// <summary>Where the programs under test live: the published sharpcat binary and Debian's socat.</summary>
public static class Binaries
{
    /// <summary>The NativeAOT binary built by build.sh (SHARPCAT_BIN overrides).</summary>
    public static string SharpCat { get; } = FindSharpCat();

    /// <summary>socat from the system, or null when it is not installed.</summary>
    public static string? Socat { get; } = FindOnPath("socat");

    /// <summary>socat 1.8.0.3 as tools/socat18.sh builds it (SOCAT18_BIN overrides), the reference for 1.8's additions.</summary>
    public static string Socat18 => socat18.Value;

    private static readonly Lazy<string> socat18 = new(FindSocat18);

    /// <summary>socat 1.8.1.3 as tools/socat181.sh builds it (SOCAT181_BIN overrides), the reference for 1.8.1's STALL, TEXT and tiocswinsz.</summary>
    public static string Socat181 => socat181.Value;

    private static readonly Lazy<string> socat181 = new(FindSocat181);

    /// <summary>The program a differential test names: "socat" (1.7.4, which must be installed), "socat18", "socat181" or "sharpcat".</summary>
    public static string Of(string program) => program switch
    {
        "socat" => Socat ?? throw new InvalidOperationException("socat is not installed (test.sh installs it)"),
        "socat18" => Socat18,
        "socat181" => Socat181,
        _ => SharpCat,
    };

    private static string FindSocat18()
    {
        string? env = Environment.GetEnvironmentVariable("SOCAT18_BIN");
        if (!string.IsNullOrEmpty(env)) return env;
        string path = Path.Combine(RepositoryRoot(), "artifacts", "socat18", "socat-1.8.0.3", "socat");
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} is missing: tools/socat18.sh builds it (test.sh runs it; see artifacts/socat18.log)");
    }

    private static string FindSocat181()
    {
        string? env = Environment.GetEnvironmentVariable("SOCAT181_BIN");
        if (!string.IsNullOrEmpty(env)) return env;
        string path = Path.Combine(RepositoryRoot(), "artifacts", "socat181", "socat-1.8.1.3", "socat");
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} is missing: tools/socat181.sh builds it (test.sh runs it; see artifacts/socat181.log)");
    }

    private static string FindSharpCat()
    {
        string? env = Environment.GetEnvironmentVariable("SHARPCAT_BIN");
        if (!string.IsNullOrEmpty(env)) return env;
        string path = Path.Combine(RepositoryRoot(), "artifacts", "sharpcat");
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: run ./build.sh first");
        return path;
    }

    /// <summary>The checkout's root (the folder holding SharpCat.slnx).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpCat.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (SharpCat.slnx)");
    }

    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
