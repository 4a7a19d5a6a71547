namespace SharpCat.Endpoints;

/// <summary>
/// The address kinds this build implements, each with its opener and the socat feature name
/// (<c>WITH_…</c>) that <c>-V</c> reports as defined. A catalog keyword missing here is
/// "not supported by this build".
/// </summary>
internal static class EndpointRegistry
{
    private static readonly Dictionary<string, (AddressOpener Open, string Feature)> Openers = new(StringComparer.Ordinal)
    {
        ["stdio"] = (StdioEndpoints.OpenStdio, "STDIO"),
        ["stdin"] = (StdioEndpoints.OpenStdin, "STDIO"),
        ["stdout"] = (StdioEndpoints.OpenStdout, "STDIO"),
        ["stderr"] = (StdioEndpoints.OpenStderr, "STDIO"),
        ["fd"] = (StdioEndpoints.OpenFd, "FDNUM"),
        ["open"] = (FileEndpoints.OpenFile, "FILE"),
        ["create"] = (FileEndpoints.OpenCreate, "CREAT"),
        ["gopen"] = (FileEndpoints.OpenGeneric, "GOPEN"),
        ["pipe"] = (PipeEndpoints.OpenPipe, "PIPE"),
    };

    public static bool IsImplemented(string keyword) => Openers.ContainsKey(keyword);

    public static AddressOpener Opener(string keyword) => Openers[keyword].Open;

    /// <summary>socat feature names whose addresses all work in this build.</summary>
    public static IReadOnlySet<string> Features { get; } = Openers.Values.Select(v => v.Feature).ToHashSet();
}
