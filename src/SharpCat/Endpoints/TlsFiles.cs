using SharpCat.Catalog;
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

    public static void Check(ResolvedAddress address)
    {
        var options = address.Options;
        if (EndpointRegistry.Listens(address.Kind.Keyword) && !options.Has("openssl-certificate"))
            throw new SharpCatException($"{address.Name}: option cert is required (the server's certificate and key)");
        foreach (var (option, shown) in Files)
            if (options.Text(option) is { } path) Readable(shown, path);
        if (options.Text("openssl-capath") is { } directory)
        {
            if (!Posix.TryStat(directory, out var st)) throw new SharpCatException($"capath \"{directory}\": No such file or directory");
            if (st.FileType != Posix.S_IFDIR) throw new SharpCatException($"capath \"{directory}\": Not a directory");
        }
    }

    /// <summary>A file option names a file this process can read; the message says which and why not.</summary>
    public static void Readable(string option, string path)
    {
        if (Directory.Exists(path)) throw new SharpCatException($"{option} \"{path}\": Is a directory");
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SharpCatException($"{option} \"{path}\": No such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new SharpCatException($"{option} \"{path}\": Permission denied");
        }
    }
}
