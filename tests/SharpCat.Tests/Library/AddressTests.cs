using CsCheck;
using SharpCat.Grammar;

namespace SharpCat.Tests.Library;

/// <summary><see cref="Address"/>: the same addresses as text, checked by the catalog as each part is added.</summary>
public class AddressTests
{
    [Fact]
    public void BuildsWhatACommandLineWouldSay()
    {
        Assert.Equal("TCP-LISTEN:0,bind=127.0.0.1,fork,max-children=10",
            Address.TcpListen(0).Bind("127.0.0.1").Fork().MaxChildren(10).ToString());
        Assert.Equal("TCP:[::1]:5432", Address.Tcp("::1", 5432).ToString());
        Assert.Equal("OPENSSL:db.example:5432,verify=0,connect-timeout=2.5",
            Address.OpenSsl("db.example", 5432).With("verify", false).With("connect-timeout", TimeSpan.FromSeconds(2.5)).ToString());
        Assert.Equal("OPEN:/tmp/in!!CREATE:/tmp/out", Address.Dual(Address.Open("/tmp/in"), Address.Create("/tmp/out")).ToString());
        Assert.Equal("PROXY:proxy:db:5432,proxyport=3128", Address.HttpProxy("proxy", "db", 5432, 3128).ToString());
    }

    [Fact]
    public void TextWithTheGrammarsCharactersIsQuotedAndReadsBackTheSame()
    {
        var address = Address.Open("/tmp/a,b:c d\"e'f[g]\\h!!i").With("creat");
        var parsed = EndpointSpec.Parse(address.ToString());
        Assert.Null(parsed.WriteSide);
        Assert.Equal("/tmp/a,b:c d\"e'f[g]\\h!!i", Assert.Single(parsed.Primary.Parameters));
        Assert.Equal("creat", Assert.Single(parsed.Primary.Options).Name);
    }

    [Fact]
    public void AnyCommandAndOptionValueReadBackUnchanged()
    {
        // What the grammar turns into something else inside quotes: its escapes (\a, \b, \f, \v stand
        // for control characters) — none of which a builder writes but for the ones it escapes.
        var text = Gen.String[Gen.Char.Where(c => c is not ('\a' or '\b' or '\f' or '\v')), 1, 40];
        Gen.Select(text, text).Sample((command, value) =>
        {
            var address = Address.Exec(command).With("path", value);
            var parsed = EndpointSpec.Parse(address.ToString()).Primary;
            Assert.Equal("EXEC", parsed.Keyword);
            Assert.Equal(command, Assert.Single(parsed.Parameters));
            Assert.Equal(new AddressOption("path", value), Assert.Single(parsed.Options));
        }, iter: 2000);
    }

    [Fact]
    public void EachPartIsCheckedByTheCatalogAsItIsAdded()
    {
        var open = Address.Open("/tmp/x");
        Assert.Contains("\"fork\"", Assert.Throws<SharpCatException>(() => open.Fork()).Message);
        Assert.Contains("nosuchoption", Assert.Throws<SharpCatException>(() => open.With("nosuchoption")).Message);
        Assert.Contains("max-children", Assert.Throws<SharpCatException>(() => Address.TcpListen(0).With("max-children", "many")).Message);
        Assert.Contains("wrong number of parameters", Assert.Throws<SharpCatException>(() => Address.Of("TCP", "onlyhost")).Message);
        Assert.Contains("NOSUCHTYPE", Assert.Throws<SharpCatException>(() => Address.Of("NOSUCHTYPE")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Address.TcpListen(65536));
        Assert.Throws<ArgumentException>(() => Address.Dual(Address.Dual(Address.Pipe(), Address.Pipe()), Address.Pipe()));
    }

    [Fact]
    public void AnAddressIsImmutable()
    {
        var plain = Address.TcpListen(8080);
        var forking = plain.Fork();
        Assert.Equal("TCP-LISTEN:8080", plain.ToString());
        Assert.Equal("TCP-LISTEN:8080,fork", forking.ToString());
    }
}
