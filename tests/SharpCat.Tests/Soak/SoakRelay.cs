using Xunit.Abstractions;
using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Soak;

/// <summary>
/// How big a soak run is: the short form runs in ./test.sh; <c>SHARPCAT_SOAK=long</c> runs the
/// long form (docs/RELIABILITY.md). <c>SHARPCAT_SOAK_SEED</c> replays a run; every failure names
/// the seed and the connection.
/// </summary>
public static class SoakSettings
{
    public static bool Long { get; } = Environment.GetEnvironmentVariable("SHARPCAT_SOAK") == "long";

    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("SHARPCAT_SOAK_SEED"), out int s) ? s : 20261202;

    /// <summary>The short form's figure, or the long form's.</summary>
    public static int Pick(int shortForm, int longForm) => Long ? longForm : shortForm;

    /// <summary>Where the figures of a run go: the test output, and a file for the record (docs/RELIABILITY.md).</summary>
    public static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        string? file = Environment.GetEnvironmentVariable("SHARPCAT_SOAK_REPORT");
        if (!string.IsNullOrEmpty(file)) lock (typeof(SoakSettings)) File.AppendAllText(file, line + "\n");
    }
}

/// <summary>A fork relay under soak: its port, and what it holds (descriptors, memory, children) read from /proc.</summary>
public sealed class SoakRelay : IDisposable
{
    private SoakRelay(LiveProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public LiveProcess Process { get; }

    public int Port { get; }

    /// <summary>
    /// <c>sharpcat [globals] TCP-LISTEN:port,fork right</c> on 127.0.0.1, logging warnings only
    /// (a notice per connection would be megabytes here): ready once the kernel lists its port as
    /// listening (a probe connection would be relayed, and count as a client of the test's server).
    /// </summary>
    public static Task<SoakRelay> StartAsync(string right, params string[] globals) => StartAsync(right, null, globals);

    public static async Task<SoakRelay> StartAsync(string right, IReadOnlyDictionary<string, string?>? environment, params string[] globals)
    {
        int port = FreePorts.Next();
        var process = LiveProcess.Start(Binaries.SharpCat, [.. globals, "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", right], environment);
        string local = $"0100007F:{port:X4}";
        await Wait.UntilAsync(() => File.ReadLines("/proc/net/tcp").Any(l =>
        {
            var f = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return f.Length > 3 && f[1] == local && f[3] == "0A"; // TCP_LISTEN
        }), seconds: 20);
        return new SoakRelay(process, port);
    }

    public int Descriptors => Directory.GetFiles($"/proc/{Process.Pid}/fd").Length;

    /// <summary>Proportional set size in KiB (what the process costs the machine).</summary>
    public long PssKiB => Field($"/proc/{Process.Pid}/smaps_rollup", "Pss:");

    /// <summary>
    /// Memory no other process shares, in KiB: what the relay itself holds. Unlike PSS it does not
    /// move when other processes mapping the same binary start or end (the suite runs many).
    /// </summary>
    public long PrivateKiB => Field($"/proc/{Process.Pid}/smaps_rollup", "Private_Clean:") + Field($"/proc/{Process.Pid}/smaps_rollup", "Private_Dirty:");

    /// <summary>Resident set size in KiB.</summary>
    public long RssKiB => Field($"/proc/{Process.Pid}/status", "VmRSS:");

    /// <summary>The relay's child processes (none are left behind).</summary>
    public int Children => Directory.GetDirectories("/proc").Count(d =>
        int.TryParse(Path.GetFileName(d), out _) && ParentOf(d) == Process.Pid);

    public async Task<Socket> ConnectAsync()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await s.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(20));
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the relay holds at most <paramref name="start"/> descriptors again, give or take
    /// the splice pipes it keeps for reuse (at most 16, two descriptors each).
    /// </summary>
    public Task SettledAsync(int start, double seconds = 30) => Wait.UntilAsync(() => Descriptors <= start + PooledPipeDescriptors, seconds);

    /// <summary>What the pool of idle splice pipes may hold (Relay/SplicePipes.cs).</summary>
    public const int PooledPipeDescriptors = 2 * 16;

    public void Dispose() => Process.Dispose();

    private static long Field(string file, string name)
    {
        foreach (string line in File.ReadLines(file))
            if (line.StartsWith(name, StringComparison.Ordinal))
                return long.Parse(line[name.Length..].Trim().Split(' ')[0]);
        throw new InvalidOperationException($"{name} not in {file}");
    }

    private static int ParentOf(string procDir)
    {
        try
        {
            string stat = File.ReadAllText(Path.Combine(procDir, "stat"));
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return -1; } // gone meanwhile
    }
}
