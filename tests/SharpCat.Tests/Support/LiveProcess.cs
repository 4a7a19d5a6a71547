using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Tests.Support;

/// <summary>
/// A program left running while the test talks to it: its output is collected as it comes, and
/// every wait for output or exit is bounded (failure on time-out, never a silent pass).
/// </summary>
public sealed class LiveProcess : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly MemoryStream _stdout = new(), _stderr = new();
    private readonly Task _pumps;
    private readonly Task _stdoutPump;

    private LiveProcess(Process process)
    {
        _process = process;
        _stdoutPump = Pump(process.StandardOutput.BaseStream, _stdout);
        _pumps = Task.WhenAll(_stdoutPump, Pump(process.StandardError.BaseStream, _stderr));
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public Stream Stdin => _process.StandardInput.BaseStream;

    public static LiveProcess Start(string program, params string[] args) => Start(program, args, environment: null);

    /// <summary>Starts a program with variables added to (or, set to null, removed from) its environment.</summary>
    public static LiveProcess Start(string program, string[] args, IReadOnlyDictionary<string, string?>? environment)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) psi.Environment[name] = value;
        return new LiveProcess(Process.Start(psi)!);
    }

    public static LiveProcess SharpCat(params string[] args) => Start(Binaries.SharpCat, args);

    public byte[] Stdout { get { lock (_stdout) return _stdout.ToArray(); } }

    public string StderrText { get { lock (_stderr) return Encoding.UTF8.GetString(_stderr.ToArray()); } }

    public Task WaitForStdoutAsync(Func<byte[], bool> condition) => WaitAsync(() => condition(Stdout), "stdout");

    /// <summary>Waits until the program closes its stdout (EOF seen), while it may still be running.</summary>
    public Task WaitForStdoutClosedAsync() => _stdoutPump.WaitAsync(Bound);

    public Task WaitForStderrAsync(string text) => WaitAsync(() => StderrText.Contains(text), $"stderr to contain \"{text}\"");

    public Task WaitForStderrAsync(Func<string, bool> condition, string what) => WaitAsync(() => condition(StderrText), what);

    private async Task WaitAsync(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited && !condition())
            {
                await _pumps.WaitAsync(Bound);
                if (condition()) return;
                throw new InvalidOperationException($"process exited ({_process.ExitCode}) before {what}; stderr:\n{StderrText}");
            }
            if (sw.Elapsed > Bound) throw new TimeoutException($"no {what} within {Bound.TotalSeconds} s; stderr:\n{StderrText}");
            await Task.Delay(10);
        }
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Bound);
        await _process.WaitForExitAsync(cts.Token);
        await _pumps.WaitAsync(Bound);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private static async Task Pump(Stream from, MemoryStream to)
    {
        byte[] buffer = new byte[65536];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
            lock (to) to.Write(buffer, 0, n);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
