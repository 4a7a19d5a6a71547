using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Native;

/// <summary>
/// Thin checked wrappers over <see cref="Libc"/>: each failure throws a <see cref="PosixException"/>
/// that names the call the way socat's messages do, e.g. <c>open("/x", 02, 0666): No such file or directory</c>.
/// </summary>
internal static unsafe class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3;
    public const int O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_TRUNC = 0x200, O_APPEND = 0x400,
        O_NONBLOCK = 0x800, O_DSYNC = 0x1000, O_ASYNC = 0x2000, O_DIRECT = 0x4000, O_LARGEFILE = 0x8000,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_NOATIME = 0x40000, O_CLOEXEC = 0x80000,
        O_SYNC = 0x101000, O_RSYNC = 0x101000;
    public const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;
    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_SETLK = 6, F_SETLKW = 7, FD_CLOEXEC = 1;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
    public const int SHUT_WR = 1;
    public const int EINTR = 4, EIO = 5, EAGAIN = 11, EEXIST = 17, ENOTSOCK = 88, ENOENT = 2, ENOTDIR = 20;

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static PosixException Fail(string call) => new(call, Errno);

    /// <summary>open(2) with O_CLOEXEC added (our fds never leak into children); messages show the flags as given.</summary>
    public static int Open(string path, int flags, uint mode)
    {
        int fd;
        do { fd = Libc.Open(path, flags | O_CLOEXEC, mode); } while (fd < 0 && Errno == EINTR);
        if (fd < 0) throw Fail($"open(\"{path}\", 0{Convert.ToString(flags, 8)}, 0{Convert.ToString(mode, 8)})");
        return fd;
    }

    public static void Close(int fd) => Libc.Close(fd);

    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.Read(fd, p, buffer.Length);
                if (n >= 0) return (int)n;
                if (Errno != EINTR) throw Fail($"read({fd}, {buffer.Length})");
            }
        }
    }

    /// <summary>One read(2); the negated errno on failure (so EAGAIN can be told apart without throwing).</summary>
    public static int TryRead(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.Read(fd, p, buffer.Length);
                if (n >= 0) return (int)n;
                int e = Errno;
                if (e != EINTR) return -e;
            }
        }
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = Libc.Write(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    if (Errno == EINTR) continue;
                    throw Fail($"write({fd}, {data.Length - done})");
                }
                done += (int)n;
            }
        }
    }

    /// <summary>Writes what the kernel takes now; -1 when the fd would block (O_NONBLOCK).</summary>
    public static int TryWrite(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                nint n = Libc.Write(fd, p, data.Length);
                if (n >= 0) return (int)n;
                int e = Errno;
                if (e == EINTR) continue;
                if (e == EAGAIN) return -1;
                throw new PosixException($"write({fd}, {data.Length})", e);
            }
        }
    }

    public static (int Read, int Write) Pipe(int extraFlags = 0)
    {
        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, O_CLOEXEC | extraFlags) != 0) throw Fail("pipe()");
        return (fds[0], fds[1]);
    }

    /// <summary>socketpair(2), close-on-exec; the call's failure in socat's wording (<c>socketpair(1, 7, 0)</c>).</summary>
    public static (int First, int Second) SocketPair(int domain, int type, int protocol)
    {
        const int SOCK_CLOEXEC = 0x80000;
        int* fds = stackalloc int[2];
        if (Libc.SocketPair(domain, type | SOCK_CLOEXEC, protocol, fds) != 0) throw Fail($"socketpair({domain}, {type}, {protocol})");
        return (fds[0], fds[1]);
    }

    /// <summary>
    /// Waits until <paramref name="fd"/> has one of <paramref name="events"/> or <paramref name="cancelFd"/>
    /// becomes readable (then -ECANCELED): for descriptors .NET's engine cannot wait on (message queues).
    /// </summary>
    public static int PollWithCancel(int fd, short events, int cancelFd)
    {
        const int POLLIN = 1, ECANCELED = 125;
        PollFd* polls = stackalloc PollFd[2];
        polls[0] = new PollFd { Fd = fd, Events = events };
        polls[1] = new PollFd { Fd = cancelFd, Events = POLLIN };
        while (Libc.Poll(polls, 2, -1) < 0)
            if (Errno != EINTR) return -Errno;
        return polls[1].Revents != 0 ? -ECANCELED : polls[0].Revents;
    }

    /// <summary>mq_receive(3) into <paramref name="buffer"/>: the length, or -errno.</summary>
    public static int MqReceive(int mqd, Span<byte> buffer, out uint priority)
    {
        uint prio = 0;
        nint n;
        fixed (byte* p = buffer)
            do { n = Libc.MqReceive(mqd, p, (nuint)buffer.Length, &prio); } while (n < 0 && Errno == EINTR);
        priority = prio;
        return n < 0 ? -Errno : (int)n;
    }

    /// <summary>mq_send(3) of one message: 0, or -errno.</summary>
    public static int MqSend(int mqd, ReadOnlySpan<byte> message, uint priority)
    {
        int rc;
        fixed (byte* p = message)
            do { rc = Libc.MqSend(mqd, p, (nuint)message.Length, priority); } while (rc < 0 && Errno == EINTR);
        return rc < 0 ? -Errno : 0;
    }

    /// <summary>mq_getattr(3).</summary>
    public static MqAttr MqGetAttr(int mqd, string name)
    {
        MqAttr attr;
        if (Libc.MqGetAttr(mqd, &attr) != 0) throw Fail($"mq_getattr({mqd}[\"{name}\"])");
        return attr;
    }

    /// <summary>One non-blocking splice(2) between two fds without offsets; -1 with errno set on failure.</summary>
    public static nint Splice(int fdIn, int fdOut, nint length)
    {
        const uint SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
        return Libc.Splice(fdIn, null, fdOut, null, (nuint)length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    }

    public static StatBuffer FStat(int fd)
    {
        StatBuffer st;
        if (Libc.FStat(fd, &st) != 0) throw Fail($"fstat({fd})");
        return st;
    }

    public static bool TryStat(string path, out StatBuffer st)
    {
        StatBuffer s;
        bool ok = Libc.Stat(path, &s) == 0;
        st = s;
        return ok;
    }

    /// <summary>lstat(2): the entry itself, not what a symbolic link points to.</summary>
    public static bool LTryStat(string path, out StatBuffer st)
    {
        StatBuffer s;
        bool ok = Libc.LStat(path, &s) == 0;
        st = s;
        return ok;
    }

    /// <summary>
    /// socket(2) itself, close-on-exec, as a .NET Socket: .NET refuses families, types and protocol
    /// numbers it has no name for (raw IP protocols, AF_PACKET, generic sockets).
    /// </summary>
    public static System.Net.Sockets.Socket NewSocket(int domain, int type, int protocol, out int fd)
    {
        const int SOCK_CLOEXEC = 0x80000;
        // netns: made in the address's network namespace, where it has one.
        fd = NetworkNamespace.Run((domain, type, protocol), static s =>
        {
            int made = Libc.Socket(s.domain, s.type | SOCK_CLOEXEC, s.protocol);
            return made >= 0 ? made : throw Fail($"socket({s.domain}, {s.type}, {s.protocol})");
        });
        return new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>
    /// Blocking bind, connect, accept and getsockname on socket addresses .NET cannot express
    /// (it refuses to build a SocketAddress of a family it does not know, such as AF_VSOCK).
    /// Connect and accept return 0 / the new fd, or -errno.
    /// </summary>
    public static void Bind(int fd, ReadOnlySpan<byte> address, string shown)
    {
        fixed (byte* p = address)
            if (Libc.Bind(fd, p, (uint)address.Length) != 0) throw Fail($"bind({fd}, {{{shown}}}, {address.Length})");
    }

    /// <inheritdoc cref="Bind"/>
    public static int Connect(int fd, ReadOnlySpan<byte> address)
    {
        int rc;
        fixed (byte* p = address)
            do { rc = Libc.Connect(fd, p, (uint)address.Length); } while (rc < 0 && Errno == EINTR);
        return rc < 0 ? -Errno : 0;
    }

    /// <summary>
    /// Waits for a connection on <paramref name="fd"/> or for <paramref name="cancelFd"/> to become
    /// readable (then -ECANCELED), and accepts it. A blocking accept(2) cannot be woken on every
    /// family (shutdown of an AF_VSOCK listener does not), poll(2) on both can.
    /// </summary>
    public static int Accept(int fd, int cancelFd, Span<byte> peer)
    {
        const int SOCK_CLOEXEC = 0x80000, POLLIN = 1, ECANCELED = 125;
        PollFd* polls = stackalloc PollFd[2];
        polls[0] = new PollFd { Fd = fd, Events = POLLIN };
        polls[1] = new PollFd { Fd = cancelFd, Events = POLLIN };
        while (Libc.Poll(polls, 2, -1) < 0)
            if (Errno != EINTR) return -Errno;
        if (polls[1].Revents != 0) return -ECANCELED;
        int rc;
        uint length = (uint)peer.Length;
        fixed (byte* p = peer)
            do { rc = Libc.Accept4(fd, p, &length, SOCK_CLOEXEC); } while (rc < 0 && Errno == EINTR);
        return rc < 0 ? -Errno : rc;
    }

    /// <inheritdoc cref="Bind"/>
    public static void GetSockName(int fd, Span<byte> address)
    {
        uint length = (uint)address.Length;
        fixed (byte* p = address)
            if (Libc.GetSockName(fd, p, &length) != 0) throw Fail($"getsockname({fd})");
    }

    /// <summary>setsid(2) for this process; false (errno set) when it is a process group leader already.</summary>
    public static bool SetSid() => Libc.SetSid() >= 0;

    public static void Dup2(int fd, int newFd)
    {
        if (Libc.Dup2(fd, newFd) < 0) throw Fail($"dup2({fd}, {newFd})");
    }

    /// <summary>
    /// One non-blocking recvfrom with MSG_TRUNC: the datagram's real length (more than the buffer
    /// when it was cut) or -errno, and the sender (null when the kernel gives none).
    /// </summary>
    public static (int Length, System.Net.EndPoint? From) ReceiveFrom(int fd, Span<byte> buffer)
    {
        const int MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
        byte* address = stackalloc byte[128];
        uint addressLength = 128;
        nint n;
        fixed (byte* p = buffer) n = Libc.RecvFrom(fd, p, buffer.Length, MSG_DONTWAIT | MSG_TRUNC, address, &addressLength);
        if (n < 0) return (-Errno, null);
        return ((int)n, SockAddr(address, addressLength));
    }

    /// <summary>An IPv4, IPv6 or UNIX socket address from its kernel form.</summary>
    public static System.Net.EndPoint? SockAddr(byte* a, uint length)
    {
        const ushort AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
        if (length < 2) return null;
        ushort family = *(ushort*)a;
        int port = a[2] << 8 | a[3];
        return family switch
        {
            AF_INET when length >= 8 => new System.Net.IPEndPoint(new System.Net.IPAddress(new ReadOnlySpan<byte>(a + 4, 4)), port),
            AF_INET6 when length >= 24 => new System.Net.IPEndPoint(new System.Net.IPAddress(new ReadOnlySpan<byte>(a + 8, 16), *(uint*)(a + 24)), port),
            AF_UNIX when length > 2 => new System.Net.Sockets.UnixDomainSocketEndPoint(Encoding.UTF8.GetString(a + 2, (int)length - 2).TrimEnd('\0')),
            _ => null,
        };
    }

    /// <summary>The kernel form of an IP socket address (sockaddr_in, or sockaddr_in6 with its scope); its length.</summary>
    public static int WriteSockAddr(System.Net.IPEndPoint endPoint, Span<byte> sockaddr)
    {
        const ushort AF_INET = 2, AF_INET6 = 10;
        bool v6 = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int length = v6 ? 28 : 16;
        sockaddr[..length].Clear();
        BitConverter.TryWriteBytes(sockaddr, v6 ? AF_INET6 : AF_INET); // host order, as SockAddr reads it
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)endPoint.Port);
        endPoint.Address.TryWriteBytes(sockaddr[(v6 ? 8 : 4)..], out _);
        if (v6) BitConverter.TryWriteBytes(sockaddr[24..], (uint)endPoint.Address.ScopeId);
        return length;
    }

    /// <summary>readlink(2): where a symbolic link points, or null.</summary>
    public static string? ReadLink(string path)
    {
        byte* buf = stackalloc byte[4096];
        nint n = Libc.ReadLink(path, buf, 4096);
        return n < 0 ? null : Encoding.UTF8.GetString(buf, (int)n);
    }

    /// <summary>The events poll(2) reports on one fd, now or within <paramref name="timeoutMs"/>; 0 when none or it fails.</summary>
    public static short PollEvents(int fd, short events, int timeoutMs = 0)
    {
        var p = new PollFd { Fd = fd, Events = events };
        return Libc.Poll(&p, 1, timeoutMs) > 0 ? p.Revents : (short)0;
    }

    public static int GetFl(int fd)
    {
        int fl = Libc.Fcntl(fd, F_GETFL, 0);
        if (fl < 0) throw Fail($"fcntl({fd}, F_GETFL)");
        return fl;
    }

    public static void SetFl(int fd, int flags)
    {
        if (Libc.Fcntl(fd, F_SETFL, flags) < 0) throw Fail($"fcntl({fd}, F_SETFL, 0{Convert.ToString(flags, 8)})");
    }

    public static bool IsOpen(int fd) => Libc.Fcntl(fd, F_GETFD, 0) >= 0;

    public static string HostName()
    {
        byte* buf = stackalloc byte[256];
        if (Libc.GetHostName(buf, 256) != 0) return "localhost";
        return Marshal.PtrToStringUTF8((nint)buf) ?? "localhost";
    }

    /// <summary>uname(2) fields: sysname, release, version, machine.</summary>
    public static (string SysName, string Release, string Version, string Machine) Uname()
    {
        // struct utsname: six fields of 65 bytes each on Linux.
        byte* buf = stackalloc byte[65 * 6];
        if (Libc.Uname(buf) != 0) return ("Linux", "", "", "");
        string F(int i) => Marshal.PtrToStringUTF8((nint)(buf + 65 * i)) ?? "";
        return (F(0), F(2), F(3), F(4));
    }

    /// <summary>
    /// getpwnam, getpwuid, getgrnam and getservbyname return a static buffer of libc's: relays that
    /// open concurrently (fork) must not read each other's answer, so each call and its reading
    /// happen under this lock.
    /// </summary>
    public static Lock LookupGate { get; } = new();

    /// <summary>Resolves a user name (or number) to a uid, as socat's UID_T options accept both.</summary>
    public static uint? LookupUser(string name)
    {
        // A C string ends at NUL: "nobody\0x" would be looked up as "nobody". No name holds one.
        if (name.Contains('\0')) return null;
        lock (LookupGate)
        {
            nint pw = Libc.GetPwNam(name);
            return pw == 0 ? null : *(uint*)(pw + 16);
        }
    }

    /// <summary>A passwd entry: name, gid, home and shell of a uid; null when there is none.</summary>
    public static (string Name, uint Gid, string Home, string Shell)? GetUser(uint uid)
    {
        // struct passwd on glibc x86_64: name 0, passwd 8, uid 16, gid 20, gecos 24, dir 32, shell 40.
        lock (LookupGate)
        {
            nint pw = Libc.GetPwUid(uid);
            if (pw == 0) return null;
            string Str(int offset) => Marshal.PtrToStringUTF8(*(nint*)(pw + offset)) ?? "";
            return (Str(0), *(uint*)(pw + 20), Str(32), Str(40));
        }
    }

    /// <summary>The groups initgroups(3) would give a user (getgrouplist).</summary>
    public static uint[] GroupsOf(string user, uint gid)
    {
        int count = 64;
        while (true)
        {
            var groups = new uint[count];
            int n = count;
            fixed (uint* p = groups)
                if (Libc.GetGroupList(user, gid, p, &n) >= 0) return groups[..n];
            count = Math.Max(n, count * 2);
        }
    }

    public static void SetGroups(uint[] groups)
    {
        fixed (uint* p = groups)
            if (Libc.SetGroups((nuint)groups.Length, p) != 0) throw Fail($"setgroups({groups.Length}, ...)");
    }

    public static uint? LookupGroup(string name)
    {
        if (name.Contains('\0')) return null;
        lock (LookupGate)
        {
            nint gr = Libc.GetGrNam(name);
            return gr == 0 ? null : *(uint*)(gr + 16);
        }
    }

    /// <summary>
    /// Raises the soft limit on open fds to the hard one. socat forks a process per connection;
    /// SharpCat serves them all from one process, so the usual soft limit of 1024 would cap a
    /// fork listener at a few hundred relays.
    /// </summary>
    public static void RaiseFdLimit()
    {
        const int RLIMIT_NOFILE = 7;
        ulong* limits = stackalloc ulong[2];
        if (Libc.GetRLimit(RLIMIT_NOFILE, limits) != 0 || limits[0] >= limits[1]) return;
        limits[0] = limits[1];
        Libc.SetRLimit(RLIMIT_NOFILE, limits);
    }

    public static string Octal(uint value) => "0" + Convert.ToString(value, 8);

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>A failed libc call: carries errno and the call as socat would print it.</summary>
internal sealed class PosixException : SharpCatException
{
    /// <summary>The errno value the call failed with.</summary>
    public int Errno { get; }

    /// <summary>The failed call as written in the message, e.g. <c>open("/x", 02, 0666)</c>.</summary>
    public string Call { get; }

    internal PosixException(string call, int errno) : base($"{call}: {Posix.StrError(errno)}")
    {
        Call = call;
        Errno = errno;
    }
}
