using SharpCat.Catalog;

namespace SharpCat.WebSockets;

/// <summary>
/// The WEBSOCKET option group of one address, checked before anything opens. On a client they
/// say what the opening request carries; on a server, what a request must carry to be accepted.
/// </summary>
/// <param name="Path">Client: the request target (default <c>/</c>). Server: the only path served (default: any).</param>
/// <param name="Protocols">Client: the subprotocols offered. Server: those it speaks, preferred first.</param>
/// <param name="Origins">Client: the Origin sent. Server: the Origins allowed (default: any, and none).</param>
/// <param name="Headers">Extra header lines of the request (client) or of the 101 answer (server).</param>
/// <param name="BasicAuth">Client: <c>user:password</c> sent. Server: the one accepted.</param>
/// <param name="MaxMessage">The largest message read, in bytes; 0 for no limit.</param>
/// <param name="Text">Send text messages (UTF-8 checked) instead of binary ones.</param>
/// <param name="HandshakeTimeout">How long the opening handshake may take.</param>
/// <param name="Lines">Each line written is one message (without its newline); each message read ends with a newline.</param>
/// <param name="PingInterval">A ping goes after this long without a byte from the peer; null for none.</param>
/// <param name="PingTimeout">The WebSocket fails when nothing comes this long after a ping; null to wait for ever.</param>
internal sealed record WebSocketSettings(string? Path, string[] Protocols, string[] Origins, (string Name, string Value)[] Headers,
    string? BasicAuth, long MaxMessage, bool Text, TimeSpan HandshakeTimeout, bool Lines, TimeSpan? PingInterval, TimeSpan? PingTimeout)
{
    /// <summary>The option names of the group (ImplementedOptions lists them).</summary>
    public static readonly string[] Names =
        ["ws-path", "ws-protocol", "ws-origin", "ws-header", "ws-basic-auth", "ws-max-message", "ws-text", "ws-handshake-timeout", "ws-lines", "ws-ping-interval", "ws-ping-timeout"];

    private const double DefaultHandshakeSeconds = 10;

    // Headers the handshake itself writes: a second copy would make the request ambiguous.
    private static readonly string[] OwnHeaders =
        ["host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-accept",
         "sec-websocket-protocol", "sec-websocket-extensions", "content-length", "transfer-encoding"];

    /// <summary>The address's settings; an error naming the option for a malformed value.</summary>
    public static WebSocketSettings From(OptionSet options, string addressName)
    {
        var protocols = new List<string>();
        var origins = new List<string>();
        var headers = new List<(string, string)>();
        foreach (var option in options.Items)
        {
            string? text = option.Value as string;
            switch (option.Def.Name)
            {
                case "ws-protocol":
                    if (!IsToken(text!)) throw Bad(addressName, option, "a subprotocol is one HTTP token (give the option once per subprotocol)");
                    protocols.Add(text!);
                    break;
                case "ws-origin":
                    if (text!.Length == 0 || !IsFieldValue(text)) throw Bad(addressName, option, "an Origin is one line of visible characters");
                    origins.Add(text);
                    break;
                case "ws-header":
                    headers.Add(Header(addressName, option, text!));
                    break;
                case "ws-path":
                    if (!text!.StartsWith('/') || !IsFieldValue(text) || text.Contains(' '))
                        throw Bad(addressName, option, "a request path starts with '/' and holds no spaces");
                    break;
                case "ws-basic-auth":
                    if (!text!.Contains(':') || !IsFieldValue(text)) throw Bad(addressName, option, "give user:password");
                    break;
            }
        }
        double seconds = options.Seconds("ws-handshake-timeout") ?? DefaultHandshakeSeconds;
        if (seconds <= 0) throw new SharpCatException($"{addressName}: option \"ws-handshake-timeout\": give a time above 0 seconds");
        TimeSpan? interval = Positive(options, "ws-ping-interval", addressName), timeout = Positive(options, "ws-ping-timeout", addressName);
        if (timeout is not null && interval is null)
            throw new SharpCatException($"{addressName}: option \"ws-ping-timeout\" needs ws-ping-interval: no ping is sent without it");
        return new WebSocketSettings(options.Text("ws-path"), [.. protocols], [.. origins], [.. headers], options.Text("ws-basic-auth"),
            options.Number("ws-max-message") ?? 0, options.Flag("ws-text"), TimeSpan.FromSeconds(seconds), options.Flag("ws-lines"), interval, timeout);
    }

    private static TimeSpan? Positive(OptionSet options, string name, string addressName) => options.Seconds(name) switch
    {
        null => null,
        > 0 and var s => TimeSpan.FromSeconds(s),
        _ => throw new SharpCatException($"{addressName}: option \"{name}\": give a time above 0 seconds"),
    };

    private static (string, string) Header(string addressName, ResolvedOption option, string text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0) throw Bad(addressName, option, "give Name:value");
        string name = text[..colon].Trim(), value = text[(colon + 1)..].Trim();
        if (!IsToken(name) || !IsFieldValue(value)) throw Bad(addressName, option, "give Name:value, a token and one line");
        if (Array.IndexOf(OwnHeaders, name.ToLowerInvariant()) >= 0)
            throw Bad(addressName, option, $"the handshake writes {name} itself");
        return (name, value);
    }

    private static SharpCatException Bad(string addressName, ResolvedOption option, string why) =>
        new($"{addressName}: option \"{option.Spelling}={option.Value}\": {why}");

    /// <summary>An HTTP token (RFC 9110 §5.6.2): visible ASCII without separators.</summary>
    internal static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c > ' ' && c < 0x7F && "\"(),/:;<=>?@[\\]{}".IndexOf(c) < 0);

    /// <summary>A header value on one line: no control characters (no CR or LF to smuggle a header in).</summary>
    private static bool IsFieldValue(string text) => text.All(c => c >= ' ' && c != 0x7F);
}
