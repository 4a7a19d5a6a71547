using System.Net.Sockets;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// socat 1.8's unix-bind-tempname beside socat 1.8.0.3: a UNIX client binds to a fresh name made
/// from the pattern (the peer sees it as the sender or the connecting address), and the socket
/// file is gone once the program has exited.
/// </summary>
public class UnixBindTempnameTests
{
    private static readonly string[] Programs = ["socat18", "sharpcat"];

    [Theory]
    [InlineData("UNIX-SENDTO:{peer},unix-bind-tempname={dir}/c-XXXXXX")]
    [InlineData("UNIX-SENDTO:{peer},bind-tempname={dir}/XXXXXX.sock")]
    [InlineData("UNIX-CLIENT:{peer},bind-tempname={dir}/cl-XXXXXX")]
    public async Task DatagramClientSendsFromAFreshNameAsSocat18Does(string address)
    {
        foreach (string program in Programs)
        {
            using var dir = new TempDir();
            using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            peer.Bind(new UnixDomainSocketEndPoint(dir["peer"]));
            string filled = address.Replace("{peer}", dir["peer"]).Replace("{dir}", dir.Path);
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "-", filled], "tmp\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            var buffer = new byte[64];
            System.Net.EndPoint from = new UnixDomainSocketEndPoint("/x");
            var got = await peer.ReceiveFromAsync(buffer, SocketFlags.None, from).WaitAsync(TimeSpan.FromSeconds(10));
            string pattern = Regex.Escape(filled[(filled.IndexOf('=') + 1)..]).Replace("XXXXXX", "[A-Za-z0-9]{6}");
            Assert.Matches($"^{pattern}$", got.RemoteEndPoint.ToString()!);
            // Gone at exit (socat 1.8 leaves UNIX-CLIENT's behind; sharpcat removes it as it removes a bind= one).
            if (program == "sharpcat" || !address.StartsWith("UNIX-CLIENT"))
                Assert.Equal(["peer"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        }
    }

    /// <summary>The stream client's own address, read off its live socket (the test does not accept: .NET's accept cannot take such peer names).</summary>
    [Fact]
    public async Task StreamClientConnectsFromAFreshNameAsSocat18Does()
    {
        foreach (string program in Programs)
        {
            using var dir = new TempDir();
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(dir["listen"]));
            listener.Listen();
            using var relay = LiveProcess.Start(Binaries.Of(program), "-d", "-d", "-t", "0.1", "-", $"UNIX-CONNECT:{dir["listen"]},bind-tempname={dir.Path}/k-XXXXXX");
            await relay.WaitForStderrAsync("starting data transfer loop");
            using (var socket = ForeignSocket.Find(relay.Pid, s => s.Peer == dir["listen"])
                ?? throw new InvalidOperationException($"{program}: no socket; stderr:\n{relay.StderrText}"))
                Assert.Matches($"^{Regex.Escape(dir.Path)}/k-[A-Za-z0-9]{{6}}$", socket.Local);
            Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length);
            relay.Stdin.Close();
            Assert.Equal(0, await relay.WaitForExitAsync());
            Assert.Equal(["listen"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        }
    }

    [Fact]
    public async Task AbstractClientGetsAnAbstractNameAsWithSocat18()
    {
        foreach (string program in Programs)
        {
            string name = $"sharpcat-peer-{Guid.NewGuid():N}";
            using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            peer.Bind(new UnixDomainSocketEndPoint("\0" + name));
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "-", $"ABSTRACT-SENDTO:{name},bind-tempname=sctmp-XXXXXX"], "a\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.True(r.ExitCode == 0, $"{program}: {r}");
            var buffer = new byte[16];
            System.Net.EndPoint from = new UnixDomainSocketEndPoint("/x");
            var got = await peer.ReceiveFromAsync(buffer, SocketFlags.None, from).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Matches("^[@\0]sctmp-[A-Za-z0-9]{6}\0*$", got.RemoteEndPoint.ToString()!); // socat 1.8 binds the whole sun_path
        }
    }

    /// <summary>A pattern without XXXXXX, and bind= beside it, fail under both programs; sharpcat before opening anything.</summary>
    [Theory]
    [InlineData("UNIX-SENDTO:{dir}/peer,bind-tempname={dir}/plain")]
    [InlineData("UNIX-SENDTO:{dir}/peer,bind-tempname={dir}/x-XXXXXX,bind={dir}/y")]
    public async Task BadUsesFailAsUnderSocat18(string address)
    {
        foreach (string program in Programs)
        {
            using var dir = new TempDir();
            using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            peer.Bind(new UnixDomainSocketEndPoint(dir["peer"]));
            var r = await Run.ProgramAsync(Binaries.Of(program), ["-u", "-", address.Replace("{dir}", dir.Path)], "a\n"u8.ToArray(), Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(["peer"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        }
    }

    [Theory]
    [InlineData("UNIX-LISTEN:/tmp/x-never,bind-tempname")]
    [InlineData("UNIX-RECV:/tmp/x-never,bind-tempname")]
    [InlineData("ABSTRACT-RECVFROM:x-never,bind-tempname=a-XXXXXX")]
    public async Task OnlyClientsTakeIt(string address)
    {
        var r = await Run.SharpCatAsync("-u", address, "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("applies to UNIX-CONNECT, UNIX-SENDTO, UNIX-CLIENT", Assert.Single(r.LogLines));
        Assert.False(File.Exists("/tmp/x-never"));
    }
}
