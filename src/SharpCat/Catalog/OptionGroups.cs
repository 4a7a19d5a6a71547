namespace SharpCat.Catalog;

/// <summary>
/// socat's option groups. An address kind lists the groups it accepts; an option belongs to
/// one or more groups; an option is valid on an address when they share a group (APPL options
/// are valid everywhere). The <c>-g</c> global option turns the check off.
/// </summary>
[Flags]
internal enum OptionGroups : ulong
{
    /// <summary>No group.</summary>
    None = 0,
#pragma warning disable CS1591 // the names are socat's group names
    Appl = 1UL << 0, Blk = 1UL << 1, Child = 1UL << 2, Chr = 1UL << 3, Exec = 1UL << 4, Fd = 1UL << 5,
    Fifo = 1UL << 6, Fork = 1UL << 7, Http = 1UL << 8, Interface = 1UL << 9, Ip4 = 1UL << 10, Ip6 = 1UL << 11,
    Listen = 1UL << 12, Named = 1UL << 13, Open = 1UL << 14, Openssl = 1UL << 15, Parent = 1UL << 16,
    Process = 1UL << 17, Pty = 1UL << 18, Range = 1UL << 19, Reg = 1UL << 20, Retry = 1UL << 21,
    Sctp = 1UL << 22, Socket = 1UL << 23, Socks4 = 1UL << 24, Tcp = 1UL << 25, Termios = 1UL << 26,
    Udp = 1UL << 27, Unix = 1UL << 28,
    // socat 1.8's groups of its UDP-Lite and DCCP addresses and their options.
    Dccp = 1UL << 29, Udplite = 1UL << 30,
    // socat 1.8's groups; a high bit, apart from the 1.7.4 ones.
    Posixmq = 1UL << 48,
    // SharpCat's WebSocket addresses and options (WebSockets/).
    Websocket = 1UL << 49,
    // socat 1.8's SHELL address (its shell= option).
    Shell = 1UL << 50,
#pragma warning restore CS1591
}

/// <summary>When, during opening, socat applies an option. SharpCat openers follow the same order.</summary>
internal enum OptionPhase
{
#pragma warning disable CS1591 // the names are socat's phase names
    Init, Early, Preopen, Open, Pastopen, Presocket, Socket, Pastsocket, Prebind, Bind, Pastbind,
    Connect, Connected, Listen, Accept, Pastaccept, Fd, Specific, Bigen, Pastbigen, Pastfork, Preexec,
    Late, Late2,
#pragma warning restore CS1591
}

/// <summary>The value an option takes, as socat names its types.</summary>
internal enum OptionType
{
#pragma warning disable CS1591 // the names are socat's value types
    Bin, Bool, Byte, Const, GidT, Int, Int_Bin, Int_Int, Int_Int_Bin, Int_Int_Int, Int_Int_String, Int_Intp,
    Int_String, IntArray3, Ip4name, ModeT, Off64T, OffT, SizeT, String, StringNull, StructIpMreqn,
    StructLinger, StructTimespec, StructTimeval, UidT, UnsignedInt, UnsignedShort,
#pragma warning restore CS1591
}
