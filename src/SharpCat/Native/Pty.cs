using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>Pseudo-terminals: the master side for the relay, the slave side for a program or a link.</summary>
internal static unsafe class Pty
{
    /// <summary>
    /// Opens a new pty pair; both fds are close-on-exec and the master is not our controlling
    /// terminal. Without <paramref name="openSlave"/> the slave is left unopened (-1): its first
    /// program's last close is then end of file for the master, while a slave opened and closed
    /// here would make the master report end of file at once.
    /// </summary>
    public static (int Master, int Slave, string SlavePath) Open(bool openSlave = true)
    {
        int master = Libc.PosixOpenPt(Posix.O_RDWR | Posix.O_NOCTTY | Posix.O_CLOEXEC);
        if (master < 0) throw Posix.Fail("posix_openpt(O_RDWR|O_NOCTTY)");
        try
        {
            if (Libc.GrantPt(master) != 0) throw Posix.Fail($"grantpt({master})");
            if (Libc.UnlockPt(master) != 0) throw Posix.Fail($"unlockpt({master})");
            byte* name = stackalloc byte[128];
            int error = Libc.PtsNameR(master, name, 128);
            if (error != 0) throw new PosixException($"ptsname_r({master})", error);
            string path = Marshal.PtrToStringUTF8((nint)name)!;
            int slave = openSlave ? Posix.Open(path, Posix.O_RDWR | Posix.O_NOCTTY | Posix.O_CLOEXEC, 0) : -1;
            return (master, slave, path);
        }
        catch
        {
            Libc.Close(master);
            throw;
        }
    }
}
