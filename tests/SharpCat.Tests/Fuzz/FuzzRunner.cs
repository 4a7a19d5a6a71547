using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;

namespace SharpCat.Tests.Fuzz;

/// <summary>What a fuzz run did: inputs, time, how far inputs got, and the failures.</summary>
internal sealed record FuzzReport(string Name, ulong Seed, long Inputs, TimeSpan Elapsed, long[] Stages, IReadOnlyList<string> Failures)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Name}: {Inputs} inputs in {Elapsed.TotalSeconds:F1} s ({Inputs / Math.Max(Elapsed.TotalSeconds, 0.001):F0}/s), seed 0x{Seed:x}, {Failures.Count} failures; reached:");
        for (int i = 0; i < Stages.Length; i++)
            sb.Append(CultureInfo.InvariantCulture, $" {(ParsePath.Stage)i}={Stages[i]}");
        return sb.ToString();
    }
}

/// <summary>
/// Runs a CsCheck generator against a target, deterministically: input <c>i</c> of a run is
/// generated from <c>hash(seed, i)</c>, so a seed and a count give the same inputs every time and a
/// failure names the seed, the index and the input itself. A target that throws anything is a
/// failure (the target catches the expected <see cref="SharpCatException"/> itself); one that takes
/// over <see cref="SlowLimit"/> twice in a row is a failure; one that has not returned after
/// <see cref="HangLimit"/> is reported as a hang while the run ends without it.
/// </summary>
internal static class FuzzRunner
{
    /// <summary>The suite's fixed seed; <c>SHARPCAT_FUZZ_SEED</c> (decimal, 0x-hex or <c>random</c>) overrides it.</summary>
    public const ulong DefaultSeed = 0x5ca7_f022;

    public static readonly TimeSpan SlowLimit = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);
    private const int MaxFailures = 20;

    /// <summary><c>SHARPCAT_FUZZ_INPUTS</c>, or the suite's bounded count.</summary>
    public static long Inputs(long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable("SHARPCAT_FUZZ_INPUTS"), out long n) && n > 0 ? n : fallback;

    /// <summary><c>SHARPCAT_FUZZ_THREADS</c>, default 1 (the suite shares 2 cores with other tests).</summary>
    public static int Threads =>
        int.TryParse(Environment.GetEnvironmentVariable("SHARPCAT_FUZZ_THREADS"), out int n) && n > 0 ? n : 1;

    public static ulong Seed
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("SHARPCAT_FUZZ_SEED");
            if (string.IsNullOrEmpty(s)) return DefaultSeed;
            if (s == "random") return (ulong)Random.Shared.NextInt64();
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return ulong.Parse(s, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Input <paramref name="index"/> of the run with <paramref name="seed"/>.</summary>
    public static T Generate<T>(Gen<T> gen, ulong seed, long index)
    {
        ulong mixed = SplitMix(seed ^ SplitMix((ulong)index));
        return gen.Generate(new PCG((uint)(mixed >> 48) | 1u, mixed), null, out _);
    }

    public static FuzzReport Run<T>(string name, Gen<T> gen, Func<T, ParsePath.Stage> target, Func<T, string> show, long count, ulong seed, int threads)
    {
        var failures = new ConcurrentQueue<string>();
        var stages = new long[Enum.GetValues<ParsePath.Stage>().Length];
        long[] startedAt = new long[threads];       // Stopwatch timestamp of the running input, 0 when idle
        long[] runningIndex = new long[threads];
        long hangs = 0;
        var clock = Stopwatch.StartNew();

        void Fail(long index, T input, string what) =>
            failures.Enqueue($"{name} seed 0x{seed:x} input #{index}: {what}\n  input: {show(input)}");

        void Worker(int t)
        {
            for (long i = t; i < count && failures.Count < MaxFailures; i += threads)
            {
                T input = Generate(gen, seed, i);
                Volatile.Write(ref runningIndex[t], i);
                long start = Stopwatch.GetTimestamp();
                Volatile.Write(ref startedAt[t], start);
                try
                {
                    var stage = target(input);
                    Interlocked.Increment(ref stages[(int)stage]);
                    if (Stopwatch.GetElapsedTime(start) > SlowLimit)
                    {
                        // Once more on its own: a loaded machine can stall one call.
                        long again = Stopwatch.GetTimestamp();
                        target(input);
                        if (Stopwatch.GetElapsedTime(again) > SlowLimit)
                            Fail(i, input, $"took {Stopwatch.GetElapsedTime(again).TotalSeconds:F1} s (limit {SlowLimit.TotalSeconds} s)");
                    }
                }
                catch (Exception e)
                {
                    Fail(i, input, $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
                }
                Volatile.Write(ref startedAt[t], 0);
            }
        }

        var workers = Enumerable.Range(0, threads).Select(t =>
        {
            var th = new Thread(() => Worker(t)) { IsBackground = true, Name = $"fuzz {name} {t}" };
            th.Start();
            return th;
        }).ToArray();

        // Watchdog: an input that never returns would otherwise hang the test run.
        while (!workers.All(w => w.Join(200)))
        {
            for (int t = 0; t < threads; t++)
            {
                long start = Volatile.Read(ref startedAt[t]);
                if (start != 0 && Stopwatch.GetElapsedTime(start) > HangLimit)
                {
                    long i = Volatile.Read(ref runningIndex[t]);
                    Fail(i, Generate(gen, seed, i), $"did not return within {HangLimit.TotalSeconds} s (hang)");
                    hangs++;
                }
            }
            if (hangs > 0) break;   // the hung thread is a background thread; the process ends it
        }
        return new FuzzReport(name, seed, stages.Sum(), clock.Elapsed, stages, failures.ToArray());
    }

    /// <summary>An input as a C# string literal, ready to paste into a test row.</summary>
    public static string Literal(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ' || c > '~') sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        string lit = sb.Append('"').ToString();
        return lit.Length > 2000 ? lit[..1000] + $"…(+{lit.Length - 2000} chars)…" + lit[^1000..] : lit;
    }

    public static string Literal(string[] args) => "[" + string.Join(", ", args.Select(Literal)) + "]";

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
