using System.Text;

namespace SharpCat.Endpoints;

/// <summary>
/// The second parse socat gives an EXEC command line, after the address parser's: words are
/// separated by single spaces (further spaces are skipped, a trailing space adds an empty word,
/// a leading one makes an empty program name; a tab is no separator), <c>'…'</c> and <c>"…"</c>
/// group and are removed, brackets group and are kept, and backslash escapes work as in addresses.
/// </summary>
internal static class CommandLineSplitter
{
    public static List<string> Split(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var brackets = new Stack<char>();
        char quote = '\0';
        for (int i = 0; i < commandLine.Length; i++)
        {
            char c = commandLine[i];
            if (c == '\\' && i + 1 < commandLine.Length)
            {
                char e = commandLine[++i];
                if (e == '0') break; // \0 ends the string, as in socat
                word.Append(e switch { 'a' => '\a', 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', 'v' => '\v', _ => e });
                continue;
            }
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
                continue;
            }
            if (c is '\'' or '"' && brackets.Count == 0) { quote = c; continue; }
            if (c is '[' or '(' or '{') brackets.Push(c switch { '[' => ']', '(' => ')', _ => '}' });
            else if (brackets.Count > 0 && c == brackets.Peek()) brackets.Pop();
            if (c == ' ' && brackets.Count == 0)
            {
                words.Add(word.ToString());
                word.Clear();
                while (i + 1 < commandLine.Length && commandLine[i + 1] == ' ') i++;
                continue;
            }
            word.Append(c);
        }
        words.Add(word.ToString());
        return words;
    }
}
