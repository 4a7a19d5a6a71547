using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>
/// The libc calls SharpCat needs beyond what the BCL offers. Source-generated marshalling only
/// (AOT-safe); every caller goes through <see cref="Posix"/> so failures become one error type.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int nstype);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int SetSid();

    [LibraryImport(Lib, EntryPoint = "setpgid", SetLastError = true)]
    internal static partial int SetPgid(int pid, int pgid);

    [LibraryImport(Lib, EntryPoint = "getppid")]
    internal static partial int GetPpid();

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MkFifo(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Unlink(string path);

    [LibraryImport(Lib, EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Link(string existing, string newPath);

    [LibraryImport(Lib, EntryPoint = "fstat", SetLastError = true)]
    internal static partial int FStat(int fd, StatBuffer* buf);

    [LibraryImport(Lib, EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Stat(string path, StatBuffer* buf);

    [LibraryImport(Lib, EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int LStat(string path, StatBuffer* buf);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int FChmod(int fd, uint mode);

    [LibraryImport(Lib, EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chmod(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int FChown(int fd, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "umask")]
    internal static partial uint Umask(uint mask);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, nint arg);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int FTruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, nint arg);

    [LibraryImport(Lib, EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);

    [LibraryImport(Lib, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(Lib, EntryPoint = "dup", SetLastError = true)]
    internal static partial int Dup(int fd);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(int fd, void* message, int flags);

    [LibraryImport(Lib, EntryPoint = "if_indextoname")]
    internal static partial byte* IfIndexToName(uint index, byte* name);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int Accept4(int fd, byte* address, uint* length, int flags);

    [LibraryImport(Lib, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, byte* address, uint* length);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport(Lib, EntryPoint = "recvfrom", SetLastError = true)]
    internal static partial nint RecvFrom(int fd, byte* buffer, nint length, int flags, byte* address, uint* addressLength);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getservbyname", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetServByName(string name, string protocol);

    [LibraryImport(Lib, EntryPoint = "getaddrinfo", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetAddrInfo(string? node, string? service, void* hints, void** result);

    [LibraryImport(Lib, EntryPoint = "freeaddrinfo")]
    internal static partial void FreeAddrInfo(void* info);

    [LibraryImport(Lib, EntryPoint = "gai_strerror")]
    internal static partial nint GaiStrError(int code);

    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    internal static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    internal static partial int GetRLimit(int resource, ulong* limits);

    [LibraryImport(Lib, EntryPoint = "setrlimit", SetLastError = true)]
    internal static partial int SetRLimit(int resource, ulong* limits);

    [LibraryImport(Lib, EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetPwNam(string name);

    [LibraryImport(Lib, EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetGrNam(string name);

    [LibraryImport(Lib, EntryPoint = "gethostname", SetLastError = true)]
    internal static partial int GetHostName(byte* name, nint len);

    [LibraryImport(Lib, EntryPoint = "uname", SetLastError = true)]
    internal static partial int Uname(byte* buf);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeout);

}

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events, Revents;
}

/// <summary>glibc x86_64 <c>struct stat</c> (144 bytes); only the fields SharpCat reads are named.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct StatBuffer
{
    [FieldOffset(0)] public ulong Device;
    [FieldOffset(8)] public ulong Inode;
    [FieldOffset(16)] public ulong Links;
    [FieldOffset(24)] public uint Mode;
    [FieldOffset(28)] public uint Uid;
    [FieldOffset(32)] public uint Gid;
    [FieldOffset(40)] public ulong RDevice;
    [FieldOffset(48)] public long Size;
    [FieldOffset(56)] public long BlockSize;
    [FieldOffset(64)] public long Blocks;
    [FieldOffset(72)] public long AccessTime;
    [FieldOffset(88)] public long ModifyTime;
    [FieldOffset(104)] public long ChangeTime;

    public readonly uint FileType => Mode & Posix.S_IFMT;
}
