using System.Runtime.InteropServices;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// The FD and REG option groups, applied to an open descriptor in socat's phase order:
/// <see cref="ApplyFdPhase"/> right after opening, <see cref="ApplyLatePhase"/> just before the
/// relay starts. Each failing call is an error naming the call, as in socat.
/// </summary>
internal static unsafe class FdOptions
{
    private const nuint FS_IOC_GETFLAGS = 0x80086601, FS_IOC_SETFLAGS = 0x40086602;

    private static readonly (string Name, int Bit)[] FsFlags =
    [
        ("fs-secrm", 0x1), ("fs-unrm", 0x2), ("fs-compr", 0x4), ("fs-sync", 0x8), ("fs-immutable", 0x10),
        ("fs-append", 0x20), ("fs-nodump", 0x40), ("fs-noatime", 0x80), ("fs-journal-data", 0x4000),
        ("fs-notail", 0x8000), ("fs-dirsync", 0x10000), ("fs-topdir", 0x20000),
    ];

    private static readonly (string Name, int Operation)[] Flocks =
    [
        ("flock-sh", Posix.LOCK_SH), ("flock-sh-nb", Posix.LOCK_SH | Posix.LOCK_NB),
        ("flock-ex", Posix.LOCK_EX), ("flock-ex-nb", Posix.LOCK_EX | Posix.LOCK_NB),
    ];

    private static readonly (string Name, int Command, short Type)[] RecordLocks =
    [
        ("f-setlk-rd", Posix.F_SETLK, 0), ("f-setlk-wr", Posix.F_SETLK, 1),
        ("f-setlkw-rd", Posix.F_SETLKW, 0), ("f-setlkw-wr", Posix.F_SETLKW, 1),
    ];

    /// <summary>The FD phase: locks, ownership, permissions, status flags, ioctls, file attributes.</summary>
    /// <param name="fd">The open descriptor.</param>
    /// <param name="options">The address's options.</param>
    /// <param name="applyPerm">False when perm was already the creation mode of a new file.</param>
    /// <param name="applyOwner">False when user and group were already applied by name.</param>
    public static void ApplyFdPhase(int fd, OptionSet options, bool applyPerm = true, bool applyOwner = true)
    {
        foreach (var (name, op) in Flocks)
            if (options.Flag(name))
                options.Apply((fd, op), static s => { if (Libc.Flock(s.fd, s.op) != 0) throw Posix.Fail($"flock({s.fd}, {s.op})"); });
        foreach (var (name, cmd, type) in RecordLocks)
            if (options.Flag(name)) options.Apply((fd, cmd, type), static s => SetRecordLock(s.fd, s.cmd, s.type));
        if (applyOwner) ChownIfAsked(fd, options, "user", "group");
        if (applyPerm) FChmodIfAsked(fd, options, "perm");
        // socat 1.8's f-setpipe-sz: a pipe's (or FIFO's) buffer; anything else fails as fcntl says.
        if (options.Number("f-setpipe-sz") is long pipeSize)
            options.Apply((fd, pipeSize), static s =>
            {
                const int F_SETPIPE_SZ = 1031;
                if (Libc.Fcntl(s.fd, F_SETPIPE_SZ, (nint)s.pipeSize) < 0) throw Posix.Fail($"fcntl({s.fd}, {F_SETPIPE_SZ}, 0x{s.pipeSize:x})");
            });
        SetStatusFlagIfAsked(fd, options, "o-nonblock", Posix.O_NONBLOCK);
        SetStatusFlagIfAsked(fd, options, "o-noatime", Posix.O_NOATIME);
        foreach (var o in options.Items)
            if (o.Def.Name.StartsWith("ioctl-", StringComparison.Ordinal)) options.Apply((fd, o), static s => ApplyIoctl(s.fd, s.o));
        if (TermiosOptions.Any(options)) options.Apply((fd, options), static s => TermiosOptions.Apply(s.fd, s.options));
        foreach (var (name, _) in FsFlags)
        {
            if (!options.Has(name)) continue;
            options.Apply((fd, options), static s => ApplyFileAttributes(s.fd, s.options));
            break;
        }
    }

    /// <summary>The LATE phase: seek, truncate, append, close-on-exec, late ownership and permissions.</summary>
    /// <param name="fd">The open descriptor.</param>
    /// <param name="options">The address's options.</param>
    /// <param name="applyOwner">False when user-late, group-late and perm-late were applied by name.</param>
    public static void ApplyLatePhase(int fd, OptionSet options, bool applyOwner = true)
    {
        SetStatusFlagIfAsked(fd, options, "append", Posix.O_APPEND);
        SetStatusFlagIfAsked(fd, options, "async", Posix.O_ASYNC);
        if (options.Find("cloexec") is { } ce)
        {
            int set = ce.Value is true ? Posix.FD_CLOEXEC : 0;
            options.Apply((fd, set), static s => { if (Libc.Fcntl(s.fd, Posix.F_SETFD, s.set) != 0) throw Posix.Fail($"fcntl({s.fd}, F_SETFD, {s.set})"); });
        }
        foreach (var o in options.Items)
        {
            Action<(int Fd, long Value)>? step = o.Def.Name switch
            {
                "lseek32-set" or "lseek64-set" => static s => Seek(s.Fd, s.Value, Posix.SEEK_SET),
                "lseek32-cur" or "lseek64-cur" => static s => Seek(s.Fd, s.Value, Posix.SEEK_CUR),
                "lseek32-end" or "lseek64-end" => static s => Seek(s.Fd, s.Value, Posix.SEEK_END),
                "ftruncate32" or "ftruncate64" => static s =>
                {
                    if (Libc.FTruncate(s.Fd, s.Value) != 0) throw Posix.Fail($"ftruncate({s.Fd}, {s.Value})");
                },
                _ => null,
            };
            if (step is not null) options.Apply((fd, (long)o.Value!), step);
        }
        if (applyOwner)
        {
            ChownIfAsked(fd, options, "user-late", "group-late");
            FChmodIfAsked(fd, options, "perm-late");
        }
        if (options.Flag("tiocsctty")) MakeControllingTerminal(fd);
    }

