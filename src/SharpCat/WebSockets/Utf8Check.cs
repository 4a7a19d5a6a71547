namespace SharpCat.WebSockets;

/// <summary>
/// UTF-8 checked across pieces (RFC 6455 §8.1: a text message must be valid UTF-8, and a
/// character may be split between frames or between reads). Rejects overlong forms, surrogates
/// and code points above U+10FFFF, as RFC 3629 does.
/// </summary>
internal struct Utf8Check
{
    private int _need, _had;
    private byte _low, _high;

    /// <summary>True between the bytes of one character.</summary>
    public readonly bool InCharacter => _need > 0;

    /// <summary>The bytes already seen of the character that is not complete yet.</summary>
    public readonly int PendingBytes => _had;

    /// <summary>Checks the next piece; false at the first byte that cannot belong to valid UTF-8.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length)
        {
            if (_need == 0)
            {
                // ASCII runs are the common case: skip them in one vectorised search.
                int next = data[i..].IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
                if (next < 0) return true;
                i += next;
                byte lead = data[i++];
                (_need, _low, _high) = lead switch
                {
                    >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
                    0xE0 => (2, (byte)0xA0, (byte)0xBF),
                    0xED => (2, (byte)0x80, (byte)0x9F),
                    >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
                    0xF0 => (3, (byte)0x90, (byte)0xBF),
                    >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
                    0xF4 => (3, (byte)0x80, (byte)0x8F),
                    _ => (-1, (byte)0, (byte)0),
                };
                if (_need < 0) return false;
                _had = 1;
                continue;
            }
            byte b = data[i++];
            if (b < _low || b > _high) return false;
            (_low, _high) = ((byte)0x80, (byte)0xBF);
            _had++;
            if (--_need == 0) _had = 0;
        }
        return true;
    }
}
