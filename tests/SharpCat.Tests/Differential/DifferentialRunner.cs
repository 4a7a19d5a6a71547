using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Differential;

/// <summary>How the two programs' stderr is compared.</summary>
public enum StderrCheck
{
    /// <summary>
    /// When socat writes nothing to stderr, sharpcat must write nothing either; otherwise stderr is
    /// not compared (error and log messages are worded differently on purpose).
    /// </summary>
    SilentParity,

    /// <summary>Not compared at all.</summary>
    Ignore,

    /// <summary>
    /// A -v/-x traffic dump: byte-identical after the timestamp in each header line is normalised.
    /// </summary>
    Dump,
}

/// <summary>One entry left in a run's directory: kind, permission bits and (for files) content.</summary>
public sealed record DirEntry(string Name, string Kind, UnixFileMode Mode, byte[]? Content)
{
    public override string ToString()
    {
        string mode = Convert.ToString((int)Mode, 8).PadLeft(4, '0');
        string content = Content is null ? "" : $" {Content.Length} bytes \"{Bytes.Escape(Content, 48)}\"";
        return $"{Kind} {mode} {Name}{content}";
    }
}

/// <summary>Both runs of one command line and what each left behind.</summary>
public sealed record DifferentialResult(
    string[] Args, RunResult Socat, RunResult Sharp, IReadOnlyList<DirEntry> SocatFiles, IReadOnlyList<DirEntry> SharpFiles);

/// <summary>
/// Runs the same command line through Debian's socat and through the published sharpcat, each in
/// its own fresh temp directory (also its working directory; <c>{dir}</c> in an argument is replaced
/// by it), with the same stdin bytes, and asserts that stdout, the exit status and the files left in
/// the directory (names, kinds, contents, permission modes) are the same. Both runs happen
/// concurrently; each is bounded by <see cref="Run.DefaultTimeout"/>. The umask is the test host's,
/// inherited by both.
/// </summary>
public static class DifferentialRunner
{
    public const string DirPlaceholder = "{dir}";

    public static async Task<DifferentialResult> CompareAsync(
        byte[] stdin, string[] args, Action<TempDir>? prepare = null, StderrCheck stderr = StderrCheck.SilentParity)
    {
        string socat = Binaries.Socat ?? throw new InvalidOperationException("socat is not installed");
        using var socatDir = new TempDir();
        using var sharpDir = new TempDir();
        prepare?.Invoke(socatDir);
        prepare?.Invoke(sharpDir);
        // Sanity: the prepare callback must be deterministic, or the comparison means nothing.
        var before = Snapshot(socatDir.Path);
        var beforeSharp = Snapshot(sharpDir.Path);
        string prepDiff = DescribeDirDifference(before, beforeSharp);
        if (prepDiff.Length > 0) throw new InvalidOperationException("prepare() made different directories:\n" + prepDiff);

        var socatRun = Run.ProgramAsync(socat, Expand(args, socatDir), stdin, Run.DefaultTimeout, socatDir.Path);
        var sharpRun = Run.ProgramAsync(Binaries.SharpCat, Expand(args, sharpDir), stdin, Run.DefaultTimeout, sharpDir.Path);
        await Task.WhenAll(socatRun, sharpRun);

        var result = new DifferentialResult(args, await socatRun, await sharpRun, Snapshot(socatDir.Path), Snapshot(sharpDir.Path));
        AssertSame(result, stderr);
        return result;
    }

