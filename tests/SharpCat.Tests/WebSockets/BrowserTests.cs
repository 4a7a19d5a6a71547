using System.Text;
using SharpCat.Tests.Endpoints;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// A real browser as the client (DESIGN §10: real tools judge it): headless Chromium loads a page
/// that opens a WebSocket to WS-LISTEN (or WSS-LISTEN) relaying to a TCP echo service, as noVNC
/// does through websockify, and sends what came back to a second listener the test reads.
/// </summary>
public class BrowserTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static string Chromium() =>
        Binaries.FindOnPath("chromium") ?? throw new InvalidOperationException("chromium is not installed (test.sh installs it: apt-get install chromium)");

    private const string Page = """
        <!doctype html><meta charset="utf-8"><title>sharpcat websocket</title>
        <script>
        const report = (text) => {
          const r = new WebSocket('ws://127.0.0.1:REPORT/report');
          r.onopen = () => { r.send(text); r.close(1000, 'reported'); };
        };
        const ws = new WebSocket('SCHEME://HOST:PORT/websockify', ['binary']);
        ws.onopen = () => ws.send('hello from chromium, ' + ws.protocol);
        ws.onerror = () => report('error');
        ws.onmessage = async (e) => {
          const text = typeof e.data === 'string' ? e.data : await e.data.text();
          report((typeof e.data === 'string' ? 'text: ' : 'binary: ') + text);
          ws.close(1000, 'page done');
        };
        </script>
        """;

    [Fact]
    public async Task ChromiumTalksToATcpServiceThroughWsListen()
    {
        using var echo = new EchoServer();
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d", "WS-LISTEN:0,bind=127.0.0.1,ws-path=/websockify,ws-protocol=binary", $"TCP:127.0.0.1:{echo.Port}");
        using var _ = relay;
        var (reporter, reportPort) = await Listeners.SharpCatAsync("-d", "-d", "-u", "WS-LISTEN:0,bind=127.0.0.1,ws-path=/report", "STDOUT");
        using var __ = reporter;
        using var dir = new TempDir();
        File.WriteAllText(dir["page.html"], Page.Replace("SCHEME", "ws").Replace("HOST", "127.0.0.1").Replace("REPORT", reportPort.ToString())
            .Replace("PORT", port.ToString()));
        using var browser = StartBrowser(dir);
        Assert.Equal(0, await reporter.WaitForExitAsync());
        Assert.Equal("binary: hello from chromium, binary", Encoding.UTF8.GetString(reporter.Stdout));
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Contains("N WS-LISTEN: the peer closed the WebSocket: 1000 (normal closure), reason \"page done\"", relay.StderrText);
        Assert.Contains(", subprotocol binary", relay.StderrText);
    }

    [Fact]
    public async Task ChromiumTalksThroughWssListenAndGetsTextWithWsText()
    {
        using var echo = new EchoServer();
        var (relay, port) = await Listeners.SharpCatAsync("-d", "-d",
            $"WSS-LISTEN:0,bind=127.0.0.1,cert={certs["server-full.pem"]},verify=0,ws-path=/websockify,ws-protocol=binary,ws-text", $"TCP:127.0.0.1:{echo.Port}");
        using var _ = relay;
        var (reporter, reportPort) = await Listeners.SharpCatAsync("-d", "-d", "-u", "WS-LISTEN:0,bind=127.0.0.1,ws-path=/report", "STDOUT");
        using var __ = reporter;
        using var dir = new TempDir();
        File.WriteAllText(dir["page.html"], Page.Replace("SCHEME", "wss").Replace("HOST", "localhost").Replace("REPORT", reportPort.ToString())
            .Replace("PORT", port.ToString()));
        // The test CA's server certificate is trusted by its key's hash, the way Chromium takes a private CA without a system store.
        var spki = await Run.ShellAsync($"openssl x509 -pubkey -noout -in {certs["server.pem"]} | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64");
        using var browser = StartBrowser(dir, $"--ignore-certificate-errors-spki-list={spki.StdoutText.Trim()}");
        Assert.Equal(0, await reporter.WaitForExitAsync());
        Assert.Equal("text: hello from chromium, binary", Encoding.UTF8.GetString(reporter.Stdout));
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.Contains("SSL proto version used: TLSv1.3", relay.StderrText);
    }

    /// <summary>
    /// Headless Chromium on the page, kept on loopback: no background services (updates, safe
    /// browsing, metrics), and every name but localhost (and 127.0.0.1, which the rules would map too) resolves to nothing.
    /// </summary>
    private static LiveProcess StartBrowser(TempDir dir, params string[] flags) =>
        LiveProcess.Start(Chromium(), ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--no-default-browser-check", "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1", $"--user-data-dir={dir["profile"]}", .. flags,
            "file://" + dir["page.html"]], environment: null);
}
