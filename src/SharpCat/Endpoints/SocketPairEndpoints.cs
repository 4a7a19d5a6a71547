using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// SOCKETPAIR (socat 1.8): an echo through a pair of connected UNIX sockets. What is written to
/// the second socket is read from the first. The default type is datagram (each write comes back
/// as one read, boundaries kept); <c>socktype</c> picks another (1 stream, 5 seqpacket).
/// </summary>
internal static class SocketPairEndpoints
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_DGRAM = 2;

    public static ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        int type = (int)(options.Number("so-type") ?? SOCK_DGRAM);
        var (first, second) = Posix.SocketPair(AF_UNIX, type, 0);
        Log.Info($"socketpair({{{first},{second}}})");
        IChannel? reader = null;
        try
        {
            reader = Wrap(first, type, options);
        }
        catch
        {
            Posix.Close(second);
            throw;
        }
        try
        {
            var writer = Wrap(second, type, options);
            Log.Notice("writing to and reading from unnamed socketpair");
            return ValueTask.FromResult<IChannel>(new DualChannel(reader, writer));
        }
        catch
        {
            _ = reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>One end with the address's options, as socat applies them to both ends.</summary>
    private static IChannel Wrap(int fd, int type, OptionSet options)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        try
        {
            SocketOptions.Apply(fd, options, beforeBind: true);
            SocketOptions.Apply(fd, options, beforeBind: false);
            // A stream pair half-closes with shutdown(SHUT_WR): the first end then reads EOF, as
            // socat's close of its writing end gives. Datagram and seqpacket ends keep boundaries.
            return type == SOCK_STREAM
                ? StreamSockets.Wrap(socket, options)
                : DatagramChannel.Open(socket, DatagramPeer.Connected, null, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The SOCKET-group options a pair can use are its type and the socket options the kernel sets
    /// on any socket; socat has no use for bind, connect or protocol-family here (it fails on them
    /// or ignores them), so they are refused before anything is opened.
    /// </summary>
    public static void Check(ResolvedAddress address)
    {
        foreach (var o in address.Options.All)
        {
            var groups = o.Def.Groups;
            if ((groups & (OptionGroups.Fd | OptionGroups.Appl | OptionGroups.Process)) != 0) continue;
            if (o.Def.Name == "so-type" || SocketOptions.IsSocketOption(o.Def.Name)) continue;
            throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" cannot be used on a socket pair");
        }
    }
}
