namespace SharpCat.Faults;

/// <summary>
/// The draws that decide which connections get a fault: SplitMix64 over a seed and what names the
/// draw, so that the same seed and the same connections give the same faults in every run and on
/// every machine (System.Random with an int seed is stable too; string hashes are not, hence FNV).
/// </summary>
internal static class FaultDraws
{
    /// <summary>A generator's seed from the fault seed and the draw's coordinates.</summary>
    public static int Mix(ulong seed, long a, long b = 0)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)a + 0xD1B54A32D192ED03UL * (ulong)b;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>FNV-1a of a fault's name: the same in every process.</summary>
    public static long NameHash(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in name) h = (h ^ c) * 1099511628211UL;
        return (long)h;
    }
}
