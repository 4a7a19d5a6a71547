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
    public static void ApplyFdPhase(int fd, OptionSet options, bool applyPerm = true)
    {
        foreach (var (name, op) in Flocks)
            if (options.Flag(name))
                options.Apply(() => { if (Libc.Flock(fd, op) != 0) throw Posix.Fail($"flock({fd}, {op})"); });
        foreach (var (name, cmd, type) in RecordLocks)
            if (options.Flag(name)) options.Apply(() => SetRecordLock(fd, cmd, type));
        options.Apply(() => Chown(fd, options.Id("user"), options.Id("group")));
        if (applyPerm && options.Id("perm") is uint mode)
            options.Apply(() => { if (Libc.FChmod(fd, mode) != 0) throw Posix.Fail($"fchmod({fd}, {Posix.Octal(mode)})"); });
        options.Apply(() => SetStatusFlag(fd, options, "o-nonblock", Posix.O_NONBLOCK));
        options.Apply(() => SetStatusFlag(fd, options, "o-noatime", Posix.O_NOATIME));
        foreach (var o in options.Items)
            if (o.Def.Name.StartsWith("ioctl-", StringComparison.Ordinal)) options.Apply(() => ApplyIoctl(fd, o));
        options.Apply(() => ApplyFileAttributes(fd, options));
    }

    /// <summary>The LATE phase: seek, truncate, append, close-on-exec, late ownership and permissions.</summary>
    public static void ApplyLatePhase(int fd, OptionSet options)
    {
        options.Apply(() => SetStatusFlag(fd, options, "append", Posix.O_APPEND));
        options.Apply(() => SetStatusFlag(fd, options, "async", Posix.O_ASYNC));
        if (options.Find("cloexec") is { } ce)
        {
            int set = ce.Value is true ? Posix.FD_CLOEXEC : 0;
            options.Apply(() => { if (Libc.Fcntl(fd, Posix.F_SETFD, set) != 0) throw Posix.Fail($"fcntl({fd}, F_SETFD, {set})"); });
        }
        foreach (var o in options.Items)
        {
            Action? step = o.Def.Name switch
            {
                "lseek32-set" or "lseek64-set" => () => Seek(fd, (long)o.Value!, Posix.SEEK_SET),
                "lseek32-cur" or "lseek64-cur" => () => Seek(fd, (long)o.Value!, Posix.SEEK_CUR),
                "lseek32-end" or "lseek64-end" => () => Seek(fd, (long)o.Value!, Posix.SEEK_END),
                "ftruncate32" or "ftruncate64" => () =>
                {
                    if (Libc.FTruncate(fd, (long)o.Value!) != 0) throw Posix.Fail($"ftruncate({fd}, {o.Value})");
                },
                _ => null,
            };
            if (step is not null) options.Apply(step);
        }
        options.Apply(() => Chown(fd, options.Id("user-late"), options.Id("group-late")));
        if (options.Id("perm-late") is uint mode)
            options.Apply(() => { if (Libc.FChmod(fd, mode) != 0) throw Posix.Fail($"fchmod({fd}, {Posix.Octal(mode)})"); });
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

    private static void Chown(int fd, uint? uid, uint? gid)
    {
        if (uid is null && gid is null) return;
        uint u = uid ?? uint.MaxValue, g = gid ?? uint.MaxValue;
        if (Libc.FChown(fd, u, g) != 0) throw Posix.Fail($"fchown({fd}, {(int)u}, {(int)g})");
    }

    private static void SetStatusFlag(int fd, OptionSet options, string name, int flag)
    {
        if (options.Find(name) is not { } o) return;
        int fl = Posix.GetFl(fd);
        Posix.SetFl(fd, o.Value is true ? fl | flag : fl & ~flag);
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
        if (!FsFlags.Any(f => options.Has(f.Name))) return;
        int flags = 0;
        if (Libc.Ioctl(fd, FS_IOC_GETFLAGS, (nint)(&flags)) < 0) throw Posix.Fail($"ioctl({fd}, FS_IOC_GETFLAGS)");
        foreach (var (name, bit) in FsFlags)
            if (options.Find(name) is { } o) flags = o.Value is true ? flags | bit : flags & ~bit;
        if (Libc.Ioctl(fd, FS_IOC_SETFLAGS, (nint)(&flags)) < 0) throw Posix.Fail($"ioctl({fd}, FS_IOC_SETFLAGS, 0x{flags:x})");
        Log.Info($"file attributes of fd {fd} set to 0x{flags:x}");
    }
}
