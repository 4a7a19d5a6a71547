using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace SharpCat.WebSockets;

/// <summary>RFC 6455's frame opcodes (§5.2); the others are reserved and fail the connection.</summary>
internal enum Opcode : byte
{
    Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA,
}

/// <summary>The frame layout of RFC 6455 §5.2: headers written and read, payloads masked.</summary>
internal static class WebSocketFrame
{
    /// <summary>The longest header: 2 bytes, a 64-bit length and a masking key.</summary>
    public const int MaxHeader = 14;

    /// <summary>The largest payload of a control frame (§5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>Writes a final frame's header into <paramref name="into"/> and returns its length.</summary>
    public static int WriteHeader(Span<byte> into, Opcode opcode, long length, uint? mask)
    {
        into[0] = (byte)(0x80 | (byte)opcode);
        byte maskBit = mask is null ? (byte)0 : (byte)0x80;
        int at;
        if (length < 126)
        {
            into[1] = (byte)(maskBit | length);
            at = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            into[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)length);
            at = 4;
        }
        else
        {
            into[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(into[2..], (ulong)length);
            at = 10;
        }
        if (mask is uint key)
        {
            MemoryMarshal.Write(into[at..], in key);
            at += 4;
        }
        return at;
    }

    /// <summary>
    /// XORs <paramref name="data"/> with the masking key (in wire order, as read from the frame),
    /// starting <paramref name="offset"/> bytes into the payload; masking and unmasking are the same.
    /// </summary>
    public static void Mask(Span<byte> data, uint key, long offset)
    {
        // The key as the payload at this offset sees it: rotated so that its byte (offset % 4) comes first.
        int shift = (int)(offset & 3) * 8;
        uint rotated = BitConverter.IsLittleEndian ? BitOperations.RotateRight(key, shift) : BitOperations.RotateLeft(key, shift);
        ulong wide = rotated | ((ulong)rotated << 32);
        int i = 0;
        var longs = MemoryMarshal.Cast<byte, ulong>(data);
        for (; i < longs.Length; i++) longs[i] ^= wide;
        i *= 8;
        Span<byte> keyBytes = stackalloc byte[4];
        MemoryMarshal.Write(keyBytes, in rotated);
        for (int k = 0; i < data.Length; i++, k++) data[i] ^= keyBytes[k & 3];
    }

    /// <summary>Whether a close code may be sent in a Close frame (§7.4): the defined ones, and 3000–4999.</summary>
    public static bool IsValidCloseCode(int code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;

    /// <summary>A close code's meaning for log lines.</summary>
    public static string CloseCodeName(int code) => code switch
    {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status code",
        1006 => "closed without a close frame",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        >= 3000 and <= 3999 => "registered code",
        >= 4000 and <= 4999 => "private code",
        _ => "invalid code",
    };
}

/// <summary>The close codes SharpCat sends (RFC 6455 §7.4.1).</summary>
internal static class CloseCode
{
    public const int Normal = 1000, GoingAway = 1001, ProtocolError = 1002, NoStatus = 1005, Abnormal = 1006,
        InvalidData = 1007, TooBig = 1009, InternalError = 1011;
}
