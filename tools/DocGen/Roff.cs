using System.Text;

namespace SharpCat.DocGen;

/// <summary>Turns plain text into man(7) input and collects the page line by line.</summary>
internal sealed class Roff
{
    private readonly StringBuilder _sb = new();

    /// <summary>
    /// Plain text as roff: a backslash is printed with \e, a hyphen-minus as \- (options and
    /// keywords must copy and paste as ASCII), and a line that would start with a control
    /// character gets the zero-width \&amp; in front.
    /// </summary>
    public static string Escape(string text)
    {
        string s = text.Replace("\\", @"\e").Replace("-", @"\-").Replace("'", @"\(aq");
        return s.StartsWith('.') || s.StartsWith('\'') ? @"\&" + s : s;
    }

    public Roff Macro(string macro, params string[] args)
    {
        _sb.Append('.').Append(macro);
        foreach (string a in args) _sb.Append(' ').Append(a.Contains(' ') ? $"\"{a}\"" : a);
        _sb.Append('\n');
        return this;
    }

    /// <summary>A line of roff that is already escaped (or written by hand).</summary>
    public Roff Raw(string line)
    {
        _sb.Append(line);
        if (!line.EndsWith('\n')) _sb.Append('\n');
        return this;
    }

    public Roff Text(string plain) => Raw(Escape(plain));

    public override string ToString() => _sb.ToString();
}
