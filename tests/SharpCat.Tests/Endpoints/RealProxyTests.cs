using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// The proxy clients against real proxies from Debian on loopback (dante for SOCKS4/4A/5, tinyproxy
/// for HTTP CONNECT), side by side with socat where socat 1.7.4 has the address, and ssh running
/// through sharpcat as its ProxyCommand to a real sshd.
/// </summary>
public class RealProxyTests
{
    /// <summary>An echo server on 127.0.0.1 that answers EOF with EOF (half-close kept).</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        public int Port { get; }

        public EchoServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient c;
                    try { c = await _listener.AcceptTcpClientAsync(_stop.Token); }
                    catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        using (c)
                        {
                            var s = c.GetStream();
                            await s.CopyToAsync(s);
                            c.Client.Shutdown(SocketShutdown.Send);
                        }
                    });
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    private static async Task<RunResult> ThroughBoth(byte[] data, string address, bool withSocat)
    {
        // -t 5: the echo of the last bytes may come later than the default half second after our EOF.
        var ours = await Run.SharpCatAsync(data, "-t", "5", "-", address);
        if (withSocat)
        {
            var theirs = await Run.SocatAsync(data, "-t", "5", "-", address);
            Assert.Equal(theirs.ExitCode, ours.ExitCode);
            Assert.Equal(theirs.Stdout, ours.Stdout);
        }
        return ours;
    }

    [Theory]
    [InlineData("SOCKS4:127.0.0.1:127.0.0.1:{echo},socksport={proxy}", true)]
    [InlineData("SOCKS4:127.0.0.1:localhost:{echo},socksport={proxy}", true)]
    [InlineData("SOCKS5-CONNECT:127.0.0.1:{proxy}:127.0.0.1:{echo}", false)]
    [InlineData("SOCKS5-CONNECT:127.0.0.1:localhost:{echo},socksport={proxy}", false)]
    public async Task DanteRelaysBothWaysWithHalfClose(string address, bool withSocat)
    {
        using var dante = await ProxyServers.StartDanteAsync(withAuth: false);
        using var echo = new EchoServer();
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var r = await ThroughBoth(data, address.Replace("{echo}", echo.Port.ToString()).Replace("{proxy}", dante.Port.ToString()), withSocat);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(data, r.Stdout);
    }

    [Fact]
    public async Task Socks4aThroughOpenSshsDynamicForwarding()
    {
        // dante has no SOCKS4A; ssh -D does (and SOCKS4 and 5).
        using var sshd = await ProxyServers.StartSshdAsync();
        int socksPort = FreePorts.Next();
        using var tunnel = LiveProcess.Start("ssh", [.. sshd.SshOptions(), "-N", "-D", $"127.0.0.1:{socksPort}", sshd.SshDestination]);
        await Wait.UntilAsync(() =>
        {
            using var c = new TcpClient();
            try { c.Connect(IPAddress.Loopback, socksPort); return true; } catch (SocketException) { return false; }
        });
        using var echo = new EchoServer();
        var data = RandomNumberGenerator.GetBytes(100_000);
        // The name goes to ssh as text; its PermitOpen allows "127.0.0.1" only.
        foreach (string address in new[] { $"SOCKS4A:127.0.0.1:127.0.0.1:{echo.Port},socksport={socksPort}",
                     $"SOCKS4:127.0.0.1:127.0.0.1:{echo.Port},socksport={socksPort}" })
        {
            var r = await ThroughBoth(data, address, withSocat: true);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(data, r.Stdout);
        }
        var five = await Run.SharpCatAsync(data, "-t", "5", "-", $"SOCKS5:127.0.0.1:{socksPort}:127.0.0.1:{echo.Port}");
        Assert.Equal(data, five.Stdout);
    }

    [Fact]
    public async Task Socks5ListenWaitsForOnePeerThroughDantesBind()
    {
        using var dante = await ProxyServers.StartDanteAsync(withAuth: false);
        using var relay = LiveProcess.SharpCat("-d", "-d", $"SOCKS5-LISTEN:127.0.0.1:{dante.Port}:127.0.0.1:0", "PIPE");
        await relay.WaitForStderrAsync("for the peer");
        var m = System.Text.RegularExpressions.Regex.Match(relay.StderrText, @"the server listens on 127\.0\.0\.1:(\d+) for the peer");
        Assert.True(m.Success, relay.StderrText);
        using var peer = new TcpClient();
        await peer.ConnectAsync(IPAddress.Loopback, int.Parse(m.Groups[1].Value));
        var stream = peer.GetStream();
        await stream.WriteAsync("bound\n"u8.ToArray());
        peer.Client.Shutdown(SocketShutdown.Send);
        var back = new MemoryStream();
        await stream.CopyToAsync(back).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("bound\n"u8.ToArray(), back.ToArray());
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Contains("socks5: accepted connection from 127.0.0.1:", relay.StderrText);
    }

    [Fact]
    public async Task Socks5WithUserAndPasswordThroughDante()
    {
        using var dante = await ProxyServers.StartDanteAsync(withAuth: true);
        using var echo = new EchoServer();
        string target = $"SOCKS5:127.0.0.1:{dante.Port}:127.0.0.1:{echo.Port}";
        var ok = await Run.SharpCatAsync("authenticated\n"u8.ToArray(), "-", $"{target},socksuser={dante.User},sockspass={dante.Password}");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("authenticated\n", ok.StdoutText);

        var wrong = await Run.SharpCatAsync([], "-", $"{target},socksuser={dante.User},sockspass=wrong-password");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal([$"E socks5: the server refused user \"{dante.User}\" and its password (status 1)"], wrong.LogLines);

        var none = await Run.SharpCatAsync([], "-", target);
        Assert.Equal(1, none.ExitCode);
        Assert.Equal(["E socks5: the server requires authentication: give socksuser and sockspass"], none.LogLines);
    }

    /// <summary>
    /// Sends data and keeps stdin open until all of it came back: tinyproxy ends a tunnel as soon
    /// as its client half-closes (socat loses the tail the same way), so EOF must come last.
    /// </summary>
    private static async Task EchoWithoutHalfClose(string program, string address, byte[] data)
    {
        using var relay = LiveProcess.Start(program, "-", address);
        await relay.Stdin.WriteAsync(data);
        await relay.Stdin.FlushAsync();
        await relay.WaitForStdoutAsync(o => o.Length >= data.Length);
        relay.Stdin.Close();
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Equal(data, relay.Stdout);
    }

    [Fact]
    public async Task TinyproxyConnectWithAndWithoutBasicAuth()
    {
        using var echo = new EchoServer();
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        using (var open = await ProxyServers.StartTinyproxyAsync(withAuth: false))
        {
            string plain = $"PROXY:127.0.0.1:127.0.0.1:{echo.Port},proxyport={open.Port}";
            await EchoWithoutHalfClose(Binaries.SharpCat, plain, data);
            await EchoWithoutHalfClose(Binaries.Socat!, plain, data);
        }
        using var guarded = await ProxyServers.StartTinyproxyAsync(withAuth: true);
        string address = $"PROXY:127.0.0.1:127.0.0.1:{echo.Port},proxyport={guarded.Port}";
        await EchoWithoutHalfClose(Binaries.SharpCat, $"{address},proxyauth={guarded.User}:{guarded.Password}", data);
        await EchoWithoutHalfClose(Binaries.Socat!, $"{address},proxyauth={guarded.User}:{guarded.Password}", data);
        var refused = await ThroughBoth([], address, withSocat: true);
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.LogLines);
        Assert.Matches(@"^E CONNECT 127\.0\.0\.1:\d+: the proxy answered ""HTTP/1\.[01] 407 ", refused.LogLines[0]);
    }

    [Theory]
    [InlineData("SOCKS4:127.0.0.1:%h:%p,socksport={proxy}", "dante")]
    [InlineData("SOCKS5:127.0.0.1:{proxy}:%h:%p", "dante")]
    [InlineData("PROXY:127.0.0.1:%h:%p,proxyport={proxy}", "tinyproxy")]
    public async Task SshRunsThroughSharpCatAsItsProxyCommand(string address, string proxyKind)
    {
        using var sshd = await ProxyServers.StartSshdAsync();
        using var proxy = proxyKind == "dante" ? await ProxyServers.StartDanteAsync(withAuth: false) : await ProxyServers.StartTinyproxyAsync(withAuth: false);
        string command = $"{Binaries.SharpCat} - {address.Replace("{proxy}", proxy.Port.ToString())}";
        var r = await Run.ProgramAsync("ssh", [.. sshd.SshOptions(command), sshd.SshDestination, "echo", "through-the-proxy"], [], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"ssh failed: {r}\nproxy log:\n{proxy.Log}");
        Assert.Equal("through-the-proxy\n", r.StdoutText);
    }
}
