using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// OPEN, CREATE and GOPEN: file system entries opened with open(2), with the NAMED, OPEN, FD and
/// REG option groups applied in socat's phase order.
/// </summary>
internal static class FileEndpoints
{
    private const uint DefaultMode = 0x1B6; // 0666, narrowed by the umask

    private static readonly (string Name, int Flag)[] OpenFlags =
    [
        ("o-create", Posix.O_CREAT), ("o-excl", Posix.O_EXCL), ("o-trunc", Posix.O_TRUNC),
        ("o-noctty", Posix.O_NOCTTY), ("o-sync", Posix.O_SYNC), ("o-dsync", Posix.O_DSYNC),
        ("o-rsync", Posix.O_RSYNC), ("o-direct", Posix.O_DIRECT), ("o-directory", Posix.O_DIRECTORY),
        ("o-largefile", Posix.O_LARGEFILE), ("o-nofollow", Posix.O_NOFOLLOW), ("o-nonblock", Posix.O_NONBLOCK),
        ("o-noatime", Posix.O_NOATIME),
    ];

    public static ValueTask<IChannel> OpenFile(OpenRequest request, CancellationToken ct) =>
        OffThreadUnlessRegular(request.Parameters[0], () => Open(request, request.Parameters[0], AccessFlags(request.Access), request.Access, "opening"), ct);

    /// <summary>
    /// CREATE is creat(2): write-only, created, truncated. Unlike socat, which also tries to read
    /// the write-only fd and fails, a bidirectional relay simply reads nothing from it.
    /// </summary>
    public static ValueTask<IChannel> OpenCreate(OpenRequest request, CancellationToken ct) =>
        OffThreadUnlessRegular(request.Parameters[0], () => Open(request, request.Parameters[0], Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC, Access.Write, "creating"), ct);

    /// <summary>GOPEN opens anything but a directory: a missing entry is created, an existing one is appended to.</summary>
    public static ValueTask<IChannel> OpenGeneric(OpenRequest request, CancellationToken ct)
    {
        string path = request.Parameters[0];
        // A UNIX socket is connected to, as a stream or else as a datagram socket.
        if (Posix.TryStat(path, out var st) && st.FileType == Posix.S_IFSOCK)
            return UnixDatagramEndpoints.ClientAsync(request, abstractName: false, ct);
        int flags = AccessFlags(request.Access) | Posix.O_CREAT;
        if (Posix.TryStat(path, out _) && (request.Access & Access.Write) != 0) flags |= Posix.O_APPEND;
        return OffThreadUnlessRegular(path, () => Open(request, path, flags, request.Access, "opening"), ct);
    }

    /// <summary>
    /// <see cref="OffThread"/>, except for a regular file or a path that does not exist yet: their
    /// open(2) cannot wait for a peer, so it runs here, and a relay of two files starts no thread.
    /// </summary>
    private static ValueTask<IChannel> OffThreadUnlessRegular(string path, Func<IChannel> open, CancellationToken ct)
    {
        if (Posix.TryStat(path, out var st) && st.FileType != Posix.S_IFREG) return OffThread(open, ct);
        try
        {
            return ValueTask.FromResult(open());
        }
        catch (Exception e)
        {
            return ValueTask.FromException<IChannel>(e);
        }
    }

    /// <summary>
    /// Runs an open(2) on a pool thread: opening a FIFO, a tty or a device can block until its peer
    /// appears, and must not hold up the caller (with fork: the accept loop). Cancelling (SIGTERM)
    /// ends the wait at once, as the signal ends socat in its open(2): the blocked call cannot be
    /// interrupted, so it is left behind, and whatever it opens later is closed.
    /// </summary>
    internal static ValueTask<IChannel> OffThread(Func<IChannel> open, CancellationToken ct)
    {
        var opening = Task.Run(open, ct);
        return new(ct.CanBeCanceled && !opening.IsCompleted ? AbandonOnCancelAsync(opening, ct) : opening);
    }

