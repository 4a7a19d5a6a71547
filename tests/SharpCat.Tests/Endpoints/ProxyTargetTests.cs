using System.Net;
using System.Net.Sockets;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// Targets a proxy request cannot carry (too long for its field, or with bytes that would end it
/// early or inject a header) are refused before the proxy is contacted: the "proxy" here is a plain
/// listener, and it must see no connection at all.
/// </summary>
public class ProxyTargetTests
{
    private static readonly string LongName = new string('a', 250) + ".example";

    public static TheoryData<string, string> Cases => new()
    {
        { "PROXY:127.0.0.1:" + LongName + ":80,proxyport={port}", "E PROXY: host name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\" (258 characters) is longer than 255 bytes" },
        { "SOCKS4A:127.0.0.1:" + LongName + ":80,socksport={port}", "E SOCKS4A: host name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\" (258 characters) is longer than 255 bytes" },
        { "SOCKS5:127.0.0.1:{port}:" + LongName + ":80", "E SOCKS5-CONNECT: host name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\" (258 characters) is longer than 255 bytes" },
        { "PROXY:127.0.0.1:target\r\nX-Injected 1\r\n:80,proxyport={port}", "E PROXY: host name \"target\\r\\nX-Injected 1\\r\\n\" contains a control character (\\r)" },
        { "PROXY:127.0.0.1:tar get:80,proxyport={port}", "E PROXY: host name \"tar get\" contains a space" },
        { "SOCKS4A:127.0.0.1:tar\tget:80,socksport={port}", "E SOCKS4A: host name \"tar\\tget\" contains a control character (\\t)" },
        { "PROXY:127.0.0.1:target:80\r\nX 1,proxyport={port}", "E PROXY: port \"80\\r\\nX 1\" contains a control character (\\r)" },
        { "SOCKS5:127.0.0.1:{port}:target:80,socksuser=u,sockspass=" + new string('p', 300), "E SOCKS5-CONNECT: option \"sockspass\" is longer than 255 bytes (300)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RefusedBeforeTheProxyIsContacted(string address, string expected)
    {
        var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        try
        {
            int port = ((IPEndPoint)proxy.LocalEndpoint).Port;
            var r = await Run.SharpCatAsync("-u", "/dev/null", address.Replace("{port}", port.ToString()));
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith(expected, r.LogLines.Single());
            Assert.False(proxy.Pending(), "the proxy was connected to");
        }
        finally
        {
            proxy.Stop();
        }
    }
}
