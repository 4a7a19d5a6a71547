using System.Net.Sockets;
using System.Text;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UNIX-CONNECT, UNIX-LISTEN, UNIX-CLIENT and their ABSTRACT-* twins (Linux's abstract namespace:
/// no file system entry). A listening socket file is created under the address's umask, gets its
/// perm/user/group, and is removed on close (unlink-close defaults to on, as in socat).
/// </summary>
internal static class UnixEndpoints
{
    /// <summary>sun_path holds 108 bytes including the terminating NUL.</summary>
    private const int MaxPathBytes = 107;

    public static ValueTask<IChannel> Connect(OpenRequest r, CancellationToken ct) => ConnectAsync(r, abstractName: false, ct);
    public static ValueTask<IChannel> ConnectAbstract(OpenRequest r, CancellationToken ct) => ConnectAsync(r, abstractName: true, ct);
    public static ValueTask<IListener> Listen(OpenRequest r, CancellationToken ct) => ListenAsync(r, abstractName: false);

    /// <summary>UNIX-CLIENT: a stream connection, or datagrams when the peer socket is a datagram one.</summary>
    public static ValueTask<IChannel> Client(OpenRequest r, CancellationToken ct) => UnixDatagramEndpoints.ClientAsync(r, abstractName: false, ct);
    public static ValueTask<IChannel> ClientAbstract(OpenRequest r, CancellationToken ct) => UnixDatagramEndpoints.ClientAsync(r, abstractName: true, ct);

    internal static ValueTask<IChannel> Connect(OpenRequest r, bool abstractName, CancellationToken ct, SocketType? type = null) => ConnectAsync(r, abstractName, ct, type);
    public static ValueTask<IListener> ListenAbstract(OpenRequest r, CancellationToken ct) => ListenAsync(r, abstractName: true);

    internal static UnixDomainSocketEndPoint EndPoint(string name, bool abstractName, string keyword)
    {
        int bytes = Encoding.UTF8.GetByteCount(name) + (abstractName ? 1 : 0);
        if (bytes > MaxPathBytes)
            throw new SharpCatException($"{keyword}: unix socket address {bytes} characters long, max length is {MaxPathBytes} (\"{name}\")");
        if (name.Length == 0) throw new SharpCatException($"{keyword}: empty socket path");
        return new UnixDomainSocketEndPoint(abstractName ? "\0" + name : name);
    }

    private static async ValueTask<IChannel> ConnectAsync(OpenRequest request, bool abstractName, CancellationToken ct, SocketType? type = null)
    {
        var target = EndPoint(request.Parameters[0], abstractName, request.Address.Name);
        var bindTo = UnixTempName.BindName(request.Options, abstractName) is { } b ? EndPoint(b, abstractName, request.Address.Name) : null;
        return await StreamSockets.ConnectAsync(request, AddressFamily.Unix, ProtocolType.Unspecified, target, bindTo, ct, type).ConfigureAwait(false);
    }

    private static ValueTask<IListener> ListenAsync(OpenRequest request, bool abstractName)
    {
        var options = request.Options;
        string path = request.Parameters[0];
        var local = EndPoint(path, abstractName, request.Address.Name);
        if (!abstractName)
        {
            NamedOptions.BeforeOpen(path, options);
            // As socat: an existing entry is an error unless unlink-early removed it.
            if (Posix.TryStat(path, out _)) throw new SharpCatException($"\"{path}\" exists");
        }
        var socket = NamedOptions.WithUmask(options, () => StreamSockets.Listen(request, AddressFamily.Unix, ProtocolType.Unspecified, local));
        Action? cleanup = null;
        if (!abstractName)
        {
            try
            {
                // perm, user and group act on the socket's file system entry.
                NamedOptions.SetOwnerAndMode(path, options, "user", "group", "perm");
            }
            catch
            {
                socket.Dispose();
                NamedOptions.UnlinkIfPresent(path);
                throw;
            }
            if (NamedOptions.RemovesOnClose(options))
                cleanup = () => NamedOptions.UnlinkIfPresent(path);
        }
        return ValueTask.FromResult<IListener>(new StreamListener(socket, options, cleanup));
    }
}
