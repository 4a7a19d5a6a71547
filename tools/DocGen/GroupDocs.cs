using SharpCat.Catalog;

namespace SharpCat.DocGen;

/// <summary>What each option group is about, and a word for each value type in an option's synopsis.</summary>
internal static class GroupDocs
{
    public static readonly (string Group, string Meaning)[] All =
    [
        ("APPL", "How the relay treats the data of this address (line ends, end of file, locks); valid on every address."),
        ("FD", "Any file descriptor: ownership and mode of what it refers to, locks, ioctls, how it is shut down and closed."),
        ("NAMED", "Addresses with a name in the file system: ownership and mode at creation, umask, unlinking."),
        ("OPEN", "Flags given to open(2)."),
        ("REG", "Regular files: truncation, seeking, file attributes (chattr)."),
        ("FIFO, CHR, BLK", "Named pipes, character devices and block devices: no options of their own beyond FD's; they say what an address may open."),
        ("SOCKET", "Any socket: bind address, socket options set with setsockopt(2), connect timeout."),
        ("IP4, IP6", "IPv4 and IPv6 sockets: IP header fields, multicast, ancillary data received with a datagram."),
        ("TCP, UDP, SCTP", "Options of these protocols (for example TCP's keepalive timers)."),
        ("UNIX", "UNIX domain sockets."),
        ("LISTEN", "Addresses that accept connections: backlog, accept timeout."),
        ("CHILD", "Addresses that can serve many peers: fork, max-children."),
        ("RANGE", "Addresses that accept or receive: which peers are allowed (range, TCP wrappers, source port)."),
        ("RETRY", "Addresses that connect or listen: how often and how long to retry."),
        ("EXEC, FORK, PROCESS, PARENT", "EXEC and SYSTEM: how the child program is connected (socketpair, pipes, pty) and started (session, user, chroot, signals)."),
        ("TERMIOS", "Terminal settings (termios(3)) of a tty or pty: modes, line speed, control characters. Restored at exit."),
        ("PTY", "The PTY address: a link to the slave, waiting for it to be opened."),
        ("INTERFACE", "TUN/TAP and packet sockets: interface flags and names."),
        ("OPENSSL", "TLS and DTLS: certificates, verification, protocol versions, ciphers."),
        ("SOCKS4, HTTP", "Proxy clients: SOCKS user, password and port; HTTP proxy port and authorization."),
        ("WEBSOCKET", "The WebSocket addresses (SharpCat's own): request path, subprotocols, Origin, headers, Basic authentication, message size and type."),
    ];

    private static readonly Dictionary<OptionType, string> ValueWords = new()
    {
        [OptionType.Bool] = "0|1", [OptionType.Int] = "number", [OptionType.UnsignedInt] = "number",
        [OptionType.UnsignedShort] = "number", [OptionType.Byte] = "number", [OptionType.SizeT] = "size",
        [OptionType.OffT] = "offset", [OptionType.Off64T] = "offset", [OptionType.ModeT] = "mode",
        [OptionType.UidT] = "user", [OptionType.GidT] = "group", [OptionType.StructTimeval] = "seconds",
        [OptionType.StructTimespec] = "seconds", [OptionType.String] = "string", [OptionType.StringNull] = "string",
        [OptionType.StructLinger] = "seconds", [OptionType.Ip4name] = "address", [OptionType.StructIpMreqn] = "group:interface",
    };

    /// <summary>The placeholder after <c>name=</c>: a word for the common types, socat's type name otherwise.</summary>
    public static string ValueWord(OptionType type) =>
        ValueWords.TryGetValue(type, out string? word) ? word : Roff.Escape(BuildCatalog.TypeName(type).ToLowerInvariant());
}
