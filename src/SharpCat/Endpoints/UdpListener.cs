using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UDP-LISTEN and, with fork, UDP-RECVFROM as listeners. UDP-LISTEN peeks at the first datagram,
/// connects the socket to its sender and hands it over; the next peer finds a fresh socket bound to
/// the same port (as socat's parent binds one after each fork), so each peer gets its own relay.
/// UDP-RECVFROM with fork gives every datagram a relay of its own, answered through the shared socket.
/// </summary>
internal sealed class UdpListener(OpenRequest request, int version, bool perDatagram) : IListener
{
    private readonly PeerCheck? _check = PeerCheck.For(request.Options, ports: true);
    private Socket? _socket;
    private int? _port; // port 0 is chosen by the kernel once; every later socket takes the same

    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        bool fork = request.Options.Flag("fork");
        while (true)
        {
            if (_socket is null)
            {
                _socket = await UdpEndpoints.BoundSocketAsync(request, version, ct, reuseAddress: fork, portOverride: _port).ConfigureAwait(false);
                _port ??= ((IPEndPoint)_socket.LocalEndPoint!).Port;
                // socat's words: a RECVFROM address is "receiving", a LISTEN address "listening".
                if (perDatagram) Log.Notice($"receiving on {SocketAddressing.Format(_socket.LocalEndPoint)}");
                else Log.Notice($"listening on UDP {SocketAddressing.Format(_socket.LocalEndPoint)}");
            }
            var any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            // Peek: the datagram stays queued for the relay that takes this socket.
            var first = await _socket.ReceiveFromAsync(Memory<byte>.Empty, SocketFlags.Peek, any, ct).ConfigureAwait(false);
            var peer = (IPEndPoint)first.RemoteEndPoint;
            Log.Notice($"accepting UDP connection from {SocketAddressing.Format(peer)}");
            if (_check is not null && !await _check.PermitsAsync(peer, _socket).ConfigureAwait(false))
            {
                Log.Notice($"forbidding UDP connection from {SocketAddressing.Format(peer)}");
                await _socket.ReceiveFromAsync(new byte[1], SocketFlags.None, any, ct).ConfigureAwait(false);
                continue;
            }
            // What a child program is told: the peer; for UDP-LISTEN the local end, for RECVFROM the
            // datagram's ancillary data when options asked for it (as socat, which gives LISTEN none).
            if (perDatagram)
            {
                var variables = SocketAddressing.PassiveVariables(peer, null);
                if (SocketOptions.AsksForAncillaryData(request.Options)) Native.Ancillary.Peek((int)_socket.Handle, variables);
                var datagram = new byte[request.Relay.BufferSize];
                var r = await _socket.ReceiveFromAsync(datagram, SocketFlags.None, any, ct).ConfigureAwait(false);
                return new ReceivedDatagramChannel(_socket, r.RemoteEndPoint, datagram.AsMemory(0, r.ReceivedBytes)) { Variables = variables };
            }
            var socket = _socket;
            _socket = null; // the next peer gets a fresh socket on the same port
            try
            {
                await socket.ConnectAsync(peer, ct).ConfigureAwait(false);
                var channel = UdpEndpoints.Wrap(request, socket, DatagramPeer.Connected, null);
                channel.Variables = SocketAddressing.PassiveVariables(peer, socket.LocalEndPoint); // connected: the address the peer reached
                return channel;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One datagram taken by a UDP-RECVFROM fork listener: read once, then end of file; replies go to its sender.</summary>
internal sealed class ReceivedDatagramChannel(Socket shared, EndPoint sender, ReadOnlyMemory<byte> datagram) : IChannel
{
    private bool _read;

    public bool IsDatagram => true;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_read) return ValueTask.FromResult(0);
        _read = true;
        int n = Math.Min(buffer.Length, datagram.Length);
        datagram.Span[..n].CopyTo(buffer.Span);
        return ValueTask.FromResult(n);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await shared.SendToAsync(data, SocketFlags.None, sender, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new Native.PosixException($"sendto({(int)shared.Handle}, {data.Length})", e.NativeErrorCode);
        }
    }

    public ValueTask ShutdownWriteAsync() => ValueTask.CompletedTask;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables { get; init; }

    public string Describe() => FdChannel.FdPair((int)shared.Handle, (int)shared.Handle);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
