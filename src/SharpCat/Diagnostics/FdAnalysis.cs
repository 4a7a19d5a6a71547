using System.Globalization;
using System.Text;
using SharpCat.Native;

namespace SharpCat.Diagnostics;

/// <summary>
/// <c>-D</c>: before the transfer starts, one line per descriptor of the relay with what fstat,
/// fcntl and poll say about it, in the tab-separated layout of socat's own fd analysis.
/// </summary>
internal static unsafe class FdAnalysis
{
    private const int F_GETOWN = 9, F_GETSIG = 11;
    private const nuint FIONREAD = 0x541B;
    private const short POLLIN = 1, POLLOUT = 4;

    public static void Write(IEnumerable<int> fds, int outputFd)
    {
        var sb = new StringBuilder("  FD  type\tdevice\tinode\tmode\tlinks\tuid\tgid\trdev\tsize\tblksize\tblocks\tatime\t\t\t\tmtime\t\t\t\tctime\t\t\t\tcloexec\tflags\tsigown\tsigio\n");
        foreach (int fd in fds) Describe(sb, fd);
        try { Posix.WriteAll(outputFd, Encoding.UTF8.GetBytes(sb.ToString())); } catch (PosixException) { }
    }

    private static void Describe(StringBuilder sb, int fd)
    {
        StatBuffer st;
        if (Libc.FStat(fd, &st) != 0)
        {
            sb.Append($"{fd,4}: {Posix.StrError(Posix.Errno)}\n");
            return;
        }
        string type = st.FileType switch
        {
            Posix.S_IFREG => "file", Posix.S_IFIFO => "pipe", Posix.S_IFSOCK => "socket", Posix.S_IFCHR => "chrdev",
            Posix.S_IFBLK => "blkdev", Posix.S_IFDIR => "dir", Posix.S_IFLNK => "symlink", _ => "unknown",
        };
        int cloexec = Libc.Fcntl(fd, Posix.F_GETFD, 0) & Posix.FD_CLOEXEC;
        int flags = Libc.Fcntl(fd, Posix.F_GETFL, 0);
        sb.Append($"{fd,4}: {type}\t{Device(st.Device)}\t{st.Inode}\t0{Convert.ToString(st.Mode, 8)}\t{st.Links}\t{st.Uid}\t{st.Gid}\t{Device(st.RDevice)}\t{st.Size}\t{st.BlockSize}\t{st.Blocks}\t");
        sb.Append($"{Time(st.AccessTime)}\t{Time(st.ModifyTime)}\t{Time(st.ChangeTime)}\t{cloexec}\tx{flags:x6}\t{Libc.Fcntl(fd, F_GETOWN, 0)}\t{Libc.Fcntl(fd, F_GETSIG, 0)}");
        var p = new PollFd { Fd = fd, Events = POLLIN | POLLOUT };
        if (Libc.Poll(&p, 1, 0) >= 0)
        {
            sb.Append("poll: ");
            if ((p.Revents & POLLIN) != 0) sb.Append("IN,");
            if ((p.Revents & POLLOUT) != 0) sb.Append("OUT,");
            int available = 0;
            if ((p.Revents & POLLIN) != 0 && Libc.Ioctl(fd, FIONREAD, (nint)(&available)) == 0) sb.Append($"; FIONREAD={available}");
        }
        sb.Append('\n');
    }

    // Linux dev_t encoding: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
    private static string Device(ulong dev) =>
        $"{((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffUL)},{(dev & 0xff) | ((dev >> 12) & ~0xffUL)}";

    /// <summary>C's asctime layout: "Thu Nov  6 07:50:29 2026" (day padded with a space).</summary>
    private static string Time(long seconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).ToLocalTime();
        return string.Create(CultureInfo.InvariantCulture, $"{t:ddd MMM} {t.Day,2} {t:HH:mm:ss yyyy}");
    }
}
