using System.Text.RegularExpressions;
using SharpCat.Catalog;

namespace SharpCat.DocGen;

/// <summary>
/// One line per option saying what it does: written out for the options people reach for, and by
/// rule for the large families that only pass a value to the kernel (socket options, termios
/// flags, open flags, file attributes, interface flags), where the system's manual says the rest.
/// </summary>
internal static partial class OptionDocs
{
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        // APPL
        ["cr"] = "Converts line ends: LF to CR when writing to this address, CR to LF when reading from it.",
        ["crnl"] = "Converts line ends: LF to CR LF when writing to this address, CR LF to LF when reading from it.",
        ["ignoreeof"] = "Treats end of file on this address as \"no data yet\" and keeps reading, as tail -f does.",
        ["readbytes"] = "Reads at most this many bytes from the address in total, then ends as at end of file.",
        ["escape"] = "Ends reading from this address when this character (a number, e.g. 0x0f) arrives.",
        ["lockfile"] = "Takes this lock file before opening the address, or fails if it is held.",
        ["waitlock"] = "Takes this lock file before opening the address, waiting while it is held.",
        // FD
        ["cloexec"] = "Sets close-on-exec on the descriptor.",
        ["o-nonblock"] = "Sets O_NONBLOCK on the descriptor.",
        ["cool-write"] = "Logs a failed write with EPIPE or ECONNRESET at notice level only, not as an error.",
        ["end-close"] = "Ends the address by closing its descriptor only, instead of the address type's usual way of ending it.",
        ["shut-none"] = "At end of file, leaves the other side of this address alone.",
        ["shut-down"] = "At end of file, shuts down writing with shutdown(2).",
        ["shut-close"] = "At end of file, closes the descriptor.",
        ["shut-null"] = "At end of file, sends an empty packet to the peer.",
        ["user"] = "Sets the owner of the file or device (a name or number).",
        ["group"] = "Sets the group of the file or device (a name or number).",
        ["perm"] = "Sets the permission bits of the file or device (octal).",
        ["user-late"] = "Sets the owner once the address is open.",
        ["group-late"] = "Sets the group once the address is open.",
        ["perm-late"] = "Sets the permission bits once the address is open.",
        ["user-early"] = "Sets the owner of the file before it is opened.",
        ["group-early"] = "Sets the group of the file before it is opened.",
        ["perm-early"] = "Sets the permission bits of the file before it is opened.",
        ["f-setlk-rd"] = "Takes a read lock on the whole file with fcntl(F_SETLK), failing if it is held.",
        ["f-setlk-wr"] = "Takes a write lock on the whole file with fcntl(F_SETLK), failing if it is held.",
        ["f-setlkw-rd"] = "Takes a read lock on the whole file with fcntl(F_SETLKW), waiting for it.",
        ["f-setlkw-wr"] = "Takes a write lock on the whole file with fcntl(F_SETLKW), waiting for it.",
        ["flock-ex"] = "Takes an exclusive flock(2) lock, waiting for it.",
        ["flock-ex-nb"] = "Takes an exclusive flock(2) lock, failing if it is held.",
        ["flock-sh"] = "Takes a shared flock(2) lock, waiting for it.",
        ["flock-sh-nb"] = "Takes a shared flock(2) lock, failing if it is held.",
        ["ioctl-void"] = "Calls ioctl(2) with this request number and no argument.",
        ["ioctl-int"] = "Calls ioctl(2) with a request number and an integer argument (request:value).",
        ["ioctl-intp"] = "Calls ioctl(2) with a request number and a pointer to an integer (request:value).",
        ["ioctl-bin"] = "Calls ioctl(2) with a request number and a pointer to bytes given in hexadecimal (request:x...).",
        ["ioctl-string"] = "Calls ioctl(2) with a request number and a pointer to a string (request:string).",
        // NAMED
        ["umask"] = "Sets the umask while the address creates its file system entries, and the umask of a child program (EXEC, SYSTEM, SHELL).",
        ["unlink"] = "Removes the file before it is opened.",
        ["unlink-early"] = "Removes the file before anything else is done with the address.",
        ["unlink-late"] = "Removes the file once it is open (it stays usable through the descriptor).",
        ["unlink-close"] = "Removes the file (or socket) when the address is closed.",
        // OPEN
        ["o-create"] = "Creates the file if it does not exist (O_CREAT).",
        ["o-excl"] = "With creat: fails if the file exists (O_EXCL).",
        ["o-trunc"] = "Empties an existing file when it is opened (O_TRUNC).",
        ["append"] = "Writes always go to the end of the file (O_APPEND).",
        ["async"] = "Sets O_ASYNC: the descriptor raises SIGIO when it becomes ready.",
        ["o-rdonly"] = "Opens for reading only.",
        ["o-wronly"] = "Opens for writing only.",
        ["o-rdwr"] = "Opens for reading and writing.",
        // REG
        ["ftruncate32"] = "Truncates the file to this length once it is open.",
        ["ftruncate64"] = "Truncates the file to this length once it is open.",
        // SOCKET
        ["bind"] = "Binds the socket to this local address (host, host:port, :port or a path, by socket type) before connecting or listening.",
        ["connect-timeout"] = "Gives up connecting after this many seconds.",
        ["protocol-family"] = "Chooses the protocol family for names and addresses: ip4 or ip6 (also 4 or 6).",
        ["sourceport"] = "Connects from this local port; on an address that accepts, only peers from this port are allowed.",
        ["lowport"] = "Connects from a privileged port (640 to 1023); on an address that accepts, only peers from a privileged port are allowed.",
        ["setsockopt"] = "Sets any socket option: level:name:value, the value in hexadecimal bytes.",
        ["setsockopt-bin"] = "Sets any socket option: level:name:value, the value in hexadecimal bytes.",
        ["setsockopt-int"] = "Sets any socket option to an integer: level:name:value.",
        ["setsockopt-string"] = "Sets any socket option to a string: level:name:value.",
        ["setsockopt-listen"] = "Like setsockopt, on the listening socket before it is bound.",
        ["so-type"] = "The socket type to use (for example 2 for SOCK_DGRAM) where the address allows more than one.",
        ["so-reuseaddr"] = "Allows binding a local address still in TIME_WAIT (SO_REUSEADDR), as restarted servers need.",
        ["so-reuseport"] = "Allows several sockets to bind the same address and port (SO_REUSEPORT).",
        ["so-keepalive"] = "Sends TCP keepalive probes on an idle connection (SO_KEEPALIVE).",
        ["so-rcvbuf"] = "Sets the receive buffer size (SO_RCVBUF).",
        ["so-sndbuf"] = "Sets the send buffer size (SO_SNDBUF).",
        ["so-linger"] = "Waits this many seconds at close for unsent data to go (SO_LINGER); 0 resets the connection.",
        ["so-bindtodevice"] = "Binds the socket to a network interface by name (SO_BINDTODEVICE).",
        ["so-broadcast"] = "Allows sending to a broadcast address (SO_BROADCAST).",
        ["so-timestamp"] = "Receives each datagram's arrival time, logged and given to a child program.",
        ["tcp-nodelay"] = "Sends small segments at once instead of collecting them (disables Nagle's algorithm).",
        ["ip-ttl"] = "Sets the time to live of outgoing IP packets.",
        ["ip-tos"] = "Sets the type of service byte of outgoing IPv4 packets.",
        ["ipv6-v6only"] = "An IPv6 socket takes IPv6 only, not IPv4 mapped into it (IPV6_V6ONLY).",
        ["ip-add-membership"] = "Joins a multicast group: group:interface-address, group:interface-name or group:interface-address:interface-name.",
        ["ipv6-join-group"] = "Joins an IPv6 multicast group on an interface: group:interface.",
        ["ip-add-source-membership"] = "Joins a multicast group for one source only: group:interface:source.",
        ["ip-multicast-if"] = "Sends multicast through the interface with this address.",
        ["ip-multicast-ttl"] = "Sets the time to live of outgoing multicast packets.",
        ["ip-multicast-loop"] = "Whether multicast sent here is also delivered locally.",
        ["null-eof"] = "An empty datagram is taken as end of file.",
        // LISTEN, CHILD, RANGE, RETRY
        ["backlog"] = "The length of the queue of connections not yet accepted (default: the system's maximum).",
        ["accept-timeout"] = "Gives up waiting for a connection after this many seconds.",
        ["fork"] = "Serves every accepted connection (or, on an address that connects, connects again after each connection), each with its own second address.",
        ["max-children"] = "With fork, at most this many relays at a time; further peers wait.",
        ["range"] = "Allows only peers from this network: address/bits or address:mask (IPv6 in brackets).",
        ["retry"] = "Retries a failed connect or listen this many times.",
        ["forever"] = "Retries a failed connect or listen without end.",
        ["interval"] = "Seconds between retries (default 1).",
        ["tcpwrappers"] = "Checks each peer against hosts.allow and hosts.deny (TCP wrappers), under this daemon name (socat by default).",
        ["tcpwrap-etc"] = "The directory that holds hosts.allow and hosts.deny.",
        ["tcpwrap-hosts-allow-table"] = "The file to use in place of hosts.allow.",
        ["tcpwrap-hosts-deny-table"] = "The file to use in place of hosts.deny.",
        // EXEC, FORK, PROCESS
        ["pty"] = "Connects the child program through a pseudo terminal instead of a socket pair.",
        ["pipes"] = "Connects the child program through two pipes instead of a socket pair.",
        ["stderr"] = "Also relays the child program's standard error.",
        ["fdin"] = "The descriptor the child reads the relayed data from (default 0).",
        ["fdout"] = "The descriptor the child writes the relayed data to (default 1).",
        ["setsid"] = "Starts the program in a new session.",
        ["setpgid"] = "Starts the program in a new process group.",
        ["tiocsctty"] = "Makes the pty the controlling terminal of the program (with pty and setsid).",
        ["dash"] = "Starts the program with a - before its name, as a login shell.",
        ["path"] = "The search path used to find the program.",
        ["sighup"] = "Passes SIGHUP received by sharpcat on to the child.",
        ["sigint"] = "Passes SIGINT received by sharpcat on to the child.",
        ["sigquit"] = "Passes SIGQUIT received by sharpcat on to the child.",
        ["nofork"] = "Runs the program in place of sharpcat, connected directly to the other address.",
        ["chroot"] = "Runs the program with this directory as its root.",
        ["setuid"] = "Runs the program as this user (the user id only).",
        ["setgid"] = "Runs the program with this group.",
        ["substuser"] = "Runs the program as this user, with the user's groups.",
        ["substuser-delayed"] = "Like su, changing user after the address has been opened.",
        // PTY
        ["symbolic-link"] = "Creates a symbolic link with this name to the pty's slave (or the opened file).",
        ["pty-wait-slave"] = "Waits until some program has opened the slave before relaying.",
        ["pty-interval"] = "How often, in seconds, wait-slave checks the slave.",
        ["openpty"] = "Creates the pty with openpty(3).",
        ["ptmx"] = "Creates the pty through /dev/ptmx.",
        // SOCKS, HTTP
        ["socksport"] = "The port of the SOCKS server (default 1080).",
        ["socksuser"] = "The user name sent to the SOCKS server.",
        ["sockspass"] = "The password sent to a SOCKS5 server with socksuser.",
        ["posixmq-priority"] = "The priority (0 to 32767) of the messages sent to a POSIX message queue; readers get the highest first.",
        ["posixmq-flush"] = "Drops the messages a POSIX message queue holds before the transfer starts.",
        ["posixmq-maxmsg"] = "The most messages a POSIX message queue created here holds (the system's default when only posixmq-msgsize is given).",
        ["posixmq-msgsize"] = "The largest message a POSIX message queue created here takes (the system's default when only posixmq-maxmsg is given).",
        ["proxyport"] = "The port of the HTTP proxy (default 8080).",
        ["proxy-authorization"] = "Sends user:password to the HTTP proxy (basic authentication).",
        ["proxy-authorization-file"] = "Reads user:password for the HTTP proxy from this file.",
        ["proxy-resolve"] = "Resolves the target host here and sends its address to the proxy.",
        // socat 1.8's
        ["http-version"] = "The HTTP version in the proxy's CONNECT request line (1.0 unless given; a version only, such as 1.1).",
        ["f-setpipe-sz"] = "Sets the buffer size of the pipe or FIFO in bytes (fcntl F_SETPIPE_SZ); on anything else it fails as fcntl does.",
        ["netns"] = "Opens the address inside the network namespace /run/netns/NAME (as ip netns add makes them): its sockets, listeners and child programs are made there, other relays stay where they are. A missing namespace is an error before anything is opened.",
        ["chdir"] = "The working directory of the child program (EXEC, SYSTEM, SHELL); a missing one is an error naming chdir.",
        ["children-shutup"] = "With fork, each connection's relay logs this many levels lower (1 when no value is given); the listener's own messages stay.",
        ["shell"] = "The shell that runs SHELL's command, in place of the SHELL variable; the program gets it as SHELL.",
        ["tiocswinsz"] = "Sets the terminal's size, columns:rows (0 to 65535 each), as a terminal emulator does (TIOCSWINSZ); on a pty, the program on its other side sees it.",
        ["res-usevc"] = "The address's DNS lookups ask over TCP.",
        ["res-igntc"] = "The address's DNS lookups take an answer marked truncated as it is, instead of asking again over TCP.",
        ["res-recurse"] = "Whether the address's DNS queries ask the server to recurse (the RD bit; on by default).",
        ["res-defnames"] = "Whether a name without a dot is looked up with resolv.conf's search domains (on by default).",
        ["res-dnsrch"] = "Whether a name with a dot is looked up with the search domains when it is not found itself (on by default).",
        ["res-stayopen"] = "With res-usevc, keeps the TCP connection to the DNS server for the lookup's next query.",
        ["res-nsaddr"] = "The DNS server (an IPv4 address, optional :port, 53 by default) the address's name lookups ask, in place of resolv.conf's; /etc/hosts is still read first.",
        ["res-retrans"] = "Seconds the address's DNS lookups wait for an answer before asking again (resolv.conf's timeout).",
        ["res-retry"] = "How many times the address's DNS lookups ask each server before they fail (resolv.conf's attempts; 0 asks none).",
        ["ignorecr"] = "Accepts proxy reply lines that end in LF alone.",
        // WEBSOCKET (SharpCat's own)
        ["ws-path"] = "A client's request path (default /, a query may follow); a server serves only this path and answers others with 404.",
        ["ws-protocol"] = "A subprotocol, once per option: a client offers them in this order and fails when the server picks none or another; a server picks the first of its own the client offers, and answers 400 when it offers only others.",
        ["ws-origin"] = "The Origin a client sends; on a server, an Origin allowed (once per option): a request with another or none gets 403.",
        ["ws-header"] = "An extra header line Name:value, once per option: in a client's request, or in a server's 101 answer.",
        ["ws-basic-auth"] = "user:password: a client sends it (HTTP Basic authentication); a server requires it and answers 401 without it.",
        ["ws-max-message"] = "The largest message accepted, in bytes (default 0: no limit, as messages are streamed through); a larger one closes the WebSocket with 1009.",
        ["ws-text"] = "Sends text messages instead of binary ones: the data must be UTF-8 (a character split between reads goes out whole).",
        ["ws-lines"] = "Each line written is one message, without its newline (a line's start waits for its end, at most ws-max-message or 16 MiB); each message read ends with a newline. With ws-text the messages are text.",
        ["ws-ping-interval"] = "Sends a ping after this many seconds without a byte from the peer (keep-alive through proxies and NAT; default none).",
        ["ws-ping-timeout"] = "With ws-ping-interval: when nothing comes this many seconds after a ping, closes the WebSocket with 1011 and fails the relay.",
        ["ws-handshake-timeout"] = "How long the opening handshake may take (default 10 seconds); a listener then drops that connection and goes on.",
        // OPENSSL
        ["openssl-certificate"] = "The file with this side's certificate (PEM), which may also hold the key.",
        ["openssl-key"] = "The file with this side's private key (PEM).",
        ["openssl-cafile"] = "The file with the certificates to check the peer's certificate against.",
        ["openssl-capath"] = "The directory with the certificates to check the peer's certificate against.",
        ["openssl-verify"] = "Whether to check the peer's certificate (default 1).",
        ["openssl-commonname"] = "The name the peer's certificate must hold (a client's default: the host it connects to).",
        ["openssl-snihost"] = "The server name a client sends in the TLS handshake (default: commonname, or the host it connects to).",
        ["openssl-no-sni"] = "Sends no server name in the handshake.",
        ["openssl-min-proto-version"] = "The oldest protocol version to accept, e.g. TLS1.2 (default TLS1.2).",
        ["openssl-max-proto-version"] = "The newest protocol version to accept, e.g. TLS1.3.",
        ["openssl-cipherlist"] = "The ciphers to allow, as an OpenSSL cipher string.",
        ["openssl-dhparam"] = "The file with Diffie-Hellman parameters for the server.",
        ["openssl-compress"] = "TLS compression: auto or none (OpenSSL 3 never compresses).",
        // TERMIOS
        ["raw"] = "Raw terminal mode: no line editing, echo or signal characters (socat's old raw).",
        ["termios-rawer"] = "Like raw, and also without echo.",
        ["termios-cfmakeraw"] = "Raw mode as cfmakeraw(3) sets it.",
        ["sane"] = "Sets the terminal to sensible defaults, as stty sane.",
        ["ispeed"] = "The input line speed (a B-constant value or a speed in baud).",
        ["ospeed"] = "The output line speed (a B-constant value or a speed in baud).",
        ["vmin"] = "In non-canonical mode, the least number of characters a read returns.",
        ["vtime"] = "In non-canonical mode, the read timeout in tenths of a second.",
        // INTERFACE
        ["tun-device"] = "The clone device to open instead of /dev/net/tun.",
        ["tun-name"] = "The name of the interface to create (e.g. tun0).",
        ["tun-type"] = "tun (IP packets) or tap (Ethernet frames).",
        ["iff-no-pi"] = "Relays packets without the 4-byte packet information header.",
    };

    private static readonly Dictionary<string, string> SeekBase = new() { ["set"] = "start", ["cur"] = "current position", ["end"] = "end" };

    /// <summary>
    /// Families described by rule, tried in order. The termios rules only take TERMIOS options:
    /// elsewhere no line is better than a wrong one.
    /// </summary>
    private static readonly (Func<OptionDef, bool> When, Regex Name, Func<Match, string> Text)[] Rules =
    [
        (_ => true, new("^b([0-9]+)$"), m => $"Sets the line speed to {m.Groups[1].Value} baud."),
        (_ => true, new("^so-(.+)$"), m => $"Sets the socket option SO_{Upper(m)} (socket(7))."),
        (_ => true, new("^ipv6-(.+)$"), m => $"Sets the IPv6 socket option IPV6_{Upper(m)} (ipv6(7))."),
        (_ => true, new("^ip-(.+)$"), m => $"Sets the IP socket option IP_{Upper(m)} (ip(7))."),
        (_ => true, new("^tcp-(.+)$"), m => $"Sets the TCP socket option TCP_{Upper(m)} (tcp(7))."),
        (_ => true, new("^o-(.+)$"), m => $"Opens with the flag O_{Upper(m)} (open(2))."),
        (_ => true, new("^fs-(.+)$"), m => $"Sets the file attribute FS_{Upper(m)}_FL (chattr(1))."),
        (_ => true, new("^iff-(.+)$"), m => $"Sets the interface flag IFF_{Upper(m)}."),
        (_ => true, new("^lseek(?:32|64)-(set|cur|end)$"), m => $"Seeks to this offset from the {SeekBase[m.Groups[1].Value]} once the file is open."),
        (IsTermios, new("^v(.+)$"), m => $"Sets the terminal's V{Upper(m)} control character (termios(3))."),
        (o => IsTermios(o) && o.Type == OptionType.Bool, new("^(.+)$"), m => $"Turns the terminal flag {Upper(m)} on (1) or off (0) (termios(3))."),
        (IsTermios, new("^(.+)$"), m => $"Sets the terminal setting {Upper(m)} (termios(3))."),
    ];

    private static bool IsTermios(OptionDef option) => option.Groups.HasFlag(OptionGroups.Termios);

    private static string Upper(Match m) => m.Groups[1].Value.ToUpperInvariant().Replace('-', '_');

    /// <summary>The line for an option, or null where neither the table nor a rule knows it.</summary>
    public static string? Meaning(OptionDef option)
    {
        if (Meanings.TryGetValue(option.Name, out string? text)) return text;
        foreach (var (when, name, rule) in Rules)
            if (when(option) && name.Match(option.Name) is { Success: true } m) return rule(m);
        return null;
    }
}
