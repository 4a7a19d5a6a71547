using System.Security.Cryptography;
using SharpCat.Catalog;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// socat 1.8's <c>unix-bind-tempname[=pattern]</c> (<c>bind-tempname</c>): a UNIX client binds to a
/// fresh name made from the pattern, its first <c>XXXXXX</c> replaced by six random letters and
/// digits (default <c>/tmp/socat-bind.XXXXXX</c>; on ABSTRACT-* addresses the name is abstract), so
/// that each of many clients gets its own address for replies. The socket file goes at close, as a
/// <c>bind=</c> one does.
/// </summary>
internal static class UnixTempName
{
    private const string DefaultPattern = "/tmp/socat-bind.XXXXXX";
    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The client addresses socat 1.8 binds this way.</summary>
    private static readonly string[] Clients = ["unix-connect", "unix-sendto", "unix-client", "abstract-connect", "abstract-sendto", "abstract-client"];

    /// <summary>Checks the option where it is given, before anything is opened.</summary>
    public static void Check(ResolvedAddress address)
    {
        if (address.Options.Find("unix-bind-tempname") is not { } o) return;
        if (Array.IndexOf(Clients, address.Kind.Keyword) < 0)
            throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" binds a client's socket; it applies to UNIX-CONNECT, UNIX-SENDTO, UNIX-CLIENT and their ABSTRACT-* twins only");
        if (address.Options.Find("bind") is { } bind)
            throw new SharpCatException($"{address.Name}: options \"{bind.Spelling}\" and \"{o.Spelling}\" exclude each other");
        string pattern = o.Value as string ?? DefaultPattern;
        if (!pattern.Contains("XXXXXX", StringComparison.Ordinal))
            throw new SharpCatException($"{address.Name}: option \"{o.Spelling}={pattern}\": the pattern needs XXXXXX where the random part goes");
        UnixEndpoints.EndPoint(pattern, address.Kind.Keyword.StartsWith("abstract", StringComparison.Ordinal), address.Name);
    }

    /// <summary>The name to bind to: <c>bind=</c>, or a fresh one for unix-bind-tempname, or null.</summary>
    public static string? BindName(OptionSet options, bool abstractName)
    {
        if (options.Text("bind") is { } bind) return bind;
        if (options.Find("unix-bind-tempname") is not { } o) return null;
        string pattern = o.Value as string ?? DefaultPattern;
        int at = pattern.IndexOf("XXXXXX", StringComparison.Ordinal);
        for (int tries = 0; tries < 1000; tries++)
        {
            string name = string.Concat(pattern.AsSpan(0, at), RandomNumberGenerator.GetString(Letters, 6), pattern.AsSpan(at + 6));
            // An abstract name is not in the file system; 62^6 names make a clash unlikely enough.
            if (abstractName || !Posix.TryStat(name, out _)) return name;
        }
        throw new SharpCatException($"unix-bind-tempname: no free name for \"{pattern}\"");
    }
}
