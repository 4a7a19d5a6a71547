namespace SharpCat.DocGen;

/// <summary>One global option: the spellings completion offers, its synopsis in roff, and its meaning.</summary>
internal sealed record GlobalOptionDoc(string[] Spellings, string Synopsis, string Meaning);

/// <summary>
/// The global options, with the fuller meanings a manual gives (<c>sharpcat -h</c> prints one
/// line each, from src/SharpCat.Cli/HelpText.cs). A test checks that every option that help text
/// names is here, so the two cannot drift apart unnoticed.
/// </summary>
internal static class GlobalOptionDocs
{
    public static readonly GlobalOptionDoc[] All =
    [
        new(["-V"], @"\fB\-V\fR", "Print the version and the build's feature list (socat's #define WITH_... lines) to standard output, and exit."),
        new(["-h", "-?"], @"\fB\-h\fR, \fB\-?\fR", "Print usage, the global options and the address types with their option groups; address types marked * are not in this build. Exit."),
        new(["-hh"], @"\fB\-hh\fR", "Like -h, followed by every option of this build with its groups, phase and value type."),
        new(["-hhh"], @"\fB\-hhh\fR", "Like -hh, with every alias of an address type or option as well."),
        new(["-d", "-dd", "-ddd", "-dddd", "-d0", "-d1", "-d2", "-d3", "-d4"], @"\fB\-d\fR[\fBddd\fR], \fB\-d\fR\fIlevel\fR", "Log more: without -d only errors are logged; each -d adds a level (warnings, notices, info, debug). The d's may be given together (-dd) or apart (-d -d). As in socat 1.8, -d0 to -d4 set the level directly (0 errors only, 1 warnings, 2 notices, 3 info, 4 debug); a later -d adds to it."),
        new(["-D"], @"\fB\-D\fR", "Log a description of each address's file descriptors before the transfer starts."),
        new(["-ly"], @"\fB\-ly\fR[\fIfacility\fR]", "Log to syslog instead of standard error, with this facility (daemon when none is given)."),
        new(["-lf"], @"\fB\-lf\fR \fIlogfile\fR", "Log to this file (appended to) instead of standard error."),
        new(["-ls"], @"\fB\-ls\fR", "Log to standard error; this is the default."),
        new(["-lm"], @"\fB\-lm\fR[\fIfacility\fR]", "Log to standard error while starting, then to syslog with this facility once the relay runs."),
        new(["-lp"], @"\fB\-lp\fR \fIprogname\fR", "Use this program name in log lines instead of sharpcat."),
        new(["-lu"], @"\fB\-lu\fR", "Give log timestamps to the microsecond."),
        new(["-lh"], @"\fB\-lh\fR", "Put the host name in log lines."),
        new(["-v"], @"\fB\-v\fR", "Write the relayed data to standard error as text, each block after a line with its direction (> left to right, < right to left), time and length."),
        new(["-x"], @"\fB\-x\fR", "Write the relayed data to standard error as hexadecimal; with -v, both forms."),
        new(["-r"], @"\fB\-r\fR \fIfile\fR", "Copy the raw data moving from the left address to the right one into this file."),
        new(["-R"], @"\fB\-R\fR \fIfile\fR", "Copy the raw data moving from the right address to the left one into this file."),
        new(["-b"], @"\fB\-b\fR \fIsize\fR", "Read and write up to this many bytes at a time (default 8192; 1 byte to 1 GiB). A datagram longer than this is cut to it."),
        new(["-s"], @"\fB\-s\fR", "Sloppy: an option that cannot be applied is logged and the address goes on, instead of failing."),
        new(["-S"], @"\fB\-S\fR \fImask\fR", "As socat 1.8: the signals caught only to log \"exiting on signal N\" and end with status 128+N, as a bit mask in C notation (bit N for signal N); the default is 0x89de (HUP, INT, QUIT, ILL, ABRT, BUS, FPE, SEGV, TERM). A signal left out keeps its default action and ends the program silently. ILL, BUS, FPE and SEGV stay the .NET runtime's and are never caught; PIPE, USR1, CHLD, KILL and STOP are not caught either, as in socat."),
        new(["-t"], @"\fB\-t\fR \fIseconds\fR", "After one direction reaches end of file, close the other once it has been silent this long (default 0.5)."),
        new(["-T"], @"\fB\-T\fR \fIseconds\fR", "End the relay when no data has moved in either direction for this long (default: never)."),
        new(["-u"], @"\fB\-u\fR", "Relay in one direction only, from the left address to the right one."),
        new(["-U"], @"\fB\-U\fR", "Relay in one direction only, from the right address to the left one."),
        new(["-g"], @"\fB\-g\fR", "Do not check that an option belongs to a group of its address type; an option the descriptor cannot use is still refused."),
        new(["-L"], @"\fB\-L\fR \fIlockfile\fR", "Take this lock file for the run, or fail at once if another process holds it."),
        new(["-W"], @"\fB\-W\fR \fIlockfile\fR", "Take this lock file for the run, waiting while another process holds it."),
        new(["-0"], @"\fB\-0\fR", "As socat 1.8: prefer no IP version. A TCP or UDP address that listens or receives without naming a version binds the IPv6 wildcard, which serves IPv4 clients too on a dual-stack system; names resolve to either version."),
        new(["-4"], @"\fB\-4\fR", "Use IPv4 where an address does not say which IP version."),
        new(["-6"], @"\fB\-6\fR", "Use IPv6 where an address does not say which IP version."),
        new(["--propagate-reset"], @"\fB\-\-propagate\-reset\fR", "When a peer resets its connection, reset the other side's connection too, instead of ending it with a clean end of file as socat does."),
        new(["--records"], @"\fB\-\-records\fR[\fB=json\fR]", "Write one record for each relayed connection when it ends, whatever the -d level: both addresses with their local and peer addresses, when it started and how long it lasted, the bytes and writes each way, and how each direction ended (eof, reset, closing_timeout for -t, inactivity_timeout for -T, stopped, error with its message). A notice in the log's format, or with =json one JSON object per line (its type is connection), to the log's destination (stderr, -lf, -ly)."),
        new(["--explain"], @"\fB\-\-explain\fR", "Check both addresses as for a relay, then print what each will do and exit 0 without opening anything: its type and option groups, its parameters by name, what the relay uses it for, whether it listens or forks, and every option with its canonical name, parsed value, group, phase and value type; then the relay-wide settings. An address that would be refused is refused here too, with its error and exit status 1."),
        new(["--defaults"], @"\fB\-\-defaults=\fR\fI1.7.4\fR|\fI1.8\fR", "Whose defaults apply where socat 1.8 changed them: 1.7.4 (the default) or 1.8. With 1.8, warnings are logged without -d (-d0 hides them), a TCP listener (TCP-LISTEN, OPENSSL-LISTEN) that does not give reuseaddr gets SO_REUSEADDR (reuseaddr=0 turns it off), and -T 0 ends the relay at the first moment without data (a negative -T means no timeout); with 1.7.4, -T 0 means no timeout. Either way a host name that resolves to several addresses is connected to each in turn until one answers, as socat 1.8 does."),
        new(["--experimental"], @"\fB\-\-experimental\fR", "Accepted for socat 1.8's command lines, which need it for its experimental features; nothing in this build is held back behind it."),
        new(["--statistics"], @"\fB\-\-statistics\fR", "As socat 1.8: when the program ends, and whenever it receives SIGUSR1, log the number of writes (packets) and bytes moved each way, whatever the -d level, after a warning that statistics are experimental. With fork the figures are the totals over every connection."),
        new(["--progress"], @"\fB\-\-progress\fR", "When stderr is a terminal, a line rewritten once a second while the relay runs, like pv's: the time so far, and for each direction relayed the bytes moved and the current rate, with the share done and the time left when the reading address is a regular file (stdin redirected from one, FD of one, OPEN or GOPEN without seek or trunc options, no fork). At the end the line is written once more with the average rates. When stderr is not a terminal nothing is written."),
        new(["--log-format"], @"\fB\-\-log\-format=\fR\fIsocat\fR|\fIjson\fR|\fIrfc5424\fR", "The form of each log line: socat's (the default); json: one JSON object per line with time (UTC, microseconds), level (socat's letter), program, pid, the connection (its id, in lines written while a connection is relayed) and message; or rfc5424: syslog messages (RFC 5424) with socat's level and the connection as structured data (sharpcat@32473) and a record's fields as an element of their own (connection@32473). With -ly or -lm, JSON lines go to syslog as the message of an RFC 3164 line, RFC 5424 ones as they are."),
        new(["--syslog-socket"], @"\fB\-\-syslog\-socket=\fR\fIpath\fR", "The syslog daemon's datagram socket that -ly and -lm write to, instead of /dev/log (rsyslog's imuxsock, journald's /run/systemd/journal/syslog). Needs -ly or -lm; the socket must exist at start."),
        new(["--metrics"], @"\fB\-\-metrics\fR=[\fIhost\fR:]\fIport\fR", "Serve the relay's metrics in Prometheus' text format at http://host:port/metrics (host 127.0.0.1 when not given): connections open and in total, bytes each way, how directions ended and a histogram of connection durations. A port that cannot be bound is an error before the relay starts."),
        new(["--control"], @"\fB\-\-control\fR=[\fIhost\fR:]\fIport\fR", "Take no addresses; serve toxiproxy's HTTP API at http://host:port (host 127.0.0.1 when not given) until SIGINT or SIGTERM. Each proxy is a relay from its listen address (host:port for TCP, or any listening SharpCat address, forking) to its upstream (host:port, or any SharpCat address); its toxics (latency, bandwidth, slicer, slow_close, timeout, reset_peer, limit_data, and SharpCat's loss for datagram proxies) are the relay's faults, changed on open connections at once. toxiproxy's clients work against it unchanged."),
        new(["--config"], @"\fB\-\-config=\fR\fIfile\fR", "With --control: make the proxies of this file at start (toxiproxy's config file: a JSON array of objects with name, listen, upstream and enabled). A bad file is an error before the API listens."),
        new(["--fault-seed"], @"\fB\-\-fault-seed=\fR\fInumber\fR", "With --control: the seed from which the toxics' toxicity draws are made, so that the same seed and the same connections give the same faults."),
        new(["--pcap"], @"\fB\-\-pcap=\fR\fIfile\fR", "Write what the relay moves to this pcapng file (created, or emptied) for Wireshark or tshark: each connection as a TCP conversation (UDP where an address is a datagram one) between the real peers of its two addresses, or made-up addresses (127.0.0.2 and 127.0.0.3, named in a packet comment) for ends that are not IP sockets. The data is exactly what was written to each side; handshakes, acknowledgements and ends are synthesized. The zero-copy path is not used while capturing. A file that cannot be created is an error before anything is opened; a write that fails later is one warning, and the relay goes on without capture."),
    ];
}
