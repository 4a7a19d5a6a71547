using System.Globalization;
using SharpCat.Native;

namespace SharpCat.Catalog;

/// <summary>One option as given on an address, checked against the catalog and with its value parsed.</summary>
/// <param name="Def">The catalog entry.</param>
/// <param name="Spelling">The name as the user wrote it (for messages).</param>
/// <param name="Value">The parsed value: bool, long, ulong, uint (mode/uid/gid), double (seconds), string, or long[] for compound types.</param>
internal sealed record ResolvedOption(OptionDef Def, string Spelling, object? Value);

/// <summary>
/// Parses option values the way socat documents them (numbers in C notation: <c>010</c> is octal,
/// <c>0x50</c> hex), but strictly: a value out of range for its field or with trailing garbage is
/// an error naming the token (DESIGN.md §4b).
/// </summary>
internal static class OptionValueParser
{
    public static object? Parse(OptionDef def, string spelling, string? value)
    {
        object? parsed = ParseByType(def, spelling, value);
        if (parsed is long n && OptionRanges.TryGet(def.Name, out var range) && (n < range.Min || n > range.Max))
            throw Bad(spelling, value ?? n.ToString(CultureInfo.InvariantCulture), $"out of range {range.Min}..{range.Max}");
        if (def.Name == "umask" && parsed is uint mask && mask > OptionRanges.UmaskMax)
            throw Bad(spelling, value!, "umask out of range 0..0777");
        // Only a version goes into PROXY's request line (socat sends any text, a CR LF too).
        if (def.Name == "http-version" && parsed is string version && !IsHttpVersion(version))
            throw Bad(spelling, version, "an HTTP version such as 1.0 or 1.1");
        // The name server is checked before anything opens (socat looks a name up there too; this build wants an address).
        if (def.Name == "res-nsaddr" && parsed is string server) Endpoints.NameLookup.ParseNameServer(spelling, server);
        // The kernel's struct winsize holds 16-bit sizes (socat 1.8.1 warns and clamps; here it is an error).
        if (def.Name == "tiocswinsz" && parsed is long[] size && size.Any(n => n is < 0 or > ushort.MaxValue))
            throw Bad(spelling, value!, "columns and rows are 0 to 65535");
        if (def.Name is "ispeed" or "ospeed" && parsed is long speed) Endpoints.TermiosOptions.SpeedValue(spelling, speed);
        return parsed;
    }

    private static bool IsHttpVersion(string v) =>
        v.Length is > 0 and <= 8 && char.IsAsciiDigit(v[0]) && char.IsAsciiDigit(v[^1])
        && v.All(c => char.IsAsciiDigit(c) || c == '.') && v.Count(c => c == '.') <= 1;

    private static object? ParseByType(OptionDef def, string spelling, string? value)
    {
        switch (def.Type)
        {
            case OptionType.Const:
                if (value is not null) throw Bad(spelling, value, "this option takes no value");
                return true;
            case OptionType.Bool:
                return value is null ? true : ParseBool(spelling, value);
        }
        // socat takes a number given without a value as 1 ("reuseaddr", "nodelay", "keepalive").
        if (value is null && def.Type is OptionType.Int && (Endpoints.SocketOptions.IsSocketOption(def.Name) || def.Name == "children-shutup")) return 1L;
        // socat's STRING-NULL type takes none as null: bare "tcpwrap" means the default daemon name.
        if (value is null && def.Type is OptionType.StringNull) return null;
        if (value is null) throw new SharpCatException($"option \"{spelling}\" requires a value");
        return def.Type switch
        {
            OptionType.Int => ParseSigned(spelling, value, int.MinValue, int.MaxValue),
            OptionType.UnsignedInt => ParseUnsigned(spelling, value, uint.MaxValue),
            OptionType.UnsignedShort => ParseUnsigned(spelling, value, ushort.MaxValue),
            OptionType.Byte => ParseUnsigned(spelling, value, byte.MaxValue),
            OptionType.SizeT => ParseUnsigned(spelling, value, long.MaxValue),
            OptionType.OffT or OptionType.Off64T => ParseSigned(spelling, value, long.MinValue, long.MaxValue),
            OptionType.ModeT => ParseMode(spelling, value),
            OptionType.UidT => ParseId(spelling, value, Posix.LookupUser, "user"),
            OptionType.GidT => ParseId(spelling, value, Posix.LookupGroup, "group"),
            OptionType.StructTimeval or OptionType.StructTimespec => ParseSeconds(spelling, value),
            OptionType.Int_Int => ParseCompound(spelling, value, 2),
            OptionType.Int_Intp => ParseCompound(spelling, value, 2),
            OptionType.Int_Int_Int => ParseCompound(spelling, value, 3),
            OptionType.IntArray3 => ParseCompound(spelling, value, 3),
            OptionType.Int_Bin or OptionType.Int_String => ParseNumberAndData(spelling, value, def.Type == OptionType.Int_Bin),
            OptionType.Int_Int_Bin or OptionType.Int_Int_String => ParseLevelNameData(spelling, value, def.Type == OptionType.Int_Int_Bin),
            OptionType.StructLinger => ParseSigned(spelling, value, 0, int.MaxValue),
            OptionType.Bin => Dalan.Parse(spelling, value),
            _ => value,
        };
    }

