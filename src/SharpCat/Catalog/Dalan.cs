using System.Buffers.Binary;
using System.Globalization;

namespace SharpCat.Catalog;

/// <summary>
/// socat's "data" notation (its dalan): a sequence of items, each led by its type — <c>x</c> hex
/// bytes, <c>i</c>/<c>I</c> int, <c>l</c>/<c>L</c> long, <c>s</c>/<c>S</c> short, <c>b</c>/<c>B</c>
/// byte (numbers in host order), <c>"…"</c> a string, <c>'c'</c> a character. An item without a
/// type takes the last type given, at first the default (<c>i</c>): <c>512</c> is an int, and
/// <c>x7f000001x0000</c> is six bytes. Unlike socat, what does not parse is an error, not a stop.
/// </summary>
internal static class Dalan
{
    public static byte[] Parse(string spelling, string value, char defaultType = 'i')
    {
        var data = new List<byte>();
        char type = defaultType;
        int i = 0;
        while (i < value.Length)
        {
            char c = value[i];
            if (c is ' ' or '\t' or '\r' or '\n') { i++; continue; }
            if (IsType(c)) { type = c; i++; }
            i = Item(spelling, value, i, type, data);
        }
        return [.. data];
    }

    private static bool IsType(char c) => c is 'x' or 'i' or 'I' or 'l' or 'L' or 's' or 'S' or 'b' or 'B' or '"' or '\'';

    private static int Item(string spelling, string value, int i, char type, List<byte> data)
    {
        switch (type)
        {
            case 'x':
                int start = i;
                while (i < value.Length && char.IsAsciiHexDigit(value[i])) i++;
                if ((i - start) % 2 != 0) throw Bad(spelling, value, "odd number of hexadecimal digits");
                if (i == start && i < value.Length && !IsType(value[i])) throw Bad(spelling, value, $"not a hex digit: '{value[i]}'");
                data.AddRange(Convert.FromHexString(value.AsSpan(start, i - start)));
                return i;
            case '"':
                while (true)
                {
                    if (i >= value.Length) throw Bad(spelling, value, "unterminated string");
                    char c = value[i++];
                    if (c == '"') return i;
                    if (c == '\\') c = Escaped(spelling, value, ref i);
                    data.Add((byte)c);
                }
            case '\'':
                if (i >= value.Length) throw Bad(spelling, value, "unterminated character");
                char ch = value[i++];
                if (ch == '\\') ch = Escaped(spelling, value, ref i);
                if (i >= value.Length || value[i] != '\'') throw Bad(spelling, value, "error in character termination");
                data.Add((byte)ch);
                return i + 1;
            default:
                int end = i;
                if (end < value.Length && value[end] is '-' or '+') end++;
                while (end < value.Length && char.IsAsciiDigit(value[end])) end++;
                if (!long.TryParse(value.AsSpan(i, end - i), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                    throw Bad(spelling, value, $"expected a decimal number after '{type}'");
                Span<byte> bytes = stackalloc byte[8];
                int size = type switch { 'l' or 'L' => 8, 'i' or 'I' => 4, 's' or 'S' => 2, _ => 1 };
                BinaryPrimitives.WriteInt64LittleEndian(bytes, n); // host order: this is x86-64/arm64 Linux
                data.AddRange(bytes[..size]);
                return end;
        }
    }

    private static char Escaped(string spelling, string value, ref int i)
    {
        if (i >= value.Length) throw Bad(spelling, value, "unterminated escape");
        char c = value[i++];
        return c switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'f' => '\f', 'b' => '\b', 'a' => '\a', 'e' => '\x1b', '0' => '\0', _ => c };
    }

    private static SharpCatException Bad(string spelling, string value, string why) =>
        new($"option {Diagnostics.Shown.Token(spelling)}: invalid value {Diagnostics.Shown.Token(value)}: {why}");
}
