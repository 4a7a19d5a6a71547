namespace SharpCat.Catalog;

/// <summary>
/// The options this build really applies. Every other option of the catalog is recognised
/// (so it gets a precise "not supported by this build" error) but refused: an option is
/// never accepted and ignored.
/// </summary>
internal static class ImplementedOptions
{
    public static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        // APPL: relay behaviour of one address.
        "cr", "crnl", "ignoreeof", "readbytes", "escape", "lockfile", "waitlock",
        // FD: any file descriptor.
        "cloexec", "o-nonblock", "cool-write", "end-close", "shut-none", "shut-down", "shut-close", "shut-null",
        "f-setlk-rd", "f-setlk-wr", "f-setlkw-rd", "f-setlkw-wr", "flock-ex", "flock-ex-nb", "flock-sh", "flock-sh-nb",
        "user", "group", "perm", "user-late", "group-late", "perm-late", "o-noatime",
        "ioctl-void", "ioctl-int", "ioctl-intp", "ioctl-bin", "ioctl-string",
        // NAMED: file system entries.
        "user-early", "group-early", "perm-early", "umask", "unlink", "unlink-early", "unlink-late", "unlink-close",
        // UNIX: socat 1.8's bind to a fresh name (UnixTempName).
        "unix-bind-tempname",
        // OPEN: open(2) flags.
        "o-create", "o-excl", "o-trunc", "append", "async", "o-direct", "o-directory", "o-dsync", "o-largefile",
        "o-noctty", "o-nofollow", "o-rdonly", "o-rdwr", "o-wronly", "o-rsync", "o-sync",
        // REG: regular files.
        "ftruncate32", "ftruncate64", "lseek32-cur", "lseek32-end", "lseek32-set", "lseek64-cur", "lseek64-end", "lseek64-set",
        "fs-append", "fs-compr", "fs-dirsync", "fs-immutable", "fs-journal-data", "fs-noatime", "fs-nodump",
        "fs-notail", "fs-secrm", "fs-sync", "fs-topdir", "fs-unrm",
        // SOCKET, IP4/IP6, TCP: bind, connect, listen and the setsockopt table (SocketOptions).
        "bind", "connect-timeout", "protocol-family", "sourceport", "lowport",
        "setsockopt", "setsockopt-bin", "setsockopt-int", "setsockopt-string", "setsockopt-listen",
        "setsockopt-socket", "setsockopt-connected",
        // EXEC, FORK, PROCESS: how a child program is connected and started.
        "pty", "pipes", "stderr", "fdin", "fdout", "setsid", "setpgid", "tiocsctty", "dash", "path",
        "sighup", "sigint", "sigquit", "nofork", "chroot", "setuid", "setgid", "substuser", "substuser-delayed",
        // PTY. openpty(3) on Linux is posix_openpt, grantpt, unlockpt and an open of the slave,
        // which is what both spellings get here.
        "symbolic-link", "pty-wait-slave", "pty-interval", "openpty", "ptmx",
        // SOCKS4 and HTTP (proxy clients).
        "socksport", "socksuser", "sockspass", "proxyport", "proxy-authorization", "proxy-authorization-file", "proxy-resolve", "ignorecr",
        // Datagram sockets.
        // socat 1.8's getaddrinfo flags (NameLookup).
        "ai-addrconfig", "ai-passive", "ai-v4mapped", "ai-all",
        "null-eof", "ip-add-membership", "ipv6-join-group", "ip-add-source-membership", "ipv6-join-source-group", "ip-multicast-if", "so-type",
        // OPENSSL (TLS over TCP).
        "openssl-certificate", "openssl-key", "openssl-cafile", "openssl-capath", "openssl-verify", "openssl-commonname",
        "openssl-snihost", "openssl-no-sni", "openssl-min-proto-version", "openssl-max-proto-version", "openssl-cipherlist", "openssl-dhparam", "openssl-compress",
        // LISTEN, CHILD, RANGE, RETRY; TCP wrappers (libwrap, loaded when one of them is used).
        "backlog", "accept-timeout", "fork", "max-children", "range", "retry", "forever", "interval",
        "tcpwrappers", "tcpwrap-etc", "tcpwrap-hosts-allow-table", "tcpwrap-hosts-deny-table",
        // POSIXMQ (socat 1.8's message queues).
        "posixmq-priority", "posixmq-flush", "posixmq-maxmsg", "posixmq-msgsize",
        // socat 1.8's: the HTTP version of PROXY's request line, a pipe's buffer size.
        "http-version", "f-setpipe-sz",
        // socat 1.8's netns: sockets and child programs of the address in a named network namespace.
        "netns",
        // socat 1.8's chdir, for child programs (umask, already NAMED, now reaches them too).
        "chdir",
        // socat 1.8's children-shutup: each connection's relay logs lower.
        "children-shutup",
        // socat 1.8's SHELL: the shell that runs the command.
        "shell",
        // socat 1.8's resolver settings for the address's lookups (NameLookup, ResolverState).
        "res-retrans", "res-retry", "res-nsaddr", "res-usevc", "res-igntc", "res-recurse", "res-defnames", "res-stayopen", "res-dnsrch",
    };

    /// <summary>
    /// Options that cannot apply to this build at all, with the reason the error gives (socat
    /// takes them and may silently do nothing).
    /// </summary>
    public static readonly Dictionary<string, string> Refused = new(StringComparer.Ordinal)
    {
        ["openssl-egd"] = "OpenSSL 1.1 and later seed themselves from the kernel's random source and have no EGD support",
        ["openssl-fips"] = "FIPS mode belongs to the system's OpenSSL configuration (openssl.cnf); this build has no switch of its own for it",
        // glibc prints the resolver's debug output only when built with DEBUG, which release builds are not.
        ["res-debug"] = "glibc's resolver prints its debug output (RES_DEBUG) only when glibc itself is built for debugging, which release builds are not; it would do nothing",
        ["openssl-pseudo"] = "OpenSSL seeds itself from the kernel's random source; there is no missing /dev/urandom to stand in for",
    };

    static ImplementedOptions()
    {
        foreach (var entry in Endpoints.SocketOptions.Table) Names.Add(entry.Name);
        foreach (var name in Endpoints.TermiosOptions.Names) Names.Add(name);
        foreach (var name in Endpoints.TunEndpoints.Names) Names.Add(name);
        foreach (var name in Faults.FaultPlan.Names) Names.Add(name);
        foreach (var name in WebSockets.WebSocketSettings.Names) Names.Add(name);
    }
}

