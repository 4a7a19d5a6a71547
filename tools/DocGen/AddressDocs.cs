using System.Text.RegularExpressions;

namespace SharpCat.DocGen;

/// <summary>
/// One line per address type saying what it is. The IPv4/IPv6 variants (<c>tcp4-listen</c>,
/// <c>udp6-sendto</c>, …) share their family's line with the version added, so the table names
/// each family once.
/// </summary>
internal static partial class AddressDocs
{
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        ["stdio"] = "Standard input and standard output of sharpcat (also written -).",
        ["stdin"] = "Standard input only: the address is read from, never written to.",
        ["stdout"] = "Standard output only: the address is written to, never read from.",
        ["stderr"] = "Standard error only: the address is written to, never read from.",
        ["fd"] = "An already open file descriptor, inherited from the parent (also written as the bare number).",
        ["open"] = "Opens an existing file or device with open(2); with creat it may create a regular file.",
        ["create"] = "Creates (or truncates) a file and writes to it.",
        ["gopen"] = "Opens a path whatever it is: a file, a device, a FIFO, or connects to a UNIX socket (also written as a bare path containing a /).",
        ["pipe"] = "Without a name, an unnamed pipe that echoes back what is written to it; with a name, a named pipe (FIFO), created if missing.",
        ["stall"] = "Never gives data or end of file, and never takes data, so the other address is not read for it (socat 1.8.1): for holding a connection open and idle.",
        ["text"] = "The string is the data read from this address, then end of file (socat 1.8.1); what is written to it goes to stdout. Written to only, it is STDOUT.",
        ["socketpair"] = "A pair of connected UNIX sockets that echoes back what is written to it (socat 1.8); datagrams by default, so each message comes back whole; socktype=1 makes it a stream, socktype=5 seqpacket.",
        ["accept-fd"] = "Accepts connections on a listening socket handed over as an open descriptor, as systemd's socket activation (fd 3, LISTEN_FDS) or inetd do (socat 1.8); one connection, or with fork every one.",
        ["posixmq-read"] = "Reads messages from a POSIX message queue (/name), created if missing (socat 1.8); each message is one read.",
        ["posixmq-receive"] = "Takes one message from a POSIX message queue and ends (socat 1.8); with fork, every message is its own relay.",
        ["posixmq-send"] = "Sends each piece of data as one message to a POSIX message queue, created if missing, with posixmq-priority (socat 1.8).",
        ["posixmq-write"] = "The same as POSIXMQ-SEND (socat 1.8).",
        ["posixmq-bidirectional"] = "Reads and writes messages of a POSIX message queue as the relay needs (socat 1.8); both ways it is an echo.",
        ["exec"] = "Starts a program (not through a shell) and relays with its standard input and output.",
        ["system"] = "Runs a shell command with /bin/sh -c and relays with its standard input and output.",
        ["shell"] = "Runs a shell command with the shell that SHELL (or the shell option) names, as SYSTEM does with /bin/sh (socat 1.8).",
        ["pty"] = "Creates a pseudo terminal and relays its master side; link= gives the slave a fixed name.",
        ["tcp-connect"] = "Connects to a TCP port of a host.",
        ["tcp-listen"] = "Listens on a TCP port and relays the connection it accepts (with fork, every connection).",
        ["udp-connect"] = "Sends datagrams to a UDP port of a host and receives its replies (a connected UDP socket).",
        ["udp-listen"] = "Waits for a first datagram on a UDP port, then exchanges datagrams with its sender.",
        ["udp-sendto"] = "Sends datagrams to a UDP port of a host and takes replies from any sender.",
        ["udp-datagram"] = "Sends datagrams to an address (also broadcast or multicast) and receives those sent to its port.",
        ["udp-recvfrom"] = "Receives one datagram on a UDP port and answers its sender (with fork, each datagram).",
        ["udp-recv"] = "Receives datagrams on a UDP port from any sender; read only.",
        ["ip-sendto"] = "Sends raw IP packets of a protocol number to a host and takes replies from any sender (needs root).",
        ["ip-datagram"] = "Sends raw IP packets of a protocol to an address (also broadcast or multicast) and receives those of that protocol.",
        ["ip-recvfrom"] = "Receives one raw IP packet of a protocol and answers its sender (with fork, each packet).",
        ["ip-recv"] = "Receives raw IP packets of a protocol from any sender; read only.",
        ["sctp-connect"] = "Connects to an SCTP port of a host (stream mode), where the kernel has SCTP.",
        ["sctp-listen"] = "Listens on an SCTP port and relays the connection it accepts (with fork, every connection).",
        ["unix-connect"] = "Connects to a UNIX domain stream socket at a path.",
        ["unix-listen"] = "Listens on a UNIX domain stream socket at a path and relays the connection it accepts.",
        ["unix-client"] = "Connects to a UNIX domain socket at a path, stream or datagram, whichever it is.",
        ["unix-sendto"] = "Sends datagrams to a UNIX domain datagram socket at a path.",
        ["unix-recvfrom"] = "Receives one datagram on a UNIX datagram socket at a path and answers its sender.",
        ["unix-recv"] = "Receives datagrams on a UNIX datagram socket at a path; read only.",
        ["abstract-connect"] = "Like UNIX-CONNECT, with a name in Linux's abstract socket namespace instead of a path.",
        ["abstract-listen"] = "Like UNIX-LISTEN, with a name in the abstract namespace.",
        ["abstract-client"] = "Like UNIX-CLIENT, with a name in the abstract namespace.",
        ["abstract-sendto"] = "Like UNIX-SENDTO, with a name in the abstract namespace.",
        ["abstract-recvfrom"] = "Like UNIX-RECVFROM, with a name in the abstract namespace.",
        ["abstract-recv"] = "Like UNIX-RECV, with a name in the abstract namespace.",
        ["socket-connect"] = "Connects a stream socket of any domain and protocol to an address given as hexadecimal bytes.",
        ["socket-listen"] = "Listens on a stream socket of any domain and protocol at an address given as hexadecimal bytes.",
        ["socket-sendto"] = "Sends datagrams on a socket of any domain, type and protocol to an address given as hexadecimal bytes.",
        ["socket-datagram"] = "Sends datagrams on a socket of any domain, type and protocol and receives those sent to it.",
        ["socket-recvfrom"] = "Receives one datagram on a socket of any domain, type and protocol and answers its sender.",
        ["socket-recv"] = "Receives datagrams on a socket of any domain, type and protocol; read only.",
        ["interface"] = "Sends and receives whole frames on a network interface (a packet socket; needs root).",
        ["tun"] = "Creates a TUN (or, with tun-type=tap, TAP) interface, optionally with an address, and relays its packets.",
        ["vsock-connect"] = "Connects to a VSOCK port of a virtual machine or its host (by context id).",
        ["vsock-listen"] = "Listens on a VSOCK port and relays the connection it accepts.",
        ["openssl"] = "Connects over TCP and speaks TLS as a client, checking the server's certificate unless verify=0.",
        ["openssl-listen"] = "Listens on a TCP port and speaks TLS as a server (cert= is required).",
        ["ws-connect"] = "Connects to a TCP port of a host and opens a WebSocket (RFC 6455) there: each write is one binary message, what comes is read as a byte stream, the close handshake is the end of file both ways.",
        ["ws-listen"] = "Listens on a TCP port for WebSocket clients (browsers, websockify's peers); a request it does not serve is answered with its HTTP error and it goes on listening; with fork, every client.",
        ["wss-connect"] = "WS-CONNECT over TLS, with OPENSSL's options (the server's certificate is checked unless verify=0).",
        ["wss-listen"] = "WS-LISTEN over TLS, with OPENSSL-LISTEN's options (cert= is required).",
        ["ws-unix-connect"] = "WS-CONNECT over a UNIX stream socket (the request names localhost).",
        ["ws-unix-listen"] = "WS-LISTEN on a UNIX stream socket, for a reverse proxy (nginx) that forwards WebSocket requests to one.",
        ["ws-proxy"] = "WS-CONNECT through an HTTP proxy's CONNECT tunnel, with PROXY's options (proxyport, proxy-authorization, ...).",
        ["ws-socks5"] = "WS-CONNECT through a SOCKS5 server, with SOCKS5-CONNECT's parameters and options (socksport, socksuser, sockspass).",
        ["wss-proxy"] = "WS-PROXY with TLS inside the tunnel, with OPENSSL's options (the target's certificate is checked unless verify=0).",
        ["wss-socks5"] = "WS-SOCKS5 with TLS inside the tunnel, with OPENSSL's options (the target's certificate is checked unless verify=0).",
        ["openssl-dtls-client"] = "Speaks DTLS (TLS over UDP) as a client to a UDP port of a host.",
        ["openssl-dtls-server"] = "Waits on a UDP port and speaks DTLS as a server (cert= is required).",
        ["proxy"] = "Connects through an HTTP proxy with the CONNECT method to a host and port.",
        ["socks4"] = "Connects through a SOCKS4 server to a host and port (the name is resolved here).",
        ["socks4a"] = "Connects through a SOCKS4a server to a host and port (the server resolves the name).",
        ["socks5-connect"] = "Connects through a SOCKS5 server to a host and port, with user and password if given (socat 1.8). The SOCKS port may follow the server (server:socks-port:host:port) or come from socksport= (default 1080).",
        ["socks5-listen"] = "Asks a SOCKS5 server to listen (BIND) for one connection and relays it (socat 1.8). The SOCKS port may follow the server, as for SOCKS5-CONNECT.",
    };

    /// <summary>The line for an address type, or null if the table has none (the page then gives parameters and groups only).</summary>
    public static string? Meaning(string keyword)
    {
        if (Meanings.TryGetValue(keyword, out string? text)) return text;
        // tcp4-listen → tcp-listen (IPv4 only)
        var m = IpVersion().Match(keyword);
        return m.Success && Meanings.TryGetValue(m.Groups[1].Value + m.Groups[3].Value, out text)
            ? $"{text} IPv{m.Groups[2].Value} only."
            : null;
    }

    [GeneratedRegex("^(tcp|udp|ip|sctp)([46])(-.*)$")]
    private static partial Regex IpVersion();
}
