namespace SharpCat.Relay;

/// <summary>
/// One opened address as the relay sees it: a byte stream (or datagram sequence) that can be
/// read, written and half-closed. Every address family hides behind this shape.
/// </summary>
internal interface IChannel : IAsyncDisposable
{
    /// <summary>Reads what is available, up to the buffer's size; 0 means end of file.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct);

    /// <summary>
    /// Completes when a read would find data (or EOF), holding no buffer meanwhile; channels that
    /// cannot wait without reading complete at once.
    /// </summary>
    ValueTask WaitReadableAsync(CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>
    /// Completes when the address would take data. The relay waits for it before it reads the other
    /// address, so that one that never takes any (STALL) leaves that data with its sender, as socat's
    /// loop does; every other channel is ready at once and waits in its write instead.
    /// </summary>
    ValueTask WaitWritableAsync(CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>Writes all of <paramref name="data"/> before completing.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>Half-closes: the peer sees end of file while reading goes on.</summary>
    ValueTask ShutdownWriteAsync();

    /// <summary>True when one read returns one message and one write sends one.</summary>
    bool IsDatagram { get; }

    /// <summary>False for a write-only address (STDOUT, CREATE): the relay then reads nothing from it.</summary>
    bool CanRead => true;

    /// <summary>False for a read-only address (STDIN): the relay then writes nothing to it.</summary>
    bool CanWrite => true;

    /// <summary>The kernel fd data is read from, or -1 (for logs, and later for zero-copy paths).</summary>
    int ReadFd => -1;

    /// <summary>The kernel fd data is written to, or -1.</summary>
    int WriteFd => -1;

    /// <summary>
    /// For an address that is a process of its own (EXEC, SYSTEM): completes when it ends, and
    /// faults with the error to report when it ends unsuccessfully. Null for everything else.
    /// </summary>
    Task? Completion => null;

    /// <summary>
    /// What socat tells a child program about this connection, without the <c>SOCAT_</c> prefix:
    /// PEERADDR, PEERPORT, SOCKADDR, SOCKPORT of a passive socket, IP_TTL, IP_DSTADDR, … of a
    /// received datagram's ancillary data. Null when there is nothing to tell.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>>? Variables => null;

    /// <summary>
    /// Completes when the address has what socat waits for before it opens the other address:
    /// a RECVFROM address its first datagram (which stays queued for the relay).
    /// </summary>
    ValueTask WaitForPeerAsync(CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>
    /// True once a read found the connection reset by its peer (ECONNRESET): the end of file that
    /// followed was a cut, not the peer's clean end.
    /// </summary>
    bool WasReset => false;

    /// <summary>
    /// Makes the close that follows abort the connection (TCP: a reset instead of a FIN), so that
    /// the peer learns the stream was cut; channels without such a close ignore it.
    /// </summary>
    void AbortOnClose() { }

    /// <summary>The local address of a socket address (for connection records), or null.</summary>
    System.Net.EndPoint? LocalEndPoint => null;

    /// <summary>The peer's address of a socket address (for connection records), or null.</summary>
    System.Net.EndPoint? RemoteEndPoint => null;

    /// <summary>A short description for log lines.</summary>
    string Describe();
}
