using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Differential;

/// <summary>
/// One differential case: the command line (with <c>{dir}</c>), the stdin bytes, what to put in the
/// directory first, and socat's expected exit status — checked so that a case whose premise is wrong
/// (both programs failing the same way) cannot pass unnoticed. <paramref name="Premise"/> may check
/// more of socat's result (the comparison then covers sharpcat).
/// </summary>
public sealed record DiffCase(
    string[] Args,
    byte[] Stdin,
    int ExpectedExit = 0,
    Action<TempDir>? Prepare = null,
    StderrCheck Stderr = StderrCheck.SilentParity,
    Action<DifferentialResult>? Premise = null)
{
    public static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);

    /// <summary>Deterministic pseudo-random bytes (seeded by the length), so a failure reproduces.</summary>
    public static byte[] Random(int length)
    {
        var data = new byte[length];
        new System.Random(length).NextBytes(data);
        return data;
    }

    /// <summary>Writes files (Latin-1 text) into the directory.</summary>
    public static Action<TempDir> Files(params (string Name, string Content)[] files) => dir =>
    {
        foreach (var (name, content) in files) File.WriteAllBytes(dir[name], B(content));
    };

    public static Action<TempDir> Files(params (string Name, byte[] Content)[] files) => dir =>
    {
        foreach (var (name, content) in files) File.WriteAllBytes(dir[name], content);
    };

    /// <summary>Runs the case and checks socat's exit status before comparing the two runs.</summary>
    public async Task<DifferentialResult> RunAsync()
    {
        var r = await DifferentialRunner.CompareAsync(Stdin, Args, Prepare, Stderr);
        Assert.True(r.Socat.ExitCode == ExpectedExit,
            $"premise: socat exited {r.Socat.ExitCode}, the case expects {ExpectedExit}; stderr:\n{r.Socat.StderrText}");
        Premise?.Invoke(r);
        return r;
    }

    /// <summary>Asserts that the named entry exists (or not) in socat's directory after the run.</summary>
    public static Action<DifferentialResult> SocatLeft(params string[] names) => r =>
        Assert.Equal(names.Order(StringComparer.Ordinal), r.SocatFiles.Select(e => e.Name));

    public static Action<DifferentialResult> SocatFile(string name, string content) => r =>
        Assert.Equal(B(content), r.SocatFiles.Single(e => e.Name == name).Content);

    public static Action<DifferentialResult> SocatStdout(string content) => r => Assert.Equal(B(content), r.Socat.Stdout);
}
