using System.Runtime.InteropServices;

namespace SharpCat.Native;

internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initial, int flags);
}

/// <summary>
/// <c>struct epoll_event</c> as x86-64 lays it out (packed: the data at offset 4, 12 bytes). Other
/// architectures align the data to 8, so callers check <see cref="Epoll.Supported"/> first.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}

/// <summary>epoll(7) for the relay's own event loop, with failures as <see cref="PosixException"/>.</summary>
internal static unsafe class Epoll
{
    public const uint In = 0x001, Out = 0x004, Err = 0x008, Hup = 0x010, RdHup = 0x2000, OneShot = 1u << 30, EdgeTriggered = 1u << 31;
    private const int EPOLL_CLOEXEC = 0x80000, EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    private const int Add = 1, Delete = 2, Modify = 3;

    /// <summary>Only where <see cref="EpollEvent"/> has the kernel's layout.</summary>
    public static bool Supported => RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux();

    public static int Create()
    {
        int fd = Libc.EpollCreate1(EPOLL_CLOEXEC);
        return fd >= 0 ? fd : throw Posix.Fail("epoll_create1(EPOLL_CLOEXEC)");
    }

    public static int CreateEventFd()
    {
        int fd = Libc.EventFd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        return fd >= 0 ? fd : throw Posix.Fail("eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK)");
    }

    /// <summary>
    /// Registers, changes or removes <paramref name="fd"/>'s interest: <paramref name="before"/> is
    /// what was registered (0: nothing), <paramref name="after"/> what should be (0: nothing).
    /// </summary>
    public static void Change(int epoll, int fd, uint before, uint after, ulong data)
    {
        if (before == after) return;
        int op = after == 0 ? Delete : before == 0 ? Add : Modify;
        var ev = new EpollEvent { Events = after, Data = data };
        if (Libc.EpollCtl(epoll, op, fd, &ev) != 0)
            throw Posix.Fail($"epoll_ctl({epoll}, {(op == Add ? "EPOLL_CTL_ADD" : op == Delete ? "EPOLL_CTL_DEL" : "EPOLL_CTL_MOD")}, {fd}, 0x{after:x})");
    }

    /// <summary>Arms a one-shot registration (adding it the first time); the errno on failure, else 0.</summary>
    public static int TryArm(int epoll, int fd, bool added, uint events, ulong data)
    {
        var ev = new EpollEvent { Events = events | OneShot, Data = data };
        return Libc.EpollCtl(epoll, added ? Modify : Add, fd, &ev) == 0 ? 0 : Posix.Errno;
    }

    /// <summary>Removes a registration; a descriptor already gone has none left to remove.</summary>
    public static void Remove(int epoll, int fd) => Libc.EpollCtl(epoll, Delete, fd, null);

    /// <summary>Waits for events; the number filled, 0 when interrupted by a signal.</summary>
    public static int Wait(int epoll, EpollEvent* events, int max, int timeoutMs)
    {
        int n = Libc.EpollWait(epoll, events, max, timeoutMs);
        if (n >= 0) return n;
        if (Posix.Errno == Posix.EINTR) return 0;
        throw Posix.Fail($"epoll_wait({epoll}, {max}, {timeoutMs})");
    }
}
