using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UNIX datagram sockets: UNIX-SENDTO (to one socket; <c>bind=</c> gives this end a name, which
/// replies need), UNIX-RECVFROM (one datagram, answered to its sender), UNIX-RECV (receives only),
/// the ABSTRACT-* twins, and UNIX-CLIENT/GOPEN falling back to datagrams when the peer socket is one.
/// Socket files made here are removed at close, as socat does.
/// </summary>
internal static class UnixDatagramEndpoints
{
    private const int EPROTOTYPE = 91;

    public static ValueTask<IChannel> SendTo(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenSendTo(r, abstractName: false));
    public static ValueTask<IChannel> SendToAbstract(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenSendTo(r, abstractName: true));
    public static ValueTask<IChannel> RecvFrom(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenReceiver(r, abstractName: false, DatagramPeer.FirstSender));
    public static ValueTask<IChannel> RecvFromAbstract(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenReceiver(r, abstractName: true, DatagramPeer.FirstSender));
    public static ValueTask<IListener> RecvFromFork(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(ForkReceiver(r, abstractName: false));
    public static ValueTask<IListener> RecvFromForkAbstract(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(ForkReceiver(r, abstractName: true));
    public static ValueTask<IChannel> Recv(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenReceiver(r, abstractName: false, DatagramPeer.ReceiveOnly));
    public static ValueTask<IChannel> RecvAbstract(OpenRequest r, CancellationToken ct) => ValueTask.FromResult(OpenReceiver(r, abstractName: true, DatagramPeer.ReceiveOnly));

    /// <summary>UNIX-CLIENT and GOPEN: a stream connection, or, when the socket is a datagram one, a datagram socket that sends to it.</summary>
    public static async ValueTask<IChannel> ClientAsync(OpenRequest request, bool abstractName, CancellationToken ct)
    {
        try
        {
            return await UnixEndpoints.Connect(request, abstractName, ct).ConfigureAwait(false);
        }
        catch (PosixException e) when (e.Errno == EPROTOTYPE && !request.Options.Has("so-type"))
        {
            // As socat: a stream connect to a socket of another type tries SOCK_SEQPACKET, then datagrams.
            Log.Info($"{e.Message}: trying a seqpacket socket");
        }
        try
        {
            return await UnixEndpoints.Connect(request, abstractName, ct, SocketType.Seqpacket).ConfigureAwait(false);
        }
        catch (PosixException e) when (e.Errno == EPROTOTYPE)
        {
            Log.Info($"{e.Message}: trying a datagram socket");
            return OpenSendTo(request, abstractName);
        }
    }

    private static IChannel OpenSendTo(OpenRequest request, bool abstractName)
    {
        var options = request.Options;
        var target = UnixEndpoints.EndPoint(request.Parameters[0], abstractName, request.Address.Name);
        string? ownPath = UnixTempName.BindName(options, abstractName);
        // netns: abstract names belong to a network namespace.
        var socket = NetworkNamespace.Run(SocketOptions.Type(request.Options, SocketType.Dgram), static type => new Socket(AddressFamily.Unix, type, ProtocolType.Unspecified));
        try
        {
            if (ownPath is not null) socket = Bind(socket, ownPath, abstractName, request);
            Log.Notice($"successfully prepared local socket {SocketAddressing.Format(socket.LocalEndPoint)}");
            return Wrap(socket, DatagramPeer.Fixed, target, options, abstractName ? null : ownPath);
        }
        catch
        {
            socket.Dispose();
            if (ownPath is not null && !abstractName) NamedOptions.UnlinkIfPresent(ownPath);
            throw;
        }
    }

    private static IChannel OpenReceiver(OpenRequest request, bool abstractName, DatagramPeer mode)
    {
        var socket = ReceivingSocket(request, abstractName);
        try
        {
            return Wrap(socket, mode, null, request.Options, abstractName ? null : request.Parameters[0]);
        }
        catch
        {
            socket.Dispose();
            if (!abstractName) NamedOptions.UnlinkIfPresent(request.Parameters[0]);
            throw;
        }
    }

    /// <summary>With fork, RECVFROM serves each datagram with a relay of its own, as socat's child per datagram.</summary>
    private static IListener ForkReceiver(OpenRequest request, bool abstractName)
    {
        string path = request.Parameters[0];
        var socket = ReceivingSocket(request, abstractName);
        Action? removeFile = !abstractName && NamedOptions.RemovesOnClose(request.Options) ? () => NamedOptions.UnlinkIfPresent(path) : null;
        return new RecvFromForkListener(request, socket, check: null, stripIpv4Header: false) { OnClose = removeFile };
    }

    private static Socket ReceivingSocket(OpenRequest request, bool abstractName)
    {
        string path = request.Parameters[0];
        // netns: abstract names belong to a network namespace.
        var socket = NetworkNamespace.Run(SocketOptions.Type(request.Options, SocketType.Dgram), static type => new Socket(AddressFamily.Unix, type, ProtocolType.Unspecified));
        bool bound = false;
        try
        {
            socket = Bind(socket, path, abstractName, request);
            bound = true;
            Log.Notice($"receiving on {SocketAddressing.Format(socket.LocalEndPoint)}");
            Relay.RelayContext.Current?.Listening(socket.LocalEndPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            if (bound && !abstractName) NamedOptions.UnlinkIfPresent(path);
            throw;
        }
    }

    /// <summary>
    /// Binds to a socket file (checked and made as UNIX-LISTEN makes its own) or an abstract name;
    /// returns the socket to go on with (<see cref="StreamSockets.Bind"/>).
    /// </summary>
    private static Socket Bind(Socket socket, string name, bool abstractName, OpenRequest request)
    {
        var options = request.Options;
        var local = UnixEndpoints.EndPoint(name, abstractName, request.Address.Name);
        if (abstractName) return StreamSockets.Bind(socket, local);
        NamedOptions.BeforeOpen(name, options);
        if (Posix.TryStat(name, out _)) throw new SharpCatException($"\"{name}\" exists");
        socket = NamedOptions.WithUmask(options, () => StreamSockets.Bind(socket, local));
        try
        {
            NamedOptions.SetOwnerAndMode(name, options, "user", "group", "perm");
        }
        catch
        {
            socket.Dispose();
            NamedOptions.UnlinkIfPresent(name);
            throw;
        }
        return socket;
    }

    private static DatagramChannel Wrap(Socket socket, DatagramPeer mode, System.Net.EndPoint? peer, Catalog.OptionSet options, string? madePath)
    {
        var channel = DatagramChannel.Open(socket, mode, peer, options);
        if (madePath is not null && NamedOptions.RemovesOnClose(options))
            channel.OnClose(() => NamedOptions.UnlinkIfPresent(madePath));
        return channel;
    }
}