    /// <summary>Collects every difference, then fails once with all of them and both runs' output.</summary>
    public static void AssertSame(DifferentialResult r, StderrCheck stderr)
    {
        var problems = new List<string>();
        if (r.Socat.ExitCode != r.Sharp.ExitCode)
            problems.Add($"exit status: socat {r.Socat.ExitCode}, sharpcat {r.Sharp.ExitCode}");
        if (!r.Socat.Stdout.AsSpan().SequenceEqual(r.Sharp.Stdout))
            problems.Add("stdout: " + Bytes.DescribeDifference(r.Socat.Stdout, r.Sharp.Stdout));
        switch (stderr)
        {
            case StderrCheck.SilentParity when r.Socat.Stderr.Length == 0 && r.Sharp.Stderr.Length != 0:
                problems.Add("stderr: socat wrote nothing, sharpcat wrote something");
                break;
            case StderrCheck.Dump:
                byte[] a = NormaliseDump(r.Socat.Stderr), b = NormaliseDump(r.Sharp.Stderr);
                if (!a.AsSpan().SequenceEqual(b))
                    problems.Add("stderr dump (timestamps normalised): " + Bytes.DescribeDifference(a, b));
                break;
        }
        string dirDiff = DescribeDirDifference(r.SocatFiles, r.SharpFiles);
        if (dirDiff.Length > 0) problems.Add("files left in the directory differ:\n" + dirDiff);
        if (problems.Count == 0) return;

        var sb = new StringBuilder();
        sb.Append("socat and sharpcat differ for: ").AppendLine(string.Join(' ', r.Args.Select(Quote)));
        foreach (string p in problems) sb.Append(" * ").AppendLine(p);
        sb.AppendLine($"--- socat: exit {r.Socat.ExitCode}, stdout {r.Socat.Stdout.Length} bytes, stderr:");
        sb.AppendLine(Bytes.Escape(r.Socat.Stderr, 2000, keepNewlines: true));
        sb.AppendLine($"--- sharpcat: exit {r.Sharp.ExitCode}, stdout {r.Sharp.Stdout.Length} bytes, stderr:");
        sb.AppendLine(Bytes.Escape(r.Sharp.Stderr, 2000, keepNewlines: true));
        sb.AppendLine("--- socat's directory:");
        foreach (var e in r.SocatFiles) sb.Append("    ").AppendLine(e.ToString());
        sb.AppendLine("--- sharpcat's directory:");
        foreach (var e in r.SharpFiles) sb.Append("    ").AppendLine(e.ToString());
        Assert.Fail(sb.ToString());
    }

    // The header of a -v/-x chunk: "> 2026/11/26 07:04:03.000312013  length=5 from=0 to=4". It can
    // follow a chunk that did not end in a newline, so it is not anchored at a line start.
    private static readonly Regex DumpTimestamp =
        new(@"([<>]) \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{9}  length=", RegexOptions.CultureInvariant);

    /// <summary>Replaces the timestamp of every dump header with a fixed text; other bytes stay as they are.</summary>
    public static byte[] NormaliseDump(byte[] stderr)
    {
        // Latin-1 maps every byte to one char and back, so binary dump content survives the regex.
        string s = Encoding.Latin1.GetString(stderr);
        return Encoding.Latin1.GetBytes(DumpTimestamp.Replace(s, "$1 YYYY/MM/DD hh:mm:ss.fffffffff  length="));
    }

    private static string[] Expand(string[] args, TempDir dir) =>
        args.Select(a => a.Replace(DirPlaceholder, dir.Path)).ToArray();

    private static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_/.:,={}+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>Every entry under <paramref name="root"/> (recursively, symlinks not followed), sorted by path.</summary>
    public static IReadOnlyList<DirEntry> Snapshot(string root)
    {
        var list = new List<DirEntry>();
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, ReturnSpecialDirectories = false }))
        {
            string name = Path.GetRelativePath(root, path);
            uint mode = FileStat.LstatMode(path);
            string kind = (mode & FileStat.S_IFMT) switch
            {
                FileStat.S_IFREG => "file",
                FileStat.S_IFDIR => "dir",
                FileStat.S_IFIFO => "fifo",
                FileStat.S_IFLNK => "symlink",
                FileStat.S_IFSOCK => "socket",
                _ => "other",
            };
            byte[]? content = kind == "file" ? File.ReadAllBytes(path) : null;
            list.Add(new DirEntry(name, kind, (UnixFileMode)(mode & 0xfff), content));
        }
        return list.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public static string DescribeDirDifference(IReadOnlyList<DirEntry> socat, IReadOnlyList<DirEntry> sharp)
    {
        var sb = new StringBuilder();
        var a = socat.ToDictionary(e => e.Name);
        var b = sharp.ToDictionary(e => e.Name);
        foreach (string name in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            a.TryGetValue(name, out var x);
            b.TryGetValue(name, out var y);
            if (x is null) { sb.AppendLine($"    only sharpcat left {y}"); continue; }
            if (y is null) { sb.AppendLine($"    only socat left {x}"); continue; }
            if (x.Kind != y.Kind) sb.AppendLine($"    {name}: kind socat {x.Kind}, sharpcat {y.Kind}");
            if (x.Mode != y.Mode)
                sb.AppendLine($"    {name}: mode socat {Convert.ToString((int)x.Mode, 8)}, sharpcat {Convert.ToString((int)y.Mode, 8)}");
            if (x.Content is not null && y.Content is not null && !x.Content.AsSpan().SequenceEqual(y.Content))
                sb.AppendLine($"    {name}: content {Bytes.DescribeDifference(x.Content, y.Content)}");
        }
        return sb.ToString();
    }
}

