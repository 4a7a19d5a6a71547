using System.Diagnostics;
using System.Text;

namespace SharpCat.Tests.Support;

/// <summary>The outcome of one program run: exit status and the bytes it wrote.</summary>
public sealed record RunResult(int ExitCode, byte[] Stdout, byte[] Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);
    public string StderrText => Encoding.UTF8.GetString(Stderr);

    /// <summary>stderr lines with the timestamp, program name and pid cut off: "E message".</summary>
    public string[] LogLines => StderrText.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? (\S+ )?\S+\[\d+\] ", ""))
        .ToArray();

    public override string ToString() => $"exit {ExitCode}, stdout {Stdout.Length} bytes, stderr:\n{StderrText}";
}

/// <summary>
/// Runs a program with arguments (no shell), feeding stdin bytes and collecting stdout and
/// stderr, with a time bound on the whole run. Timing out is a test failure, never a result.
/// </summary>
public static class Run
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static Task<RunResult> SharpCatAsync(params string[] args) => ProgramAsync(Binaries.SharpCat, args, stdin: [], DefaultTimeout);

    public static Task<RunResult> SharpCatAsync(byte[] stdin, params string[] args) => ProgramAsync(Binaries.SharpCat, args, stdin, DefaultTimeout);

    public static Task<RunResult> SocatAsync(byte[] stdin, params string[] args) =>
        ProgramAsync(Binaries.Socat ?? throw new InvalidOperationException("socat is not installed"), args, stdin, DefaultTimeout);

    /// <param name="environment">Variables to set; a null value removes one.</param>
    public static async Task<RunResult> ProgramAsync(string program, string[] args, byte[]? stdin, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) psi.Environment.Remove(key);
            else psi.Environment[key] = value;
        }
        using var p = Process.Start(psi)!;
        var stdout = CopyAsync(p.StandardOutput.BaseStream);
        var stderr = CopyAsync(p.StandardError.BaseStream);
        if (stdin is not null)
        {
            try
            {
                await p.StandardInput.BaseStream.WriteAsync(stdin);
                p.StandardInput.Close();
            }
            catch (IOException) { } // the program may exit without reading all of it
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        return new RunResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a shell command line (for pipelines such as printf | sharpcat).</summary>
    public static Task<RunResult> ShellAsync(string command, TimeSpan? timeout = null, string? workingDirectory = null) =>
        ProgramAsync("/bin/sh", ["-c", command], stdin: [], timeout ?? DefaultTimeout, workingDirectory);

    private static async Task<byte[]> CopyAsync(Stream s)
    {
        var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }
}