    private static async Task<IChannel> AbandonOnCancelAsync(Task<IChannel> opening, CancellationToken ct)
    {
        try
        {
            return await opening.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!opening.IsCompleted)
        {
            _ = opening.ContinueWith(static async t =>
            {
                if (t.IsCompletedSuccessfully) await t.Result.DisposeAsync().ConfigureAwait(false);
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
    }

    internal static int AccessFlags(Access access) => access switch
    {
        Access.Read => Posix.O_RDONLY,
        Access.Write => Posix.O_WRONLY,
        _ => Posix.O_RDWR,
    };

    private static IChannel Open(OpenRequest request, string path, int flags, Access access, string verb)
    {
        var options = request.Options;
        flags = ApplyOpenFlags(flags, options, ref access);
        NamedOptions.BeforeOpen(path, options);
        Log.Notice($"{verb} {NamedOptions.FileTypeName(path)} \"{path}\" for {Describe(access)}");
        // perm is the creation mode, narrowed by the umask; as in socat an existing entry keeps its mode.
        uint mode = options.Id("perm") ?? DefaultMode;
        int fd = NamedOptions.WithUmask(options, () => Posix.Open(path, flags, mode));
        Log.Info($"open(\"{path}\", 0{Convert.ToString(flags, 8)}, {Posix.Octal(mode)}) -> {fd}");
        return FdEndpoint.Finish(fd, path, access, options, applyPerm: false);
    }

    /// <summary>Adds the OPEN group's flags; o-rdonly, o-wronly and o-rdwr replace the access mode.</summary>
    internal static int ApplyOpenFlags(int flags, OptionSet options, ref Access access)
    {
        foreach (var (name, flag) in OpenFlags)
            if (options.Find(name) is { } o) flags = o.Value is true ? flags | flag : flags & ~flag;
        foreach (var o in options.Items)
        {
            (int mode, Access a) = o.Def.Name switch
            {
                "o-rdonly" => (Posix.O_RDONLY, Access.Read),
                "o-wronly" => (Posix.O_WRONLY, Access.Write),
                "o-rdwr" => (Posix.O_RDWR, Access.ReadWrite),
                _ => (-1, access),
            };
            if (mode >= 0 && o.Value is true) { flags = (flags & ~Posix.O_ACCMODE) | mode; access = a; }
        }
        return flags;
    }

    internal static string Describe(Access access) => access switch
    {
        Access.Read => "reading",
        Access.Write => "writing",
        _ => "reading and writing",
    };
}

/// <summary>Turns an open descriptor into a channel, applying the FD-level options.</summary>
internal static class FdEndpoint
{
    /// <summary>
    /// Applies the FD and LATE phase options to a freshly opened fd and wraps it. The fd is closed
    /// again if an option fails, so a failed address leaves nothing open.
    /// </summary>
    /// <param name="fd">The open descriptor.</param>
    /// <param name="path">The entry it was opened by (for the NAMED options), or null.</param>
    /// <param name="access">The directions to relay.</param>
    /// <param name="options">The address's options.</param>
    /// <param name="applyPerm">False when perm was the creation mode of a new entry.</param>
    /// <param name="applyOwner">
    /// False when ownership and modes were applied by name instead (a new FIFO, a pty's slave).
    /// </param>
    public static FdChannel Finish(int fd, string? path, Access access, OptionSet options, bool applyPerm, bool applyOwner = true)
    {
        try
        {
            var terminal = Termios.Save(fd);
            FdOptions.ApplyFdPhase(fd, options, applyPerm && applyOwner, applyOwner);
            if (path is not null) NamedOptions.AfterOpen(path, options);
            FdOptions.ApplyLatePhase(fd, options, applyOwner);
            var stream = new FdStream(fd, owns: true, terminal);
            var channel = new FdChannel((access & Access.Read) != 0 ? stream : null, (access & Access.Write) != 0 ? stream : null);
            channel.Shutdown = FdOptions.ShutdownMode(options);
            if (path is not null && NamedOptions.OnClose(path, options) is { } cleanup) channel.OnClose(cleanup);
            return channel;
        }
        catch
        {
            Posix.Close(fd);
            throw;
        }
    }
}
