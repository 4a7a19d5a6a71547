using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Cli;

/// <summary>--explain: what each address will do, from the catalog, with nothing opened.</summary>
public class ExplainTests
{
    [Fact]
    public async Task EachAddressIsDescribedAndNothingIsOpened()
    {
        using var dir = new TempDir();
        int port = FreePorts.Next();
        var r = await Run.SharpCatAsync("--explain", "-u", $"TCP4-LISTEN:{port},bind=127.0.0.1,fork,max-children=5,reuseaddr",
            $"OPEN:{dir["out"]},creat,append,perm=0600");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(r.Stderr);
        string text = r.StdoutText;
        Assert.Contains($"address 1: TCP4-LISTEN:{port},bind=127.0.0.1,fork,max-children=5,reuseaddr\n", text);
        Assert.Contains("  type TCP4-LISTEN, option groups CHILD,FD,IP4,LISTEN,RANGE,RETRY,SOCKET,TCP\n", text);
        Assert.Contains($"    port: {port}\n", text);
        Assert.Contains("    used for: reading only; listens, and serves every connection\n", text);
        Assert.Contains("    option max-children = 5; group CHILD, applied in phase PASTACCEPT, type INT\n", text);
        Assert.Contains("    option so-reuseaddr (written reuseaddr) = 1; group SOCKET", text);
        Assert.Contains("    option o-create (written creat) = 1; group OPEN, applied in phase OPEN, type BOOL\n", text);
        Assert.Contains("    option perm = 0600;", text);
        Assert.Contains("relay: address 1 to address 2 only (-u)", text);
        // Nothing was opened: no file, and the port is free.
        Assert.Empty(dir.Entries());
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task ADualAddressIsDescribedHalfByHalf()
    {
        var r = await Run.SharpCatAsync("--explain", "OPEN:/nonexistent/in,rdonly!!CREATE:/nonexistent/out", "PIPE");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("  read from:\n    type OPEN", r.StdoutText);
        Assert.Contains("  written to:\n    type CREATE", r.StdoutText);
    }

    [Fact]
    public async Task ARefusedAddressIsRefusedWithItsReason()
    {
        var r = await Run.SharpCatAsync("--explain", "OPEN:/tmp/x,fork", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.StartsWith("E OPEN: option \"fork\" does not apply to this address type", Assert.Single(r.LogLines));
    }
}
