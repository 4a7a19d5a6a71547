using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// The NAMED option group: what is done to a file system entry by name before and after it is
/// opened (unlink, umask, ownership and mode set early, removal after open or on close).
/// </summary>
internal static class NamedOptions
{
    /// <summary>EARLY and PREOPEN phases: removes or prepares the entry before it is opened.</summary>
    public static void BeforeOpen(string path, OptionSet options)
    {
        if (options.Flag("unlink-early") || options.Flag("unlink")) options.Apply(() => UnlinkIfPresent(path));
        SetOwnerAndMode(path, options, "user-early", "group-early", "perm-early");
    }

    /// <summary>chown/chmod by path from the given options (socket files, entries before opening).</summary>
    /// <param name="path">The entry.</param>
    /// <param name="options">The address's options.</param>
    /// <param name="user">The option holding the owner.</param>
    /// <param name="group">The option holding the group.</param>
    /// <param name="perm">The option holding the mode, or null where the mode was the creation mode.</param>
    public static void SetOwnerAndMode(string path, OptionSet options, string user, string group, string? perm)
    {
        uint? uid = options.Id(user), gid = options.Id(group);
        if (uid is not null || gid is not null)
            options.Apply(() =>
            {
                if (Libc.Chown(path, uid ?? uint.MaxValue, gid ?? uint.MaxValue) != 0)
                    throw Posix.Fail($"chown(\"{path}\", {(int)(uid ?? uint.MaxValue)}, {(int)(gid ?? uint.MaxValue)})");
            });
        if (perm is not null && options.Id(perm) is uint mode)
            options.Apply(() => { if (Libc.Chmod(path, mode) != 0) throw Posix.Fail($"chmod(\"{path}\", {Posix.Octal(mode)})"); });
    }

    /// <summary>Runs <paramref name="create"/> under the address's umask, if it sets one, then restores the process umask.</summary>
    public static T WithUmask<T>(OptionSet options, Func<T> create)
    {
        if (options.Id("umask") is not uint mask) return create();
        uint previous = Libc.Umask(mask);
        try { return create(); }
        finally { Libc.Umask(previous); }
    }

    /// <summary>PASTOPEN phase: <c>unlink-late</c> removes the entry once it is open.</summary>
    public static void AfterOpen(string path, OptionSet options)
    {
        if (options.Flag("unlink-late")) options.Apply(() => Unlink(path));
    }

    /// <summary>The clean-up to run when the address is closed (<c>unlink-close</c>), or null.</summary>
    public static Action? OnClose(string path, OptionSet options) =>
        options.Flag("unlink-close") ? () => UnlinkIfPresent(path) : null;

    /// <summary>
    /// Whether a socket file this address made goes when it closes: <c>unlink-close</c>, on unless
    /// set to 0, as socat's default is for the files it makes (listening, receiving and bind= files).
    /// </summary>
    public static bool RemovesOnClose(OptionSet options) => options.Find("unlink-close") is not { Value: false };

    public static void UnlinkIfPresent(string path)
    {
        if (Libc.Unlink(path) != 0 && Posix.Errno != Posix.ENOENT) throw Posix.Fail($"unlink(\"{path}\")");
    }

    private static void Unlink(string path)
    {
        if (Libc.Unlink(path) != 0) throw Posix.Fail($"unlink(\"{path}\")");
        Log.Info($"unlinked \"{path}\"");
    }

    /// <summary>socat's words for a file type in its "opening …" notices.</summary>
    public static string FileTypeName(string path)
    {
        if (!Posix.TryStat(path, out var st)) return "undef";
        return st.FileType switch
        {
            Posix.S_IFREG => "regular file",
            Posix.S_IFDIR => "directory",
            Posix.S_IFCHR => "character device",
            Posix.S_IFBLK => "block device",
            Posix.S_IFIFO => "named pipe",
            Posix.S_IFSOCK => "socket",
            Posix.S_IFLNK => "symbolic link",
            _ => "undef",
        };
    }
}
