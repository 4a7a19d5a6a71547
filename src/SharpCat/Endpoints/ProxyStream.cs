using System.Text;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// Reading a proxy's reply off the connection that will carry the relay: never more than the reply
/// itself (exact counts, and lines a byte at a time), so that no byte meant for the relay is
/// consumed, and never more than a fixed amount of memory, whatever the proxy sends.
/// </summary>
internal static class ProxyStream
{
    /// <summary>Reads exactly <paramref name="count"/> bytes; fewer before EOF is a truncated reply.</summary>
    public static async Task<byte[]> ReadExactlyAsync(IChannel channel, int count, string what, CancellationToken ct)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await channel.ReadAsync(buffer.AsMemory(got), ct).ConfigureAwait(false);
            if (n == 0) throw new SharpCatException($"{what}: the proxy closed the connection after {got} of {count} bytes of its reply");
            got += n;
        }
        return buffer;
    }

    /// <summary>
    /// One line up to LF (the CR before it removed; with <paramref name="lfOnly"/> a CR anywhere is
    /// dropped, as ignorecr does); null at EOF before any byte.
    /// </summary>
    public static async Task<string?> ReadLineAsync(IChannel channel, int maxLength, bool lfOnly, string what, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            int n = await channel.ReadAsync(one, ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (line.Length == 0) return null;
                throw new SharpCatException($"{what}: the proxy closed the connection in the middle of a line");
            }
            char c = (char)one[0];
            if (c == '\n')
            {
                if (line.Length > 0 && line[^1] == '\r') line.Length--;
                return line.ToString();
            }
            if (c == '\r' && lfOnly) continue;
            if (line.Length >= maxLength) throw new SharpCatException($"{what}: a line of the proxy's reply is longer than {maxLength} bytes");
            line.Append(c);
        }
    }

    public static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
