using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using F = SharpCat.Native.TermiosField;

namespace SharpCat.Endpoints;

/// <summary>
/// The TERMIOS group: terminal settings on ttys, pty sides and serial devices, applied in the
/// order given with one tcsetattr. Each option is a row: a flag bit, a multi-bit field value, a
/// control character, a line speed, or one of the presets (raw, sane, cfmakeraw, rawer).
/// </summary>
internal static class TermiosOptions
{
    private static readonly Dictionary<string, (F Field, uint Mask)> Flags = new(StringComparer.Ordinal)
    {
        ["ignbrk"] = (F.Input, 0x1), ["brkint"] = (F.Input, 0x2), ["ignpar"] = (F.Input, 0x4), ["parmrk"] = (F.Input, 0x8),
        ["inpck"] = (F.Input, 0x10), ["istrip"] = (F.Input, 0x20), ["inlcr"] = (F.Input, 0x40), ["igncr"] = (F.Input, 0x80),
        ["icrnl"] = (F.Input, 0x100), ["iuclc"] = (F.Input, 0x200), ["ixon"] = (F.Input, 0x400), ["ixany"] = (F.Input, 0x800),
        ["ixoff"] = (F.Input, 0x1000), ["imaxbel"] = (F.Input, 0x2000),
        ["opost"] = (F.Output, 0x1), ["olcuc"] = (F.Output, 0x2), ["onlcr"] = (F.Output, 0x4), ["ocrnl"] = (F.Output, 0x8),
        ["onocr"] = (F.Output, 0x10), ["onlret"] = (F.Output, 0x20), ["ofill"] = (F.Output, 0x40), ["ofdel"] = (F.Output, 0x80),
        ["nldly"] = (F.Output, 0x100), ["bsdly"] = (F.Output, 0x2000), ["vtdly"] = (F.Output, 0x4000), ["ffdly"] = (F.Output, 0x8000),
        ["cstopb"] = (F.Control, 0x40), ["cread"] = (F.Control, 0x80), ["parenb"] = (F.Control, 0x100), ["parodd"] = (F.Control, 0x200),
        ["hupcl"] = (F.Control, 0x400), ["clocal"] = (F.Control, 0x800), ["crtscts"] = (F.Control, 0x80000000),
        ["isig"] = (F.Local, 0x1), ["icanon"] = (F.Local, 0x2), ["xcase"] = (F.Local, 0x4), ["echo"] = (F.Local, 0x8),
        ["echoe"] = (F.Local, 0x10), ["echok"] = (F.Local, 0x20), ["echonl"] = (F.Local, 0x40), ["noflsh"] = (F.Local, 0x80),
        ["tostop"] = (F.Local, 0x100), ["echoctl"] = (F.Local, 0x200), ["echoprt"] = (F.Local, 0x400), ["echoke"] = (F.Local, 0x800),
        ["flusho"] = (F.Local, 0x1000), ["pendin"] = (F.Local, 0x4000), ["iexten"] = (F.Local, 0x8000),
    };

    // Multi-bit fields: a constant option names one value, the numeric option gives the index.
    private static readonly Dictionary<string, (F Field, uint Mask, int Shift)> NumericFields = new(StringComparer.Ordinal)
    {
        ["csize"] = (F.Control, 0x30, 4), ["crdly"] = (F.Output, 0x600, 9), ["tabdly"] = (F.Output, 0x1800, 11),
    };

