using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Native;

/// <summary>
/// Whether the dynamic loader would find a shared library, without loading it: for <c>-V</c>,
/// where loading libwrap.so.0 and the ten libraries it needs cost more than the rest of the
/// start-up. Looks where ld.so looks (LD_LIBRARY_PATH's directories, then the names
/// /etc/ld.so.cache maps to files) for an ELF object of this machine. The library is loaded, and
/// every symbol checked, when a feature first uses it.
/// </summary>
internal static class SharedLibraryProbe
{
    private const string Cache = "/etc/ld.so.cache";

    /// <summary>True when <paramref name="soname"/> resolves to an ELF file of this process's class and machine.</summary>
    public static bool CanFind(string soname) => CanFind(soname, Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"));

    /// <summary>As <see cref="CanFind(string)"/>, with <paramref name="libraryPath"/> in LD_LIBRARY_PATH's place.</summary>
    public static bool CanFind(string soname, string? libraryPath)
    {
        foreach (var dir in (libraryPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (IsElfForThisMachine(Path.Combine(dir, soname))) return true;
        foreach (var path in CachedPaths(soname))
            if (IsElfForThisMachine(path)) return true;
        return false;
    }

    // The cache's string table holds each soname and the full path it maps to, NUL-terminated:
    // a path is a string that ends in "/" + soname. (Reading its entries would need its layout,
    // which changed between glibc versions; the strings did not.)
    private static IEnumerable<string> CachedPaths(string soname)
    {
        byte[] cache;
        try
        {
            cache = File.ReadAllBytes(Cache);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        byte[] tail = Encoding.ASCII.GetBytes("/" + soname + "\0");
        int from = 0;
        while (from < cache.Length)
        {
            int at = cache.AsSpan(from).IndexOf(tail);
            if (at < 0) yield break;
            at += from;
            int start = cache.AsSpan(0, at).LastIndexOf((byte)0) + 1;
            yield return Encoding.ASCII.GetString(cache, start, at + tail.Length - 1 - start);
            from = at + tail.Length;
        }
    }

    private static bool IsElfForThisMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        try
        {
            using var file = File.OpenHandle(path);
            if (RandomAccess.Read(file, header, 0) < header.Length) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // "\x7fELF", the class (2: 64-bit) and the machine (e_machine, little-endian, at 18).
        return header[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F'])
            && header[4] == (Environment.Is64BitProcess ? 2 : 1)
            && BitConverter.ToUInt16(header[18..]) == Machine;
    }

    private static ushort Machine => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 62,
        Architecture.Arm64 => 183,
        Architecture.X86 => 3,
        Architecture.Arm => 40,
        Architecture.RiscV64 => 243,
        Architecture.LoongArch64 => 258,
        Architecture.S390x => 22,
        Architecture.Ppc64le => 21,
        _ => 0,
    };
}
