using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// The files and directory a TLS address names (cert, key, cafile, dhparams, capath), checked when
/// the address is checked: OpenSSL takes a missing capath without a word and the handshake then
/// fails with "unknown error", after the connection was made.
/// </summary>
internal static class TlsFiles
{
    private static readonly (string Option, string Shown)[] Files =
    [
        ("openssl-certificate", "cert"), ("openssl-key", "key"), ("openssl-cafile", "cafile"), ("openssl-dhparam", "dhparams"),
    ];

    // A path is quoted whole up to PATH_MAX (escaped), not cut as other tokens are.
    private const int PathShown = 4096;

    public static void Check(ResolvedAddress address)
    {
        var options = address.Options;
        if (EndpointRegistry.Listens(address.Kind.Keyword) && !options.Has("openssl-certificate"))
            throw new SharpCatException($"{address.Name}: option cert is required (the server's certificate and key)");
        foreach (var (option, shown) in Files)
            if (options.Text(option) is { } path) Readable(shown, path);
        if (options.Text("openssl-capath") is { } directory)
        {
            NoNul("capath", directory);
            if (!Posix.TryStat(directory, out var st)) throw new SharpCatException($"capath {Shown.Token(directory, PathShown)}: No such file or directory");
            if (st.FileType != Posix.S_IFDIR) throw new SharpCatException($"capath {Shown.Token(directory, PathShown)}: Not a directory");
        }
    }

    /// <summary>
    /// A file option names a file this process can read: open(2) says why not (missing, not
    /// allowed, a name too long), as OpenSSL would later.
    /// </summary>
    private static void Readable(string option, string path)
    {
        NoNul(option, path);
        int fd = Libc.Open(path, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        // errno first: formatting the message may make calls of its own (a first use of a type).
        if (fd < 0 && Posix.Errno is var errno) throw new SharpCatException($"{option} {Shown.Token(path, PathShown)}: {Posix.StrError(errno)}");
        try
        {
            if (Posix.FStat(fd).FileType == Posix.S_IFDIR) throw new SharpCatException($"{option} {Shown.Token(path, PathShown)}: Is a directory");
        }
        finally
        {
            Posix.Close(fd);
        }
    }

    // A C path ends at a NUL: OpenSSL would read another file than the one named.
    private static void NoNul(string option, string path)
    {
        if (path.Contains('\0')) throw new SharpCatException($"{option} {Shown.Token(path, PathShown)}: a file name cannot hold a NUL byte");
    }
}
