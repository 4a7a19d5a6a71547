using System.Security.Cryptography;
using System.Text;

namespace SharpCat.WebSockets;

/// <summary>The opening handshake's key and its proof of receipt (RFC 6455 §4.1, §4.2.2).</summary>
internal static class WebSocketKey
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes in Base64.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>True when <paramref name="key"/> is 16 bytes in Base64, as §4.2.1 requires of a request.</summary>
    public static bool IsValid(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out int n) && n == 16;
    }

    /// <summary>The Sec-WebSocket-Accept that answers <paramref name="key"/>.</summary>
    public static unsafe string Accept(string key)
    {
        byte[] text = Encoding.ASCII.GetBytes(key + Guid);
        byte* digest = stackalloc byte[20];
        fixed (byte* p = text) Native.LibSsl.SHA1(p, (nuint)text.Length, digest);
        return Convert.ToBase64String(new ReadOnlySpan<byte>(digest, 20));
    }
}
