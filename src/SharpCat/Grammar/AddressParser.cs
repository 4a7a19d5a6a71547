using System.Text;

namespace SharpCat.Grammar;

/// <summary>
/// Turns address text into an <see cref="EndpointSpec"/> the way socat's lexer reads it:
/// <c>!!</c> splits a dual address, <c>:</c> separates parameters, <c>,</c> options and <c>=</c>
/// an option's value. <c>"…"</c> and <c>'…'</c> quote (the quotes are dropped), <c>\</c> escapes
/// the next character, inside quotes too (<c>\n</c>, <c>\t</c>, <c>\r</c> and C's other letters
/// stand for control characters, as in socat), and <c>[…]</c>, <c>{…}</c>, <c>(…)</c> nest (kept, with the separators
/// inside them taken literally). Unlike socat, an opening bracket that is never closed is an error.
/// </summary>
internal static class AddressParser
{
    private const string Openers = "[{(";
    private const string Closers = "]})";

    /// <summary>Parses one command-line address.</summary>
    /// <exception cref="SharpCatException">The text is malformed.</exception>
    public static EndpointSpec Parse(string text)
    {
        var halves = Split(text, text, "!!", keepQuotes: true);
        if (halves.Count > 2) throw new SharpCatException($"address {Diagnostics.Shown.Token(text, 200)}: \"!!\" may appear only once, between a reading and a writing address");
        if (halves.Count == 2)
        {
            if (halves[0].Length == 0 || halves[1].Length == 0)
                throw new SharpCatException($"address {Diagnostics.Shown.Token(text, 200)}: \"!!\" needs an address on each side");
            return new EndpointSpec(ParseSingle(halves[0]), ParseSingle(halves[1]));
        }
        return new EndpointSpec(ParseSingle(text));
    }

    /// <summary>Parses a single address (no <c>!!</c>).</summary>
    public static AddressSpec ParseSingle(string text)
    {
        if (text.Length == 0) throw new SharpCatException("empty address");
        // The head is everything up to the first ',' outside quotes and brackets.
        var sections = Split(text, text, ",", keepQuotes: true);
        var headPieces = Split(sections[0], text, ":", keepQuotes: false);
        var options = new List<AddressOption>();
        foreach (string raw in sections.Skip(1))
        {
            if (raw.Length == 0) continue; // socat accepts empty options ("-,,")
            var nameValue = SplitOnce(raw, text, '=');
            string name = Unquote(nameValue.Name, text);
            if (name.Length == 0) throw new SharpCatException($"address {Diagnostics.Shown.Token(text, 200)}: option without a name");
            options.Add(new AddressOption(name, nameValue.Value is null ? null : Unquote(nameValue.Value, text)));
        }
        string keyword = headPieces[0];
        var parameters = headPieces.Skip(1).ToList();
        // Shortcuts: "-" is STDIO, a number is FD:n, a path is GOPEN:path.
        if (keyword == "-" && parameters.Count == 0) return new AddressSpec("STDIO", parameters, options, text);
        if (Catalog.AddressCatalog.Find(keyword) is null)
        {
            // As in socat, only a single digit is an fd shortcut ("10" is an unknown address).
            if (keyword.Length == 1 && char.IsAsciiDigit(keyword[0]))
                return new AddressSpec("FD", [keyword, .. parameters], options, text);
            if (keyword.Contains('/'))
                return new AddressSpec("GOPEN", [keyword, .. parameters], options, text);
        }
        return new AddressSpec(keyword, parameters, options, text);
    }

    /// <summary>
    /// Splits at a separator found outside quotes, escapes and brackets. With keepQuotes the
    /// pieces keep their quoting for a later pass; without it they come back unquoted.
    /// </summary>
    internal static List<string> Split(string s, string whole, string? separator, bool keepQuotes)
    {
        var pieces = new List<string>();
        var current = new StringBuilder();
        var nesting = new Stack<char>();
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\')
            {
                if (i + 1 >= s.Length) throw new SharpCatException($"address {Diagnostics.Shown.Token(whole, 200)}: '\\' at the end of the address escapes nothing");
                if (keepQuotes) current.Append(c).Append(s[++i]);
                else current.Append(Unescape(s[++i]));
                continue;
            }
            if (c is '"' or '\'')
            {
                int end = FindQuoteEnd(s, i, whole);
                if (keepQuotes) current.Append(s, i, end - i + 1);
                else AppendQuoted(current, s, i + 1, end);
                i = end;
                continue;
            }
            int open = Openers.IndexOf(c);
            if (open >= 0) nesting.Push(Closers[open]);
            else if (nesting.Count > 0 && c == nesting.Peek()) nesting.Pop();
            else if (separator is not null && nesting.Count == 0 && string.CompareOrdinal(s, i, separator, 0, separator.Length) == 0)
            {
                pieces.Add(current.ToString());
                current.Clear();
                i += separator.Length - 1;
                continue;
            }
            current.Append(c);
        }
        if (nesting.Count > 0)
            throw new SharpCatException($"address {Diagnostics.Shown.Token(whole, 200)}: missing '{nesting.Peek()}' to close a bracket");
        pieces.Add(current.ToString());
        return pieces;
    }

    private static int FindQuoteEnd(string s, int start, string whole)
    {
        char q = s[start];
        for (int j = start + 1; j < s.Length; j++)
        {
            if (s[j] == '\\') { j++; continue; }
            if (s[j] == q) return j;
        }
        throw new SharpCatException($"address {Diagnostics.Shown.Token(whole, 200)}: missing closing {q} quote (unexpected end of the address)");
    }

    private static void AppendQuoted(StringBuilder sb, string s, int from, int to)
    {
        for (int j = from; j < to; j++)
        {
            if (s[j] == '\\' && j + 1 < to) sb.Append(Unescape(s[++j]));
            else sb.Append(s[j]);
        }
    }

    /// <summary>socat's backslash sequences: C's control-character letters and \0; any other character stands for itself.</summary>
    private static char Unescape(char c) => c switch
    {
        'a' => '\a', 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', 'v' => '\v', '0' => '\0',
        _ => c,
    };

    private static (string Name, string? Value) SplitOnce(string raw, string whole, char sep)
    {
        var parts = Split(raw, whole, sep.ToString(), keepQuotes: true);
        return parts.Count == 1 ? (parts[0], null) : (parts[0], raw[(parts[0].Length + 1)..]);
    }

    private static string Unquote(string s, string whole) => Split(s, whole, separator: null, keepQuotes: false)[0];
}