/// <summary>Readable renderings of byte arrays for failure messages.</summary>
public static class Bytes
{
    public static string Escape(ReadOnlySpan<byte> data, int max, bool keepNewlines = false)
    {
        var sb = new StringBuilder();
        foreach (byte c in data[..Math.Min(data.Length, max)])
        {
            switch (c)
            {
                case (byte)'\n': sb.Append(keepNewlines ? "\n" : "\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case >= 0x20 and < 0x7f: sb.Append((char)c); break;
                default: sb.Append($"\\x{c:x2}"); break;
            }
        }
        if (data.Length > max) sb.Append($"...(+{data.Length - max} bytes)");
        return sb.ToString();
    }

    /// <summary>"lengths, first differing offset and both sides around it" for two unequal arrays.</summary>
    public static string DescribeDifference(byte[] socat, byte[] sharp)
    {
        int i = 0;
        while (i < socat.Length && i < sharp.Length && socat[i] == sharp[i]) i++;
        int from = Math.Max(0, i - 16);
        string Around(byte[] d) => from >= d.Length ? "(end)" : "\"" + Escape(d.AsSpan(from), 64) + "\"";
        string hash(byte[] d) => Convert.ToHexString(SHA256.HashData(d))[..12].ToLowerInvariant();
        return $"socat {socat.Length} bytes (sha256 {hash(socat)}), sharpcat {sharp.Length} bytes (sha256 {hash(sharp)}); " +
               $"first difference at offset {i}; from offset {from}: socat {Around(socat)}, sharpcat {Around(sharp)}";
    }
}

/// <summary>lstat(2) file type and permission bits, and mkfifo(3), which the BCL does not expose.</summary>
public static unsafe partial class FileStat
{
    public const uint S_IFMT = 0xf000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFLNK = 0xa000, S_IFSOCK = 0xc000;

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Lstat(string path, byte* buf);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifoNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ChmodNative(string path, uint mode);

    public static uint LstatMode(string path)
    {
        // struct stat: st_mode is at offset 24 on x86_64 (after st_dev, st_ino, st_nlink as 8-byte
        // fields) and at offset 16 on the generic layout used by arm64 (st_nlink follows st_mode).
        byte* buf = stackalloc byte[256];
        if (Lstat(path, buf) != 0) throw new IOException($"lstat({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        return *(uint*)(buf + offset);
    }

    /// <summary>Creates a fifo and sets its mode exactly (independent of the umask).</summary>
    public static void MkFifo(string path, uint mode)
    {
        if (MkFifoNative(path, mode) != 0) throw new IOException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        if (ChmodNative(path, mode) != 0) throw new IOException($"chmod({path}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}

/// <summary>A [Fact] that is skipped when socat is not installed.</summary>
public sealed class SocatFactAttribute : FactAttribute
{
    public SocatFactAttribute()
    {
        if (Binaries.Socat is null) Skip = "socat is not installed";
    }
}

/// <summary>A [Theory] that is skipped when socat is not installed.</summary>
public sealed class SocatTheoryAttribute : TheoryAttribute
{
    public SocatTheoryAttribute()
    {
        if (Binaries.Socat is null) Skip = "socat is not installed";
    }
}