/// <summary>Options of later socat versions that SharpCat knows by name, beyond 1.7.4's listing.</summary>
internal static partial class OptionCatalog
{
    internal static readonly (string Alias, string Name)[] ExtraAliases =
        [("fips", "openssl-fips"), ("source-membership", "ip-add-source-membership"), ("add-source-membership", "ip-add-source-membership"), ("o_creat", "o-create"), ("ccid", "dccp-set-ccid"),
        ("mq-prio", "posixmq-priority"), ("mq-flush", "posixmq-flush"), ("mq-maxmsg", "posixmq-maxmsg"), ("mq-msgsize", "posixmq-msgsize"),
        ("pipesz", "f-setpipe-sz"), ("cd", "chdir"), ("child-shutup", "children-shutup"),
        ("rcvtimeo", "so-rcvtimeo"), ("sndtimeo", "so-sndtimeo"), ("sockopt-sock", "setsockopt-socket"), ("sockopt-conn", "setsockopt-connected"),
        ("join-source-group", "ipv6-join-source-group"), ("ipv6-add-source-membership", "ipv6-join-source-group"),
        ("addrconfig", "ai-addrconfig"), ("passive", "ai-passive"), ("v4mapped", "ai-v4mapped"),
        ("retrans", "res-retrans"), ("res-maxretrans", "res-retrans"), ("res-maxretry", "res-retry"),
        ("winsz", "tiocswinsz"), ("nsaddr", "res-nsaddr"), ("dns", "res-nsaddr"), ("nameserver", "res-nsaddr"), ("bind-tempname", "unix-bind-tempname")];

    /// <summary>
    /// Groups that socat 1.8 adds to options of 1.7.4's catalog: its UDP-Lite and DCCP addresses bind
    /// as UDP and TCP do; umask also reaches child programs (socat 1.8 takes chdir and umask on every
    /// address and changes its own process for the opening; one process serving many relays cannot,
    /// so here they are the child program's, and umask keeps 1.7.4's NAMED meaning too).
    /// </summary>
    internal static readonly Dictionary<string, OptionGroups> WidenedGroups = new(StringComparer.Ordinal)
    {
        ["sourceport"] = OptionGroups.Dccp | OptionGroups.Udplite,
        ["lowport"] = OptionGroups.Dccp | OptionGroups.Udplite,
        ["umask"] = OptionGroups.Exec,
    };