    public static bool ParseBool(string spelling, string value) => value switch
    {
        // socat reads a BOOL as a number; like it, words such as "yes" are refused.
        "1" => true,
        "0" => false,
        _ => throw Bad(spelling, value, "expected a boolean (0 or 1)"),
    };

    /// <summary>Parses an integer in C notation (decimal, 0 octal, 0x hex) with an optional sign.</summary>
    public static bool TryParseC(string text, out long result)
    {
        result = 0;
        string s = text.Trim();
        bool negative = false;
        if (s.StartsWith('-') || s.StartsWith('+')) { negative = s[0] == '-'; s = s[1..]; }
        if (s.Length == 0) return false;
        ulong v = 0;
        bool ok;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            ok = s.Length > 2 && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v);
        else if (s.Length > 1 && s[0] == '0')
            ok = TryParseOctal(s.AsSpan(1), out v);
        else
            ok = ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok || v > (ulong)long.MaxValue + (negative ? 1UL : 0UL)) return false;
        result = negative ? (long)(0 - v) : (long)v;
        return true;
    }

    private static bool TryParseOctal(ReadOnlySpan<char> s, out ulong v)
    {
        v = 0;
        foreach (char c in s)
        {
            if (c < '0' || c > '7' || v > (ulong.MaxValue >> 3)) return false;
            v = v * 8 + (ulong)(c - '0');
        }
        return true;
    }

    public static long ParseSigned(string spelling, string value, long min, long max)
    {
        if (!TryParseC(value, out long v)) throw Bad(spelling, value, WhyNotANumber(value, "not a number"));
        if (v < min || v > max) throw Bad(spelling, value, $"out of range {min}..{max}");
        return v;
    }

    public static long ParseUnsigned(string spelling, string value, long max)
    {
        if (!TryParseC(value, out long v) || value.TrimStart().StartsWith('-')) throw Bad(spelling, value, WhyNotANumber(value, "not an unsigned number"));
        if (v > max) throw Bad(spelling, value, $"out of range 0..{max}");
        return v;
    }

    /// <summary>
    /// socat's two words for a number that is not one (scripts and its test.sh look for them):
    /// "missing numerical value" when it does not start with a digit, "trailing garbage" after one.
    /// </summary>
    private static string WhyNotANumber(string value, string otherwise)
    {
        string t = value.TrimStart();
        if (t.StartsWith('-') || t.StartsWith('+')) t = t[1..];
        if (t.Length == 0 || !char.IsAsciiDigit(t[0])) return "missing numerical value";
        bool hex = t.Length > 1 && t[0] == '0' && t[1] is 'x' or 'X';
        int digits = hex ? 2 : 0;
        while (digits < t.Length && (hex ? char.IsAsciiHexDigit(t[digits]) : char.IsAsciiDigit(t[digits]))) digits++;
        return digits < t.Length ? "trailing garbage after the number" : otherwise;
    }

    private static uint ParseMode(string spelling, string value)
    {
        // socat reads modes in octal, with or without the leading 0.
        if (!TryParseOctal(value.AsSpan(), out ulong v) || value.Length == 0) throw Bad(spelling, value, "expected an octal mode");
        if (v > 0xFFF) throw Bad(spelling, value, "mode out of range 0..07777");
        return (uint)v;
    }

    private static uint ParseId(string spelling, string value, Func<string, uint?> lookup, string what)
    {
        if (value.Length > 0 && char.IsAsciiDigit(value[0]))
            return (uint)ParseUnsigned(spelling, value, uint.MaxValue - 1);
        return lookup(value) ?? throw new SharpCatException($"option \"{spelling}\": unknown {what} \"{value}\"");
    }

    private static double ParseSeconds(string spelling, string value)
    {
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d) || d > 1e9)
            throw Bad(spelling, value, "expected seconds, e.g. 1.5");
        return d;
    }

    private static long[] ParseCompound(string spelling, string value, int count)
    {
        string[] parts = value.Split(':');
        if (parts.Length != count) throw Bad(spelling, value, $"expected {count} numbers separated by ':'");
        return parts.Select(p => ParseSigned(spelling, p, long.MinValue, long.MaxValue)).ToArray();
    }

    private static (long Number, byte[] Data) ParseNumberAndData(string spelling, string value, bool binary)
    {
        int colon = value.IndexOf(':');
        if (colon < 0) throw Bad(spelling, value, "expected number:data");
        long n = ParseSigned(spelling, value[..colon], long.MinValue, long.MaxValue);
        string rest = value[(colon + 1)..];
        return (n, binary ? Dalan.Parse(spelling, rest) : [.. Posix.Utf8(rest), 0]);
    }

    private static (long Level, long Name, byte[] Data) ParseLevelNameData(string spelling, string value, bool binary)
    {
        int colon = value.IndexOf(':');
        if (colon < 0) throw Bad(spelling, value, "expected level:name:data");
        var (name, data) = ParseNumberAndData(spelling, value[(colon + 1)..], binary);
        return (ParseSigned(spelling, value[..colon], int.MinValue, int.MaxValue), name, data);
    }

    private static SharpCatException Bad(string spelling, string value, string why) =>
        new($"option {Diagnostics.Shown.Token(spelling)}: invalid value {Diagnostics.Shown.Token(value)}: {why}");
}
