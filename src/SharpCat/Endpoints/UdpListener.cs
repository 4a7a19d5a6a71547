using System.Net;
using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UDP-LISTEN (and UDPLITE-LISTEN) as a listener: it peeks at the first datagram, connects the socket to its sender and
/// hands it over; the next peer finds a fresh socket bound to the same port (as socat's parent binds
/// one after each fork), so each peer gets its own relay.
/// </summary>
internal sealed class UdpListener(OpenRequest request, int version, ProtocolType protocol) : IListener
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
                _socket = await UdpEndpoints.BoundSocketAsync(request, version, protocol, ct, reuseAddress: fork, portOverride: _port).ConfigureAwait(false);
                // With fork each peer takes the bound socket and the port is bound again: reported once.
                if (_port is null) Relay.RelayContext.Current?.Listening(_socket.LocalEndPoint);
                _port ??= ((IPEndPoint)_socket.LocalEndPoint!).Port;
                // socat 1.8 names a protocol other than UDP by number ("listening on PROTO136 AF=2 …").
                Log.Notice($"listening on {(protocol == ProtocolType.Udp ? "UDP" : $"PROTO{(int)protocol}")} {SocketAddressing.Format(_socket.LocalEndPoint)}");
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
            var socket = _socket;
            _socket = null; // the next peer gets a fresh socket on the same port
            try
            {
                await socket.ConnectAsync(peer, ct).ConfigureAwait(false);
                var channel = UdpEndpoints.Wrap(request, socket, DatagramPeer.Connected, null);
                // What a child program is told: the peer and the address it reached (as socat, no ancillary data).
                channel.Variables = SocketAddressing.PassiveVariables(peer, socket.LocalEndPoint);
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
