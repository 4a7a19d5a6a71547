using SharpCat.Catalog;

namespace SharpCat.Tests.Grammar;

/// <summary>socat's data notation (dalan), as setsockopt, SOCKET-* addresses and bind take it.</summary>
public class DalanTests
{
    [Theory]
    [InlineData("512", "00020000")]                 // no type: the default, an int in host order
    [InlineData("x7f000001", "7f000001")]
    [InlineData("x87d2x00000000", "87d200000000")]  // one x per group, as test.sh writes addresses
    [InlineData("i-1", "ffffffff")]
    [InlineData("s258", "0201")]
    [InlineData("B255", "ff")]
    [InlineData("l1", "0100000000000000")]
    [InlineData("\"ab\\n\"", "61620a")]
    [InlineData("'A'x00", "4100")]
    [InlineData("x01 x02", "0102")]                 // white space between items
    public void ItemsBecomeTheirBytes(string text, string hex) =>
        Assert.Equal(hex, Convert.ToHexString(Dalan.Parse("setsockopt", text)).ToLowerInvariant());

    [Theory]
    [InlineData("x123", "odd number of hexadecimal digits")]
    [InlineData("\"abc", "unterminated string")]
    [InlineData("i", "expected a decimal number after 'i'")]
    [InlineData("xzz", "not a hex digit")]
    public void MalformedDataIsAnError(string text, string why)
    {
        var e = Assert.Throws<SharpCatException>(() => Dalan.Parse("setsockopt", text));
        Assert.Contains(why, e.Message);
    }
}