    private static readonly Dictionary<string, (F Field, uint Mask, uint Value)> FieldValues = new(StringComparer.Ordinal)
    {
        ["cs5"] = (F.Control, 0x30, 0x00), ["cs6"] = (F.Control, 0x30, 0x10), ["cs7"] = (F.Control, 0x30, 0x20), ["cs8"] = (F.Control, 0x30, 0x30),
        ["nl0"] = (F.Output, 0x100, 0), ["nl1"] = (F.Output, 0x100, 0x100),
        ["cr0"] = (F.Output, 0x600, 0), ["cr1"] = (F.Output, 0x600, 0x200), ["cr2"] = (F.Output, 0x600, 0x400), ["cr3"] = (F.Output, 0x600, 0x600),
        ["tab0"] = (F.Output, 0x1800, 0), ["tab1"] = (F.Output, 0x1800, 0x800), ["tab2"] = (F.Output, 0x1800, 0x1000),
        ["tab3"] = (F.Output, 0x1800, 0x1800), ["xtabs"] = (F.Output, 0x1800, 0x1800),
        ["bs0"] = (F.Output, 0x2000, 0), ["bs1"] = (F.Output, 0x2000, 0x2000),
        ["vt0"] = (F.Output, 0x4000, 0), ["vt1"] = (F.Output, 0x4000, 0x4000),
        ["ff0"] = (F.Output, 0x8000, 0), ["ff1"] = (F.Output, 0x8000, 0x8000),
    };

    private static readonly Dictionary<string, int> ControlChars = new(StringComparer.Ordinal)
    {
        ["vintr"] = 0, ["vquit"] = 1, ["verase"] = 2, ["vkill"] = 3, ["veof"] = 4, ["vtime"] = 5, ["vmin"] = 6,
        ["vswtc"] = 7, ["vstart"] = 8, ["vstop"] = 9, ["vsusp"] = 10, ["veol"] = 11, ["vreprint"] = 12,
        ["vdiscard"] = 13, ["vwerase"] = 14, ["vlnext"] = 15, ["veol2"] = 16,
    };

    private static readonly string[] Presets = ["raw", "sane", "termios-cfmakeraw", "termios-rawer"];

    /// <summary>Every TERMIOS option this build applies.</summary>
    public static IEnumerable<string> Names =>
        Flags.Keys.Concat(NumericFields.Keys).Concat(FieldValues.Keys).Concat(ControlChars.Keys).Concat(Presets)
            .Concat(Termios.Bauds.Select(b => $"b{b.Speed}")).Append("ispeed").Append("ospeed").Append("tiocswinsz");

    private static bool IsTermios(string name) =>
        name is "ispeed" or "ospeed" or "tiocswinsz" || Flags.ContainsKey(name) || NumericFields.ContainsKey(name) || FieldValues.ContainsKey(name)
        || ControlChars.ContainsKey(name) || Presets.Contains(name) || BaudCode(name) is not null;

    /// <summary>True when some option of the set is a terminal setting.</summary>
    public static bool Any(OptionSet options)
    {
        foreach (var o in options.Items) if (IsTermios(o.Def.Name)) return true;
        return false;
    }

    /// <summary>
    /// Applies the terminal settings of the set to <paramref name="fd"/>, which must be a terminal;
    /// returns the settings it had before, for restoring on close.
    /// </summary>
    public static TermiosData? Apply(int fd, OptionSet options)
    {
        if (!Any(options)) return null;
        var before = Termios.Get(fd); // fails with ENOTTY on anything but a terminal, as socat's tcgetattr does
        var t = before;
        long[]? windowSize = null;
        foreach (var o in options.Items)
        {
            string name = o.Def.Name;
            if (Flags.TryGetValue(name, out var flag))
            {
                ref uint word = ref Termios.Field(ref t, flag.Field);
                word = o.Value is true ? word | flag.Mask : word & ~flag.Mask;
            }
            else if (FieldValues.TryGetValue(name, out var fv))
            {
                ref uint word = ref Termios.Field(ref t, fv.Field);
                word = (word & ~fv.Mask) | fv.Value;
            }
            else if (NumericFields.TryGetValue(name, out var nf))
            {
                long v = (long)o.Value!;
                if (v < 0 || v > nf.Mask >> nf.Shift) throw new SharpCatException($"{name}={v}: value out of range (0 to {nf.Mask >> nf.Shift})");
                ref uint word = ref Termios.Field(ref t, nf.Field);
                word = (word & ~nf.Mask) | ((uint)v << nf.Shift);
            }
            else if (ControlChars.TryGetValue(name, out int index))
            {
                unsafe { t.ControlChars[index] = Convert.ToByte(o.Value); }
            }
            else if (BaudCode(name) is uint code)
            {
                Termios.SetSpeed(ref t, code, input: true, output: true);
            }
            else if (name is "ispeed" or "ospeed")
            {
                Termios.SetSpeed(ref t, SpeedValue(name, Convert.ToInt64(o.Value)), input: name == "ispeed", output: name == "ospeed");
            }
            else if (name is "raw" or "termios-rawer") MakeRawLikeStty(ref t, rawer: name == "termios-rawer");
            else if (name == "termios-cfmakeraw") Termios.MakeRaw(ref t);
            else if (name == "sane") MakeSane(ref t);
            else if (name == "tiocswinsz") windowSize = (long[])o.Value!;
        }
        Termios.Set(fd, t);
        if (windowSize is [long columns, long rows]) SetWindowSize(fd, (ushort)columns, (ushort)rows);
        Log.Info($"fd {fd}: terminal settings applied");
        return before;
    }

