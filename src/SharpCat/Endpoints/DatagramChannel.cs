using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>Where a datagram socket sends, and from whom it takes datagrams.</summary>
internal enum DatagramPeer
{
    /// <summary>A connected socket: the kernel keeps to the one peer (UDP, UDP-LISTEN after the first datagram).</summary>
    Connected,
    /// <summary>Sends to a fixed address and takes datagrams only from it (UDP-SENDTO).</summary>
    FixedOnly,
    /// <summary>Sends to a fixed address, takes datagrams from anyone (UDP-DATAGRAM).</summary>
    Fixed,
    /// <summary>Takes one datagram and answers its sender; then end of file (UDP-RECVFROM without fork, as socat).</summary>
    FirstSender,
    /// <summary>Receives only (UDP-RECV): writing fails as socat's sendto without an address does.</summary>
    ReceiveOnly,
}

/// <summary>
/// A datagram socket as a channel: one read is one datagram and one write sends one, never
/// merged or split. A datagram longer than the buffer (<c>-b</c>) is cut to it, as socat does,
/// with a warning. As in socat, an empty datagram is end of file on a connected socket and is
/// skipped on the others, unless <c>null-eof</c> makes it end of file there too.
/// </summary>
internal sealed class DatagramChannel(Socket socket, DatagramPeer mode, EndPoint? peer, bool nullEof, PeerCheck? check) : IChannel
{
    private EndPoint? _peer = peer;

    /// <summary>
    /// The channel over a prepared socket with what every datagram address takes from its options:
    /// null-eof, the shut-* mode, ancillary data logging, then the FD and LATE phase options.
    /// </summary>
    public static DatagramChannel Open(Socket socket, DatagramPeer mode, EndPoint? peer, Catalog.OptionSet options,
        PeerCheck? check = null, bool stripIpv4Header = false)
    {
        var channel = new DatagramChannel(socket, mode, peer, options.Flag("null-eof"), check)
        {
            Shutdown = FdOptions.ShutdownMode(options),
            LogAncillary = SocketOptions.AsksForAncillaryData(options),
            StripIpv4Header = stripIpv4Header,
        };
        FdOptions.ApplyFdPhase(channel.ReadFd, options);
        FdOptions.ApplyLatePhase(channel.ReadFd, options);
        return channel;
    }

    private List<Action>? _onClose;

    /// <summary>Clean-up when the channel closes (a socket file made for it).</summary>
    public void OnClose(Action action) => (_onClose ??= []).Add(action);
    private bool _disposed;

    public Socket Socket => socket;

    public bool IsDatagram => true;

    public int ReadFd { get; } = (int)socket.Handle;

    public int WriteFd => ReadFd;

    public async ValueTask WaitReadableAsync(CancellationToken ct)
    {
        // RECVFROM's one datagram is done: its end of file is ready now, not at the next datagram.
        if (mode == DatagramPeer.FirstSender && _peer is not null) return;
        try
        {
            // A zero-byte receive peeks: the datagram stays for the read that follows.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            // A pending error (ICMP port unreachable) is reported once: the read that follows says it in full.
            _pendingError = e.NativeErrorCode;
        }
    }

    private int _pendingError;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables { get; set; }

    /// <summary>
    /// A RECVFROM address waits, as socat's does, for its first datagram before the other address
    /// opens: its sender (and, with the options that ask for it, its ancillary data) is then what a
    /// child program is told. The datagram stays queued for the relay's first read.
    /// </summary>
    public async ValueTask WaitForPeerAsync(CancellationToken ct)
    {
        if (mode != DatagramPeer.FirstSender || _peer is not null) return;
        while (true)
        {
            await WaitReadableAsync(ct).ConfigureAwait(false);
            if (_pendingError != 0) return; // the first read reports it
            var variables = new List<KeyValuePair<string, string>>();
            var (length, from) = PeekSender(ReadFd, variables);
            if (length == -Native.Posix.EAGAIN) continue;
            if (length < 0) return; // the first read reports it
            if (check is not null && !await check.PermitsAsync(from, socket).ConfigureAwait(false))
            {
                Native.Posix.ReceiveFrom(ReadFd, Span<byte>.Empty); // taken and dropped
                continue;
            }
            Log.Info($"permitting packet from {SocketAddressing.Format(from)}");
            var passive = SocketAddressing.PassiveVariables(from, null, SocketAddressing.HasPorts(socket));
            passive.AddRange(variables);
            Variables = passive;
            return;
        }
    }

