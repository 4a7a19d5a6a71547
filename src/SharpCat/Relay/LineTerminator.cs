namespace SharpCat.Relay;

/// <summary>The line ending an address uses (<c>cr</c>, <c>crnl</c>); the relay converts between them.</summary>
internal enum LineTerminator
{
    /// <summary>Bytes pass unchanged.</summary>
    Raw,
    /// <summary>Lines end in CR on this address.</summary>
    Cr,
    /// <summary>Lines end in CR LF on this address.</summary>
    CrNl,
}

/// <summary>
/// Converts a chunk from the reading address's line ending to the writing address's, through
/// plain LF, as socat does: CR becomes LF when reading a <c>cr</c> address, every CR is dropped
/// when reading a <c>crnl</c> one; LF becomes CR or CR LF when writing.
/// </summary>
internal static class LineConversion
{
    /// <summary>Converts <paramref name="input"/> into <paramref name="output"/> (at least twice its length); returns the length.</summary>
    public static int Convert(ReadOnlySpan<byte> input, Span<byte> output, LineTerminator from, LineTerminator to)
    {
        int n = 0;
        foreach (byte b0 in input)
        {
            byte b = b0;
            if (from == LineTerminator.Cr && b == (byte)'\r') b = (byte)'\n';
            else if (from == LineTerminator.CrNl && b == (byte)'\r') continue;
            if (b == (byte)'\n' && to == LineTerminator.Cr) output[n++] = (byte)'\r';
            else if (b == (byte)'\n' && to == LineTerminator.CrNl) { output[n++] = (byte)'\r'; output[n++] = (byte)'\n'; }
            else output[n++] = b;
        }
        return n;
    }
}
