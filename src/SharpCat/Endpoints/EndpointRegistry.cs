namespace SharpCat.Endpoints;

/// <summary>
/// The address kinds this build implements, each with its opener (or, for listening kinds, its
/// listener opener) and the socat feature name (<c>WITH_…</c>) it belongs to. A catalog keyword
/// missing here is "not supported by this build".
/// </summary>
internal static class EndpointRegistry
{
    private sealed record Entry(AddressOpener? Open, ListenerOpener? Listen);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["stdio"] = new(StdioEndpoints.OpenStdio, null),
        ["stdin"] = new(StdioEndpoints.OpenStdin, null),
        ["stdout"] = new(StdioEndpoints.OpenStdout, null),
        ["stderr"] = new(StdioEndpoints.OpenStderr, null),
        ["fd"] = new(StdioEndpoints.OpenFd, null),
        ["open"] = new(FileEndpoints.OpenFile, null),
        ["create"] = new(FileEndpoints.OpenCreate, null),
        ["gopen"] = new(FileEndpoints.OpenGeneric, null),
        ["pipe"] = new(PipeEndpoints.OpenPipe, null),
        ["tcp-connect"] = new(TcpEndpoints.Connect, null),
        ["tcp4-connect"] = new(TcpEndpoints.Connect4, null),
        ["tcp6-connect"] = new(TcpEndpoints.Connect6, null),
        ["tcp-listen"] = new(null, TcpEndpoints.Listen),
        ["tcp4-listen"] = new(null, TcpEndpoints.Listen4),
        ["tcp6-listen"] = new(null, TcpEndpoints.Listen6),
        ["unix-connect"] = new(UnixEndpoints.Connect, null),
        ["unix-listen"] = new(null, UnixEndpoints.Listen),
        ["abstract-connect"] = new(UnixEndpoints.ConnectAbstract, null),
        ["abstract-listen"] = new(null, UnixEndpoints.ListenAbstract),
        ["unix-client"] = new(UnixEndpoints.Client, null),
        ["abstract-client"] = new(UnixEndpoints.ClientAbstract, null),
        ["socket-connect"] = new(GenericSocketEndpoints.Connect, null),
        ["socket-listen"] = new(null, GenericSocketEndpoints.Listen),
    };

    public static bool IsImplemented(string keyword) => Entries.ContainsKey(keyword);

    public static bool Listens(string keyword) => Entries.TryGetValue(keyword, out var e) && e.Listen is not null;

    public static ListenerOpener Listener(string keyword) => Entries[keyword].Listen!;

    /// <summary>The opener; a listening kind without fork accepts one connection and stops listening.</summary>
    public static AddressOpener Opener(string keyword)
    {
        var e = Entries[keyword];
        return e.Open ?? (async (request, ct) =>
        {
            await using var listener = await e.Listen!(request, ct).ConfigureAwait(false);
            return await listener.AcceptAsync(ct).ConfigureAwait(false);
        });
    }
}