    /// <summary>
    /// socat's RECVFROM peek at the next datagram: its sender ("receiving packet from …"), then its
    /// ancillary data, logged and turned into the variables a child program gets.
    /// </summary>
    internal static (int Length, EndPoint? From) PeekSender(int fd, List<KeyValuePair<string, string>> variables) =>
        Native.Ancillary.Peek(fd, variables, static from => Log.Notice($"receiving packet from {SocketAddressing.Format(from)}"));

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_pendingError != 0)
        {
            int errno = _pendingError;
            _pendingError = 0;
            throw new Native.PosixException($"read({ReadFd}, {buffer.Length})", errno);
        }
        if (mode == DatagramPeer.FirstSender && _peer is not null) return 0; // its one datagram is done
        while (true)
        {
            // recvfrom with MSG_TRUNC tells the datagram's real length; .NET's receive does not. RECVFROM's
            // one datagram had its ancillary data logged when WaitForPeerAsync looked at it.
            var (length, from) = LogAncillary && mode != DatagramPeer.FirstSender
                ? Native.Ancillary.ReceiveAndLog(ReadFd, buffer.Span)
                : Native.Posix.ReceiveFrom(ReadFd, buffer.Span);
            if (length == -Native.Posix.EAGAIN)
            {
                await WaitReadableAsync(ct).ConfigureAwait(false);
                if (_pendingError != 0) return await ReadAsync(buffer, ct).ConfigureAwait(false);
                continue;
            }
            if (length < 0) throw new Native.PosixException($"read({ReadFd}, {buffer.Length})", -length);
            if (mode == DatagramPeer.FixedOnly && from is not null && !from.Equals(_peer))
            {
                Log.Notice($"received packet with {length} bytes from {SocketAddressing.Format(from)}");
                Log.Info("recvfrom(): wrong peer address, ignoring packet");
                Relay.RelayContext.Current?.Metrics?.DatagramDropped("wrong_peer");
                continue;
            }
            // A sender the address's checks refuse (PeerCheck) is logged there, and its datagram dropped.
            if (check is not null && !await check.PermitsAsync(from, socket).ConfigureAwait(false))
            {
                Relay.RelayContext.Current?.Metrics?.DatagramDropped("refused");
                continue;
            }
            if (length > buffer.Length)
            {
                Log.Warn($"a datagram of {length} bytes was cut to {buffer.Length} (-b)");
                Relay.RelayContext.Current?.Metrics?.DatagramCut();
                length = buffer.Length;
            }
            if (length == 0 && !nullEof && mode != DatagramPeer.Connected)
            {
                // On an unconnected socket an empty datagram is no end of file (port scans).
                Log.Notice($"received packet with 0 bytes from {SocketAddressing.Format(from)}");
                continue;
            }
            if (mode == DatagramPeer.FirstSender && from is not null) _peer = from;
            return StripIpv4Header ? WithoutIpv4Header(buffer.Span, length) : length;
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            if (mode == DatagramPeer.ReceiveOnly) throw new Native.PosixException($"sendto({WriteFd}, {data.Length})", 22 /* EINVAL */);
            if (mode == DatagramPeer.Connected) await socket.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false);
            else if (_peer is { } to) await socket.SendToAsync(data, SocketFlags.None, to, ct).ConfigureAwait(false);
            else
            {
                Log.Warn($"no peer to send a datagram of {data.Length} bytes to yet: dropped");
                Relay.RelayContext.Current?.Metrics?.DatagramDropped("no_peer");
            }
        }
        catch (SocketException e)
        {
            throw new Native.PosixException($"sendto({WriteFd}, {data.Length})", e.NativeErrorCode);
        }
    }

    /// <summary>A datagram socket has no half-close: the peer learns nothing (shut-null sends an empty datagram).</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        if (Shutdown == ShutdownMode.Null) await WriteAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
    }

    public ShutdownMode Shutdown { get; set; }

    /// <summary>Moves a raw IPv4 packet's payload to the start of <paramref name="packet"/>: its new length.</summary>
    internal static int WithoutIpv4Header(Span<byte> packet, int length)
    {
        if (length == 0) return 0;
        int header = Math.Min((packet[0] & 0x0F) * 4, length);
        packet[header..length].CopyTo(packet);
        return length - header;
    }

    /// <summary>A raw IPv4 socket delivers each packet with its IP header, which the relay does not pass on (socat neither).</summary>
    public bool StripIpv4Header { get; init; }

    /// <summary>Options asked the kernel for ancillary data with each datagram: read it with recvmsg and log it.</summary>
    public bool LogAncillary { get; init; }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    /// <summary>
    /// The peer: the connected or named one, or the first sender once it has sent (what a
    /// connection's record and the <c>--pcap</c> capture show as this end's peer).
    /// </summary>
    public EndPoint? RemoteEndPoint
    {
        get
        {
            if (_peer is not null || mode != DatagramPeer.Connected) return _peer;
            try { return socket.RemoteEndPoint; }
            catch (Exception e) when (e is ObjectDisposedException or SocketException) { return null; }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        socket.Dispose();
        if (_onClose is not null) foreach (var a in _onClose) a();
        return ValueTask.CompletedTask;
    }
}
