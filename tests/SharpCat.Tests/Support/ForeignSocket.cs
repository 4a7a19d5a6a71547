using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Tests.Support;

/// <summary>
/// A socket of another running process, duplicated into this one with pidfd_open + pidfd_getfd
/// (Linux 5.6; needs ptrace rights over the target, which root has), so that getsockopt reads what
/// the program really set on its live socket. Only getsockopt, getsockname and getpeername are
/// called on the duplicate: it shares the open file with the program, and nothing is changed.
/// </summary>
public sealed class ForeignSocket : IDisposable
{
    public const int SOL_SOCKET = 1, IPPROTO_IP = 0, IPPROTO_IPV6 = 41, IPPROTO_TCP = 6;
    private const long SYS_pidfd_open = 434, SYS_pidfd_getfd = 438; // the same on every Linux architecture

    private int _fd;

    private ForeignSocket(int fd, int targetFd)
    {
        _fd = fd;
        TargetFd = targetFd;
        Family = ReadName(getsockname, out string local);
        Local = local;
        ReadName(getpeername, out string peer);
        Peer = peer;
    }

    /// <summary>The descriptor's number in the other process.</summary>
    public int TargetFd { get; }

    /// <summary>AF_UNIX 1, AF_INET 2, AF_INET6 10.</summary>
    public int Family { get; }

    /// <summary>"127.0.0.1:port", "[::1]:port", a socket path, or "" when unnamed.</summary>
    public string Local { get; }

    /// <summary>The same for the peer; "" when not connected.</summary>
    public string Peer { get; }

    /// <summary>Bytes received and not yet read by the process (FIONREAD).</summary>
    public int Unread
    {
        get
        {
            int n = 0;
            if (ioctl(_fd, 0x541B, ref n) != 0) throw new InvalidOperationException($"ioctl(FIONREAD): errno {Marshal.GetLastPInvokeError()}");
            return n;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, ref int value);

    /// <summary>True for a listening socket (SO_ACCEPTCONN).</summary>
    public bool Listening => Int(SOL_SOCKET, 30) != 0;

    /// <summary>The sockets the process holds right now, each duplicated; the caller disposes them.</summary>
    public static List<ForeignSocket> All(int pid)
    {
        var found = new List<ForeignSocket>();
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0, 0);
        if (pidfd < 0) throw new InvalidOperationException($"pidfd_open({pid}): errno {Marshal.GetLastPInvokeError()}");
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                string? target;
                try { target = new FileInfo(entry).LinkTarget; }
                catch (IOException) { continue; } // closed meanwhile
                if (target is null || !target.StartsWith("socket:", StringComparison.Ordinal)) continue;
                int targetFd = int.Parse(Path.GetFileName(entry));
                int fd = (int)syscall(SYS_pidfd_getfd, pidfd, targetFd, 0);
                if (fd >= 0) found.Add(new ForeignSocket(fd, targetFd));
            }
        }
        finally
        {
            close(pidfd);
        }
        return found;
    }

    /// <summary>The one socket of the process that <paramref name="match"/> picks; null when none does.</summary>
    public static ForeignSocket? Find(int pid, Func<ForeignSocket, bool> match)
    {
        ForeignSocket? chosen = null;
        foreach (var s in All(pid))
        {
            if (chosen is null && match(s)) chosen = s;
            else s.Dispose();
        }
        return chosen;
    }

    /// <summary>getsockopt of an int option; throws with the errno when the call fails.</summary>
    public int Int(int level, int option)
    {
        byte[] value = new byte[4];
        Get(level, option, value);
        return BitConverter.ToInt32(value);
    }

    /// <summary>A struct timeval option (SO_RCVTIMEO, SO_SNDTIMEO) as "seconds.microseconds", e.g. "1.500000".</summary>
    public string Timeval(int level, int option)
    {
        byte[] value = new byte[16];
        Get(level, option, value);
        return $"{BitConverter.ToInt64(value, 0)}.{BitConverter.ToInt64(value, 8):D6}";
    }

    /// <summary>SO_LINGER as "onoff,seconds".</summary>
    public string Linger()
    {
        byte[] value = new byte[8];
        Get(SOL_SOCKET, 13, value);
        return $"{BitConverter.ToInt32(value, 0)},{BitConverter.ToInt32(value, 4)}";
    }

    private void Get(int level, int option, byte[] value)
    {
        int length = value.Length;
        if (getsockopt(_fd, level, option, value, ref length) != 0)
            throw new InvalidOperationException($"getsockopt({level}, {option}) on fd {TargetFd}: errno {Marshal.GetLastPInvokeError()}");
    }

    private delegate int NameCall(int fd, byte[] address, ref int length);

    private int ReadName(NameCall call, out string text)
    {
        byte[] a = new byte[128];
        int length = a.Length;
        text = "";
        if (call(_fd, a, ref length) != 0 || length < 2) return 0;
        int family = BitConverter.ToUInt16(a, 0);
        int port = a[2] << 8 | a[3];
        text = family switch
        {
            2 => new IPEndPoint(new IPAddress(a.AsSpan(4, 4)), port).ToString(),
            10 => new IPEndPoint(new IPAddress(a.AsSpan(8, 16)), port).ToString(),
            1 when length > 2 && a[2] == 0 => "@" + Encoding.UTF8.GetString(a, 3, length - 3), // abstract
            1 => Encoding.UTF8.GetString(a, 2, length - 2).TrimEnd('\0'),
            _ => "",
        };
        return family;
    }

    public void Dispose()
    {
        if (_fd >= 0) close(_fd);
        _fd = -1;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long a, long b, long c);

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int fd, int level, int option, byte[] value, ref int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockname(int fd, byte[] address, ref int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int getpeername(int fd, byte[] address, ref int length);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
