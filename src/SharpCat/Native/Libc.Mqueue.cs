using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>POSIX message queues (glibc ≥ 2.34 has them in libc itself; a queue descriptor is an fd on Linux).</summary>
internal static unsafe partial class Libc
{
    // mq_open is variadic; with the mode and attr passed, glibc reads exactly these two.
    [LibraryImport(Lib, EntryPoint = "mq_open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MqOpen(string name, int oflag, uint mode, MqAttr* attr);

    [LibraryImport(Lib, EntryPoint = "mq_close", SetLastError = true)]
    internal static partial int MqClose(int mqd);

    [LibraryImport(Lib, EntryPoint = "mq_unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MqUnlink(string name);

    [LibraryImport(Lib, EntryPoint = "mq_getattr", SetLastError = true)]
    internal static partial int MqGetAttr(int mqd, MqAttr* attr);

    [LibraryImport(Lib, EntryPoint = "mq_send", SetLastError = true)]
    internal static partial int MqSend(int mqd, byte* message, nuint length, uint priority);

    [LibraryImport(Lib, EntryPoint = "mq_receive", SetLastError = true)]
    internal static partial nint MqReceive(int mqd, byte* message, nuint length, uint* priority);
}

/// <summary>glibc x86_64 <c>struct mq_attr</c>: four longs and four reserved ones (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct MqAttr
{
    public long Flags, MaxMsg, MsgSize, CurMsgs;
}
