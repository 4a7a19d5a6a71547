namespace SharpCat.Tests.Support;

/// <summary>Where the programs under test live: the published sharpcat binary and Debian's socat.</summary>
public static class Binaries
{
    /// <summary>The NativeAOT binary built by build.sh (SHARPCAT_BIN overrides).</summary>
    public static string SharpCat { get; } = FindSharpCat();

    /// <summary>socat from the system, or null when it is not installed.</summary>
    public static string? Socat { get; } = FindOnPath("socat");

    /// <summary>The program a differential test names: "socat" (which must be installed) or "sharpcat".</summary>
    public static string Of(string program) => program == "socat"
        ? Socat ?? throw new InvalidOperationException("socat is not installed (test.sh installs it)")
        : SharpCat;

    private static string FindSharpCat()
    {
        string? env = Environment.GetEnvironmentVariable("SHARPCAT_BIN");
        if (!string.IsNullOrEmpty(env)) return env;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpCat.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("cannot find the repository root (SharpCat.slnx)");
        string path = Path.Combine(dir.FullName, "artifacts", "sharpcat");
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: run ./build.sh first");
        return path;
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
