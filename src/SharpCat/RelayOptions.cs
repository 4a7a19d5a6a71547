namespace SharpCat;

/// <summary>Which directions a relay moves data in (<c>-u</c>, <c>-U</c>).</summary>
public enum RelayDirection
{
    /// <summary>Both ways (default).</summary>
    Both,
    /// <summary>Only from the first address to the second (<c>-u</c>).</summary>
    LeftToRight,
    /// <summary>Only from the second address to the first (<c>-U</c>).</summary>
    RightToLeft,
}

/// <summary>The relay-wide settings that socat takes as global command-line options.</summary>
public sealed class RelayOptions
{
    /// <summary>Bytes moved per read at most (<c>-b</c>, default 8192).</summary>
    public int BufferSize { get; set; } = 8192;

    /// <summary>After one direction's EOF, how long the other may go on (<c>-t</c>, default 0.5 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Ends the relay after this long without data in either direction (<c>-T</c>).</summary>
    public TimeSpan? InactivityTimeout { get; set; }

    /// <summary>Directions to relay (<c>-u</c>, <c>-U</c>).</summary>
    public RelayDirection Direction { get; set; } = RelayDirection.Both;

    /// <summary>Text dump of the traffic to stderr (<c>-v</c>).</summary>
    public bool VerboseText { get; set; }

    /// <summary>Hex dump of the traffic to stderr (<c>-x</c>).</summary>
    public bool VerboseHex { get; set; }

    /// <summary>File receiving a raw copy of the left-to-right data (<c>-r</c>).</summary>
    public string? RawDumpLeftToRight { get; set; }

    /// <summary>File receiving a raw copy of the right-to-left data (<c>-R</c>).</summary>
    public string? RawDumpRightToLeft { get; set; }

    /// <summary>
    /// A pcapng file (created, or emptied) that receives what the relay moves, for Wireshark or
    /// tshark (<c>--pcap</c>): each connection as a TCP conversation (UDP for a datagram address)
    /// between the ends' real peers, or made-up addresses for ends that are not IP sockets. The
    /// data is exactly what was written to each side; handshakes, acknowledgements and ends are
    /// synthesized. A file that cannot be created fails the relay before anything is opened; a
    /// write that fails later (disk full) is logged once and ends the capture, not the relay.
    /// </summary>
    public string? CaptureFile { get; set; }

    /// <summary>
    /// Faults to inject, changed while the relay runs (<see cref="RelayFaults.Set"/>); beside them
    /// each address's own <c>fault-…</c> options act as given. Null (the default) costs nothing.
    /// </summary>
    public RelayFaults? Faults { get; set; }

    /// <summary>Check option groups (off with <c>-g</c>).</summary>
    public bool CheckOptionGroups { get; set; } = true;

    /// <summary>
    /// A lock file held for the whole run (<c>-L</c>, or <c>-W</c> with <see cref="WaitForLock"/>),
    /// taken only once both addresses have been checked: a refused command line leaves no lock
    /// behind and does not wait for one.
    /// </summary>
    public string? GlobalLockFile { get; set; }

    /// <summary>Wait for <see cref="GlobalLockFile"/> to be free (<c>-W</c>) instead of failing (<c>-L</c>).</summary>
    public bool WaitForLock { get; set; }

    /// <summary>Log failures to apply options and go on (<c>-s</c>).</summary>
    public bool Sloppy { get; set; }

    /// <summary>Describe the relay's file descriptors on stderr before the transfer starts (<c>-D</c>).</summary>
    public bool AnalyzeFds { get; set; }

    /// <summary>Prefer this IP version when an address does not name one (<c>-4</c>, <c>-6</c>); 0 for none.</summary>
    public int PreferredIpVersion { get; set; }

    /// <summary>
    /// The IP version a listening or receiving address takes when nothing names one; 0 to follow
    /// <see cref="PreferredIpVersion"/>. socat's <c>-4</c>/<c>-6</c> set both; its environment sets
    /// them apart (<c>SOCAT_DEFAULT_LISTEN_IP</c>, <c>SOCAT_PREFERRED_RESOLVE_IP</c>).
    /// </summary>
    public int ListenIpVersion { get; set; }

    /// <summary>
    /// socat 1.8's <c>-0</c>: a TCP or UDP address that listens or receives without naming an IP
    /// version binds the IPv6 wildcard, which serves IPv4 too on a dual-stack system (without it,
    /// as socat 1.7.4, such an address listens on IPv4 only).
    /// </summary>
    public bool ListenOnBothIpVersions { get; set; }

    /// <summary>
    /// socat 1.8's default: a TCP listener (TCP-LISTEN, OPENSSL-LISTEN) that does not say
    /// <c>reuseaddr</c> gets SO_REUSEADDR anyway (socat 1.7.4, and SharpCat by default, leave it off).
    /// </summary>
    public bool ReuseAddressOnTcpListeners { get; set; }

    /// <summary>Where the traffic dumps of <c>-v</c>/<c>-x</c> go; fd 2 by default, as socat.</summary>
    public int DumpFd { get; set; } = 2;

    /// <summary>
    /// EXEC/SYSTEM <c>nofork</c> may replace this process with the program (execve). Only the
    /// sharpcat program sets it: a library host would be replaced too.
    /// </summary>
    internal bool AllowProcessReplacement { get; set; }

    /// <summary>
    /// The name TCP wrappers' rules are looked up under when <c>tcpwrap</c> names none: socat's
    /// program name, "socat" (the program's <c>-lp</c> changes it, as in socat).
    /// </summary>
    public string TcpWrappersName { get; set; } = "socat";

    /// <summary>
    /// Never use the zero-copy splice path, even where it applies (socket to socket, no taps):
    /// for measuring, and for comparing both paths in tests.
    /// </summary>
    public bool NoSplice { get; set; }

    /// <summary>
    /// When a peer resets its connection, reset the other side's connection too, and end the relay
    /// (<c>--propagate-reset</c>). By default, as in socat, a reset is logged and passed on as an
    /// end of file, so the other peer sees a clean end of a stream that was cut.
    /// </summary>
    public bool PropagateReset { get; set; }

    /// <summary>
    /// Where the relay makes its <c>System.Diagnostics.Metrics</c> instruments (a meter named
    /// <c>SharpCat</c>: <c>sharpcat.connections.open</c>, <c>sharpcat.connections</c>,
    /// <c>sharpcat.bytes</c>, <c>sharpcat.connection.ends</c>, <c>sharpcat.connection.duration</c>);
    /// in an ASP.NET or generic host, the <c>IMeterFactory</c> of its services. Null (the default):
    /// no meter and no work for metrics. The meter belongs to the factory.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>A <c>sharpcat.relay</c> tag on the relay's meter, telling relays apart; none when null.</summary>
    public string? MetricsName { get; set; }

    /// <summary>How often an <c>ignoreeof</c> address is polled after EOF.</summary>
    public TimeSpan IgnoreEofPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
