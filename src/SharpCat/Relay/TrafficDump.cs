using System.Text;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// The <c>-v</c> and <c>-x</c> dumps in socat's exact format: a header per chunk
/// (<c>&gt; 2026/11/26 07:04:03.000312013  length=5 from=0 to=4</c>, where socat prints the
/// microseconds zero-padded to nine digits), then the data as text, as hex, or both.
/// </summary>
internal sealed class TrafficDump(bool text, bool hex, int fd)
{
    private static readonly Lock Gate = new();

    public bool Enabled => text || hex;

    public void Write(char direction, ReadOnlySpan<byte> data, long from)
    {
        var sb = new StringBuilder(data.Length * (hex ? 4 : 2) + 64);
        var now = DateTime.Now;
        sb.Append(direction).Append(' ').Append(now.ToString("yyyy/MM/dd HH:mm:ss")).Append('.')
          .Append((now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("D9"))
          .Append("  length=").Append(data.Length).Append(" from=").Append(from)
          .Append(" to=").Append(from + data.Length - 1).Append('\n');
        if (hex && text) AppendHexWithText(sb, data);
        else if (hex) AppendHex(sb, data);
        else AppendText(sb, data);
        byte[] bytes = Encoding.Latin1.GetBytes(sb.ToString());
        lock (Gate)
        {
            try { Posix.WriteAll(fd, bytes); } catch (PosixException) { }
        }
    }

    private static void AppendText(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            switch (b)
            {
                case (byte)'\n' or (byte)'\t': sb.Append((char)b); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case 0x07: sb.Append("\\a"); break;
                case 0x08: sb.Append("\\b"); break;
                case 0x0b: sb.Append("\\v"); break;
                case 0x0c: sb.Append("\\f"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case >= 0x20 and <= 0x7e: sb.Append((char)b); break;
                default: sb.Append('.'); break;
            }
        }
    }

    private static void AppendHex(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) sb.Append(' ').Append(b.ToString("x2"));
        sb.Append('\n');
    }

    private static void AppendHexWithText(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length)
        {
            // A line holds up to 16 bytes and also ends right after a newline byte.
            int start = i;
            while (i < data.Length && i - start < 16)
                if (data[i++] == (byte)'\n') break;
            var line = data[start..i];
            int col = 0;
            foreach (byte b in line) { sb.Append(' ').Append(b.ToString("x2")); col += 3; }
            sb.Append(' ', 48 - col).Append("  ");
            foreach (byte b in line) sb.Append(b is >= 0x20 and <= 0x7e ? (char)b : '.');
            sb.Append('\n');
        }
        sb.Append("--\n");
    }
}