    /// <summary>The shut-* option given last, or the default way of half-closing.</summary>
    public static ShutdownMode ShutdownMode(OptionSet options)
    {
        var mode = Relay.ShutdownMode.Default;
        foreach (var o in options.Items)
        {
            mode = o.Def.Name switch
            {
                "shut-none" => Relay.ShutdownMode.None,
                "shut-down" => Relay.ShutdownMode.Down,
                "shut-close" => Relay.ShutdownMode.Close,
                "shut-null" => Relay.ShutdownMode.Null,
                _ => mode,
            };
        }
        return mode;
    }

    /// <summary>
    /// ctty on an opened terminal: it becomes SharpCat's controlling terminal. Like socat, a refusal
    /// (SharpCat is no session leader, or already has one) is a warning.
    /// </summary>
    private static void MakeControllingTerminal(int fd)
    {
        const nuint TIOCSCTTY = 0x540E;
        if (Libc.Ioctl(fd, TIOCSCTTY, 0) != 0) Log.Warn($"ioctl({fd}, TIOCSCTTY, NULL): {Posix.StrError(Posix.Errno)}");
    }

    private static void ChownIfAsked(int fd, OptionSet options, string user, string group)
    {
        uint? uid = options.Id(user), gid = options.Id(group);
        if (uid is null && gid is null) return;
        options.Apply((fd, u: uid ?? uint.MaxValue, g: gid ?? uint.MaxValue), static s =>
        {
            if (Libc.FChown(s.fd, s.u, s.g) != 0) throw Posix.Fail($"fchown({s.fd}, {(int)s.u}, {(int)s.g})");
        });
    }

    private static void FChmodIfAsked(int fd, OptionSet options, string name)
    {
        if (options.Id(name) is not uint mode) return;
        options.Apply((fd, mode), static s => { if (Libc.FChmod(s.fd, s.mode) != 0) throw Posix.Fail($"fchmod({s.fd}, {Posix.Octal(s.mode)})"); });
    }

    private static void SetStatusFlagIfAsked(int fd, OptionSet options, string name, int flag)
    {
        if (options.Find(name) is not { } o) return;
        options.Apply((fd, flag, on: o.Value is true), static s =>
        {
            int fl = Posix.GetFl(s.fd);
            Posix.SetFl(s.fd, s.on ? fl | s.flag : fl & ~s.flag);
        });
    }

    private static void Seek(int fd, long offset, int whence)
    {
        if (Libc.LSeek(fd, offset, whence) < 0) throw Posix.Fail($"lseek({fd}, {offset}, {whence})");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FLock
    {
        public short Type, Whence;
        public long Start, Length;
        public int Pid;
    }

    private static void SetRecordLock(int fd, int cmd, short type)
    {
        var fl = new FLock { Type = type, Whence = (short)Posix.SEEK_SET };
        if (Libc.Fcntl(fd, cmd, (nint)(&fl)) != 0)
            throw Posix.Fail($"fcntl({fd}, {(cmd == Posix.F_SETLK ? "F_SETLK" : "F_SETLKW")}, {{type={(type == 0 ? "F_RDLCK" : "F_WRLCK")}}})");
    }

    private static void ApplyIoctl(int fd, ResolvedOption o)
    {
        switch (o.Def.Name)
        {
            case "ioctl-void":
                Ioctl(fd, (nuint)(long)o.Value!, 0);
                break;
            case "ioctl-int":
            {
                var v = (long[])o.Value!;
                Ioctl(fd, (nuint)v[0], (nint)v[1]);
                break;
            }
            case "ioctl-intp":
            {
                var v = (long[])o.Value!;
                int arg = (int)v[1];
                Ioctl(fd, (nuint)v[0], (nint)(&arg));
                break;
            }
            case "ioctl-bin" or "ioctl-string":
            {
                var (request, data) = ((long, byte[]))o.Value!;
                fixed (byte* p = data) Ioctl(fd, (nuint)request, (nint)p);
                break;
            }
        }
    }

    private static void Ioctl(int fd, nuint request, nint arg)
    {
        if (Libc.Ioctl(fd, request, arg) < 0) throw Posix.Fail($"ioctl({fd}, 0x{request:x}, 0x{arg:x})");
    }

    private static void ApplyFileAttributes(int fd, OptionSet options)
    {
        int flags = 0;
        if (Libc.Ioctl(fd, FS_IOC_GETFLAGS, (nint)(&flags)) < 0) throw Posix.Fail($"ioctl({fd}, FS_IOC_GETFLAGS)");
        foreach (var (name, bit) in FsFlags)
            if (options.Find(name) is { } o) flags = o.Value is true ? flags | bit : flags & ~bit;
        if (Libc.Ioctl(fd, FS_IOC_SETFLAGS, (nint)(&flags)) < 0) throw Posix.Fail($"ioctl({fd}, FS_IOC_SETFLAGS, 0x{flags:x})");
        Log.Info($"file attributes of fd {fd} set to 0x{flags:x}");
    }
}