    /// <summary>
    /// socat 1.8's SOCKS5 password (the user is socksuser); socat's FIPS switch (present in builds
    /// WITH_FIPS), known so that its refusal can say why; source-specific multicast, which socat's
    /// manual documents but Debian's 1.7.4 build lacks; socat 1.8's POSIXMQ options.
    /// </summary>
    internal static readonly OptionDef[] ExtraOptions =
    [
        new("sockspass", OptionGroups.Socks4, OptionPhase.Late, OptionType.String),
        new("ip-add-source-membership", OptionGroups.Ip4, OptionPhase.Pastsocket, OptionType.String),
        new("openssl-fips", OptionGroups.Openssl, OptionPhase.Specific, OptionType.Bool),
        // socat 1.8 types the priority BOOL (so its mq-prio=10 sends priority 1); it is the number here.
        new("posixmq-priority", OptionGroups.Posixmq, OptionPhase.Init, OptionType.UnsignedInt),
        new("posixmq-flush", OptionGroups.Posixmq, OptionPhase.Early, OptionType.Bool),
        new("posixmq-maxmsg", OptionGroups.Posixmq, OptionPhase.Open, OptionType.Int),
        new("posixmq-msgsize", OptionGroups.Posixmq, OptionPhase.Open, OptionType.Int),
        // SharpCat's fault injection (Faults/): APPL, so valid on every address; times in seconds as socat's timeouts.
        new("fault-latency", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-jitter", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-rate", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-slice", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-slice-delay", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-stall", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-reset", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-close", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-slice-variation", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-stall-time", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-reset-time", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-close-time", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-slow-close", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-discard", OptionGroups.Appl, OptionPhase.Late, OptionType.Bool),
        new("fault-probability", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-seed", OptionGroups.Appl, OptionPhase.Late, OptionType.SizeT),
        new("fault-loss", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-loss-burst", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-duplicate", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        new("fault-reorder", OptionGroups.Appl, OptionPhase.Late, OptionType.StructTimeval),
        // socat 1.8 (xio-proxy.c, xio-pipe.c).
        new("http-version", OptionGroups.Http, OptionPhase.Late, OptionType.String),
        new("f-setpipe-sz", OptionGroups.Fd, OptionPhase.Fd, OptionType.Int),
        new("netns", OptionGroups.Process, OptionPhase.Init, OptionType.String),
        // socat 1.8's chdir, for child programs (see WidenedGroups for umask).
        new("chdir", OptionGroups.Exec, OptionPhase.Init, OptionType.String),
        new("children-shutup", OptionGroups.Child, OptionPhase.Pastaccept, OptionType.Int),
        // socat 1.8: UDP-Lite's checksum coverage (SocketOptions sets them).
        new("udplite-send-cscov", OptionGroups.Udplite, OptionPhase.Fd, OptionType.Int),
        new("udplite-recv-cscov", OptionGroups.Udplite, OptionPhase.Fd, OptionType.Int),
        // socat 1.8: the congestion control of a DCCP socket (DCCP_SOCKOPT_CCID).
        new("dccp-set-ccid", OptionGroups.Dccp, OptionPhase.Pastsocket, OptionType.Byte),
        // socat 1.8's socket options: receive and send timeouts, and setsockopt at two more phases.
        new("so-rcvtimeo", OptionGroups.Socket, OptionPhase.Pastsocket, OptionType.StructTimeval),
        new("so-sndtimeo", OptionGroups.Socket, OptionPhase.Pastsocket, OptionType.StructTimeval),
        new("setsockopt-socket", OptionGroups.Socket, OptionPhase.Pastsocket, OptionType.Int_Int_Bin),
        new("setsockopt-connected", OptionGroups.Socket, OptionPhase.Connected, OptionType.Int_Int_Bin),
        new("ipv6-join-source-group", OptionGroups.Ip6, OptionPhase.Pastsocket, OptionType.String),
        // socat 1.8's resolver options: getaddrinfo's flags, and three it writes into glibc's _res.
        new("ai-addrconfig", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Bool),
        new("ai-passive", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Bool),
        new("ai-v4mapped", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Bool),
        new("ai-all", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Bool),
        new("res-retrans", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Int),
        new("res-retry", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.Int),
        new("res-nsaddr", OptionGroups.Ip4 | OptionGroups.Ip6, OptionPhase.Init, OptionType.String),
        new("unix-bind-tempname", OptionGroups.Unix, OptionPhase.Preopen, OptionType.StringNull),
        new("shell", OptionGroups.Shell, OptionPhase.Preexec, OptionType.String),
        // socat 1.8.1's terminal size, columns:rows (TermiosOptions).
        new("tiocswinsz", OptionGroups.Termios, OptionPhase.Fd, OptionType.Int_Int),
        // SharpCat's WebSocket options (WebSockets/WebSocketSettings.cs); ws-protocol, ws-origin and ws-header may be repeated.
        new("ws-path", OptionGroups.Websocket, OptionPhase.Late, OptionType.String),
        new("ws-protocol", OptionGroups.Websocket, OptionPhase.Late, OptionType.String),
        new("ws-origin", OptionGroups.Websocket, OptionPhase.Late, OptionType.String),
        new("ws-header", OptionGroups.Websocket, OptionPhase.Late, OptionType.String),
        new("ws-basic-auth", OptionGroups.Websocket, OptionPhase.Late, OptionType.String),
        new("ws-max-message", OptionGroups.Websocket, OptionPhase.Late, OptionType.SizeT),
        new("ws-text", OptionGroups.Websocket, OptionPhase.Late, OptionType.Bool),
        new("ws-handshake-timeout", OptionGroups.Websocket, OptionPhase.Late, OptionType.StructTimeval),
        new("ws-lines", OptionGroups.Websocket, OptionPhase.Late, OptionType.Bool),
        new("ws-ping-interval", OptionGroups.Websocket, OptionPhase.Late, OptionType.StructTimeval),
        new("ws-ping-timeout", OptionGroups.Websocket, OptionPhase.Late, OptionType.StructTimeval),
    ];
}
