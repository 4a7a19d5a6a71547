using System.Net.Sockets;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// SCTP-CONNECT and SCTP-LISTEN (4/6): socat's one-to-one style, a SOCK_STREAM socket with
/// protocol IPPROTO_SCTP, which then behaves as a TCP stream does. A kernel without SCTP refuses
/// the socket, and the error says so as socat's does (<c>socket(2, 1, 132): Protocol not supported</c>).
/// </summary>
internal static class SctpEndpoints
{
    private const ProtocolType Sctp = (ProtocolType)132;

    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => TcpEndpoints.ConnectAsync(r, 0, Sctp, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => TcpEndpoints.ConnectAsync(r, 4, Sctp, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => TcpEndpoints.ConnectAsync(r, 6, Sctp, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 0, Sctp, ct);
    public static ValueTask<IListener> Listen4(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 4, Sctp, ct);
    public static ValueTask<IListener> Listen6(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 6, Sctp, ct);
}
