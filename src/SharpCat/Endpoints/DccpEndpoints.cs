using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// socat 1.8's DCCP-CONNECT and DCCP-LISTEN (4/6): a SOCK_DCCP (6) socket of protocol IPPROTO_DCCP
/// (33), connected or accepted as TCP's are, after which it is a stream of messages the kernel keeps
/// in order. A kernel without DCCP refuses the socket; the messages are socat 1.8's: a listener's
/// error names the socket call, a client warns with it and then fails naming the address as written,
/// since 1.8's client tries each resolved address before it gives up.
/// </summary>
internal static class DccpEndpoints
{
    internal const ProtocolType Dccp = (ProtocolType)33;
    internal const SocketType SockDccp = (SocketType)6;

    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 0, ct);
    public static ValueTask<IChannel> Connect4(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 4, ct);
    public static ValueTask<IChannel> Connect6(OpenRequest r, CancellationToken ct) => ConnectAsync(r, 6, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 0, Dccp, ct);
    public static ValueTask<IListener> Listen4(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 4, Dccp, ct);
    public static ValueTask<IListener> Listen6(OpenRequest r, CancellationToken ct) => TcpEndpoints.ListenAsync(r, 6, Dccp, ct);

    private static async ValueTask<IChannel> ConnectAsync(OpenRequest request, int version, CancellationToken ct)
    {
        try
        {
            return await TcpEndpoints.ConnectAsync(request, version, Dccp, ct).ConfigureAwait(false);
        }
        catch (Native.PosixException e)
        {
            Log.Warn(e.Message);
            var spec = request.Address.Spec;
            throw new SharpCatException($"{spec.Keyword}:{spec.Parameters[0]}:{spec.Parameters[1]}: {Native.Posix.StrError(e.Errno)}");
        }
    }
}
