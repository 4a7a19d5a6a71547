using System.Buffers;
using System.Text;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// The head of an HTTP/1.1 request or answer as the opening handshake reads it: the first line and
/// the header fields, and the bytes that came after the blank line (the first frames).
/// </summary>
internal sealed class HttpHead
{
    /// <summary>The longest head read: a larger one is refused rather than buffered.</summary>
    public const int MaxLength = 16 * 1024;

    private readonly List<(string Name, string Value)> _fields;

    private HttpHead(string firstLine, List<(string, string)> fields, byte[] after)
    {
        FirstLine = firstLine;
        _fields = fields;
        After = after;
    }

    /// <summary>The request line or the status line.</summary>
    public string FirstLine { get; }

    /// <summary>What followed the head in the same reads.</summary>
    public byte[] After { get; }

    /// <summary>A field's values joined with commas (RFC 9110 §5.3), or null when absent.</summary>
    public string? Field(string name)
    {
        string? joined = null;
        foreach (var (n, v) in _fields)
            if (n.Equals(name, StringComparison.OrdinalIgnoreCase)) joined = joined is null ? v : joined + ", " + v;
        return joined;
    }

    /// <summary>True when a field's comma-separated list holds <paramref name="token"/> (case-insensitively).</summary>
    public bool FieldHas(string name, string token) =>
        Field(name) is { } value && value.Split(',').Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>The items of a comma-separated field, in order.</summary>
    public string[] FieldList(string name) =>
        Field(name) is { } value ? value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>The result of reading a head: one, or why there is none.</summary>
    public enum Outcome { Read, Closed, TooLarge, Malformed }

    /// <summary>Reads up to the blank line that ends the head; nothing past <see cref="MaxLength"/> is buffered.</summary>
    public static async ValueTask<(Outcome, HttpHead?)> ReadAsync(IChannel channel, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxLength);
        try
        {
            int length = 0;
            while (true)
            {
                if (length == MaxLength) return (Outcome.TooLarge, null);
                int n = await channel.ReadAsync(buffer.AsMemory(length, MaxLength - length), ct).ConfigureAwait(false);
                if (n == 0) return (Outcome.Closed, null);
                int from = Math.Max(0, length - 3);
                length += n;
                int end = buffer.AsSpan(from, length - from).IndexOf("\r\n\r\n"u8);
                if (end < 0) continue;
                end += from;
                var head = Parse(buffer.AsSpan(0, end));
                if (head is null) return (Outcome.Malformed, null);
                return (Outcome.Read, new HttpHead(head.Value.FirstLine, head.Value.Fields, buffer.AsSpan(end + 4, length - end - 4).ToArray()));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (string FirstLine, List<(string, string)> Fields)? Parse(ReadOnlySpan<byte> head)
    {
        // Latin-1: every byte is one character, so a stray high byte cannot hide a separator.
        string[] lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var fields = new List<(string, string)>(lines.Length);
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':');
            // Obsolete line folding (a line starting with white space) is refused, as RFC 9112 §5.2 allows.
            if (colon <= 0 || line[0] is ' ' or '\t' || !WebSocketSettings.IsToken(line[..colon])) return null;
            fields.Add((line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        return (lines[0], fields);
    }

    /// <summary>A short, printable form of a line for an error message.</summary>
    public static string Shown(string line) =>
        new(line.Take(120).Select(c => c is >= ' ' and < (char)0x7F ? c : '?').ToArray());
}