    /// <summary>socat 1.8.1's tiocswinsz=columns:rows: the terminal's size, as a terminal emulator sets it.</summary>
    private static unsafe void SetWindowSize(int fd, ushort columns, ushort rows)
    {
        const nuint TIOCSWINSZ = 0x5414;
        // struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel.
        ushort* size = stackalloc ushort[4] { rows, columns, 0, 0 };
        if (Libc.Ioctl(fd, TIOCSWINSZ, (nint)size) < 0) throw Posix.Fail($"ioctl({fd}, TIOCSWINSZ, {{ {columns},{rows} }})");
        Log.Info($"fd {fd}: window size {columns} columns, {rows} rows");
    }

    private static uint? BaudCode(string name)
    {
        if (name.Length < 2 || name[0] != 'b' || !int.TryParse(name.AsSpan(1), out int speed)) return null;
        foreach (var (s, code) in Termios.Bauds) if (s == speed) return code;
        return null;
    }

    /// <summary>ispeed/ospeed take a speed (9600) or, as socat passes it through, a B constant's value.</summary>
    internal static uint SpeedValue(string name, long value)
    {
        foreach (var (s, code) in Termios.Bauds) if (s == value) return code;
        foreach (var (_, code) in Termios.Bauds) if (code == value) return code;
        throw new SharpCatException($"option \"{name}\": invalid value \"{value}\": not a line speed this system knows");
    }

    /// <summary>
    /// socat's raw is stty's: no input processing, no output post-processing, no signals, no
    /// canonical mode, one byte at a time; echo and iexten stay. rawer clears every flag but cs8
    /// and cread.
    /// </summary>
    private static void MakeRawLikeStty(ref TermiosData t, bool rawer)
    {
        const uint ISIG = 0x1, ICANON = 0x2, XCASE = 0x4, OPOST = 0x1;
        t.IFlag = 0;
        if (rawer)
        {
            // Every flag off but cs8 and cread: the speed bits too, as socat's rawer leaves them.
            t.OFlag = 0; t.LFlag = 0; t.CFlag = 0x30 | 0x80;
        }
        else
        {
            t.OFlag &= ~OPOST; t.LFlag &= ~(ISIG | ICANON | XCASE);
            t.CFlag = (t.CFlag & ~(Termios.CSIZE | 0x100u)) | 0x30; // cs8, -parenb
        }
        unsafe { t.ControlChars[6] = 1; t.ControlChars[5] = 0; } // min 1, time 0
    }

    /// <summary>stty sane: the usual interactive flags; control characters are left as they are (as socat does).</summary>
    private static void MakeSane(ref TermiosData t)
    {
        t.CFlag |= 0x80; // cread
        t.IFlag = (t.IFlag & ~(0x1u | 0x40 | 0x80 | 0x1000 | 0x200 | 0x800)) | 0x2 | 0x100 | 0x400 | 0x2000;
        t.OFlag = (t.OFlag & ~(0x2u | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x600 | 0x1800 | 0x2000 | 0x4000 | 0x8000)) | 0x1 | 0x4;
        t.LFlag = (t.LFlag & ~(0x4u | 0x40 | 0x80 | 0x100 | 0x400 | 0x1000 | 0x10000)) | 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x200 | 0x800 | 0x8000;
    }
}
