using System.Runtime.InteropServices;

namespace SharpCat.Native;

// Child processes, pseudo-terminals and terminal attributes (DESIGN.md §8: posix_spawn, never fork
// from managed code).
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "posix_spawn")]
    internal static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int SpawnFileActionsInit(void* actions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int SpawnFileActionsDestroy(void* actions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int SpawnFileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static partial int SpawnFileActionsAddOpen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclose")]
    internal static partial int SpawnFileActionsAddClose(void* actions, int fd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static partial int SpawnFileActionsAddCloseFrom(void* actions, int from);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    internal static partial int SpawnFileActionsAddChdir(void* actions, byte* path);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttrInit(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttrDestroy(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttrSetSigDefault(void* attributes, void* sigset);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int SpawnAttrSetSigMask(void* attributes, void* sigset);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setpgroup")]
    internal static partial int SpawnAttrSetPGroup(void* attributes, int pgroup);

    [LibraryImport(Lib, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* set);

    [LibraryImport(Lib, EntryPoint = "sigfillset")]
    internal static partial int SigFillSet(void* set);

    [LibraryImport(Lib, EntryPoint = "sigdelset")]
    internal static partial int SigDelSet(void* set, int signal);

    [LibraryImport(Lib, EntryPoint = "execve", SetLastError = true)]
    internal static partial int Execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "chroot", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chroot(string path);

    [LibraryImport(Lib, EntryPoint = "chdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chdir(string path);

    [LibraryImport(Lib, EntryPoint = "setuid", SetLastError = true)]
    internal static partial int SetUid(uint uid);

    [LibraryImport(Lib, EntryPoint = "setgid", SetLastError = true)]
    internal static partial int SetGid(uint gid);

    [LibraryImport(Lib, EntryPoint = "setgroups", SetLastError = true)]
    internal static partial int SetGroups(nuint count, uint* groups);

    [LibraryImport(Lib, EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetGroupList(string user, uint group, uint* groups, int* count);

    [LibraryImport(Lib, EntryPoint = "getpwuid")]
    internal static partial nint GetPwUid(uint uid);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "posix_openpt", SetLastError = true)]
    internal static partial int PosixOpenPt(int flags);

    [LibraryImport(Lib, EntryPoint = "grantpt", SetLastError = true)]
    internal static partial int GrantPt(int fd);

    [LibraryImport(Lib, EntryPoint = "unlockpt", SetLastError = true)]
    internal static partial int UnlockPt(int fd);

    [LibraryImport(Lib, EntryPoint = "ptsname_r", SetLastError = true)]
    internal static partial int PtsNameR(int fd, byte* buffer, nuint length);

    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    internal static partial int TcGetAttr(int fd, TermiosData* termios);

    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    internal static partial int TcSetAttr(int fd, int when, TermiosData* termios);

    [LibraryImport(Lib, EntryPoint = "cfsetispeed", SetLastError = true)]
    internal static partial int CfSetISpeed(TermiosData* termios, uint speed);

    [LibraryImport(Lib, EntryPoint = "cfsetospeed", SetLastError = true)]
    internal static partial int CfSetOSpeed(TermiosData* termios, uint speed);

    [LibraryImport(Lib, EntryPoint = "cfmakeraw")]
    internal static partial void CfMakeRaw(TermiosData* termios);

    [LibraryImport(Lib, EntryPoint = "symlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Symlink(string target, string linkPath);

    [LibraryImport(Lib, EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nint ReadLink(string path, byte* buffer, nuint size);

    [LibraryImport(Lib, EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Access(string path, int mode);
}

/// <summary>
/// glibc x86_64 <c>struct termios</c> as tcgetattr(3) fills it: 60 bytes, <c>c_cc[32]</c> at 17,
/// the speeds at 52 and 56 (DESIGN.md §8).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 60)]
internal unsafe struct TermiosData
{
    public uint IFlag, OFlag, CFlag, LFlag;
    public byte Line;
    public fixed byte ControlChars[32];
    public uint ISpeed, OSpeed;
}
