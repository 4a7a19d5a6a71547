namespace SharpCat.Native;

/// <summary>Which word of <c>struct termios</c> a flag lives in.</summary>
internal enum TermiosField { Input, Output, Control, Local }

/// <summary>Terminal attributes: tcgetattr/tcsetattr and the Linux flag values.</summary>
internal static unsafe class Termios
{
    public const uint CSIZE = 0x30;

    /// <summary>The baud-rate constants of termios.h by speed.</summary>
    public static readonly (int Speed, uint Code)[] Bauds =
    [
        (0, 0), (50, 1), (75, 2), (110, 3), (134, 4), (150, 5), (200, 6), (300, 7), (600, 8), (1200, 9),
        (1800, 10), (2400, 11), (4800, 12), (9600, 13), (19200, 14), (38400, 15), (57600, 0x1001),
        (115200, 0x1002), (230400, 0x1003), (460800, 0x1004), (500000, 0x1005), (576000, 0x1006),
        (921600, 0x1007), (1000000, 0x1008), (1152000, 0x1009), (1500000, 0x100A), (2000000, 0x100B),
        (2500000, 0x100C), (3000000, 0x100D), (3500000, 0x100E), (4000000, 0x100F),
    ];

    public static bool IsTerminal(int fd) => Libc.IsATty(fd) == 1;

    /// <summary>The settings of a terminal, to restore later; null for anything else.</summary>
    public static TermiosData? Save(int fd)
    {
        TermiosData t;
        return Libc.TcGetAttr(fd, &t) == 0 ? t : null;
    }

    public static TermiosData Get(int fd)
    {
        TermiosData t;
        if (Libc.TcGetAttr(fd, &t) != 0) throw Posix.Fail($"tcgetattr({fd}, ...)");
        return t;
    }

    public static void Set(int fd, TermiosData t)
    {
        const int TCSADRAIN = 1;
        if (Libc.TcSetAttr(fd, TCSADRAIN, &t) != 0) throw Posix.Fail($"tcsetattr({fd}, TCSADRAIN, ...)");
    }

    public static void MakeRaw(ref TermiosData t)
    {
        fixed (TermiosData* p = &t) Libc.CfMakeRaw(p);
    }

    public static ref uint Field(ref TermiosData t, TermiosField field)
    {
        switch (field)
        {
            case TermiosField.Input: return ref t.IFlag;
            case TermiosField.Output: return ref t.OFlag;
            case TermiosField.Control: return ref t.CFlag;
            default: return ref t.LFlag;
        }
    }

    /// <summary>Sets the input and/or output line speed (a baud constant of <see cref="Bauds"/>).</summary>
    public static void SetSpeed(ref TermiosData t, uint code, bool input, bool output)
    {
        fixed (TermiosData* p = &t)
        {
            if (input && Libc.CfSetISpeed(p, code) != 0) throw Posix.Fail($"cfsetispeed(..., 0{Convert.ToString(code, 8)})");
            if (output && Libc.CfSetOSpeed(p, code) != 0) throw Posix.Fail($"cfsetospeed(..., 0{Convert.ToString(code, 8)})");
        }
    }
}
