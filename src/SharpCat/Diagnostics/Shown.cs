using System.Text;

namespace SharpCat.Diagnostics;

/// <summary>
/// A token from the command line as an error message quotes it: control characters escaped (a CR
/// or LF must not start a forged log line) and a long one cut, with its length said.
/// </summary>
internal static class Shown
{
    public static string Token(string text, int max = 40)
    {
        var b = new StringBuilder();
        foreach (char c in text.Length > max ? text[..max] : text) b.Append(Escape(c));
        if (text.Length > max) b.Append($"…\" ({text.Length} characters");
        return text.Length > max ? $"\"{b})" : $"\"{b}\"";
    }

    /// <summary>One character as C writes it in a string: <c>\r</c>, <c>\n</c>, <c>\0</c>, <c>\x1b</c>.</summary>
    public static string Escape(char c) => c switch
    {
        '\r' => "\\r",
        '\n' => "\\n",
        '\t' => "\\t",
        '\0' => "\\0",
        '"' => "\\\"",
        < ' ' or '\x7f' => $"\\x{(int)c:x2}",
        _ => c.ToString(),
    };
}
