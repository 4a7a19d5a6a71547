using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// ACCEPT-FD (socat 1.8): accepts on a listening socket this process inherited, as systemd's socket
/// activation or inetd's "wait" mode hand one over (fd 3 with LISTEN_FDS=1). One connection, or with
/// <c>fork</c> every one; <c>range</c>, <c>sourceport</c>, <c>lowport</c> and TCP wrappers check the
/// peer as on TCP-LISTEN. The socket belongs to whoever made it: its file (UNIX) is never removed.
/// </summary>
internal static class AcceptFdEndpoints
{
    public static ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        int fd = Number(request.Address);
        // The fd is inherited, so it lacks close-on-exec: child programs must not get it.
        if (Libc.Fcntl(fd, Posix.F_SETFD, Posix.FD_CLOEXEC) < 0) throw Posix.Fail($"fcntl({fd}, F_SETFD, FD_CLOEXEC)");
        Socket socket;
        try
        {
            socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch (SocketException e)
        {
            throw new PosixException($"getsockname({fd})", e.NativeErrorCode);
        }
        try
        {
            if (!socket.IsBound || socket.SocketType is not (SocketType.Stream or SocketType.Seqpacket))
                throw new SharpCatException($"{request.Address.Name}:{fd}: not a listening stream socket");
            Log.Notice($"using file descriptor {fd} accepting a connection for {FileEndpoints.Describe(request.Access)}");
            SocketOptions.Apply(fd, options, beforeBind: false);
            Log.Notice($"listening on {SocketAddressing.Format(socket.LocalEndPoint)}");
            RelayContext.Current?.Listening(socket.LocalEndPoint);
            return ValueTask.FromResult<IListener>(new StreamListener(socket, options, onClose: null));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static int Number(ResolvedAddress address)
    {
        string text = address.Spec.Parameters[0];
        if (!OptionValueParser.TryParseC(text, out long fd) || fd < 0 || fd > int.MaxValue)
            throw new SharpCatException($"{address.Name}: invalid file descriptor \"{text}\"");
        return (int)fd;
    }

    // What an inherited listener can use beyond the FD, socket-option and peer-check options: the
    // rest of its groups (bind, pf, so-type, retry, …) is about making a socket, which is done.
    private static readonly HashSet<string> Usable = new(StringComparer.Ordinal)
    {
        "fork", "max-children", "range", "sourceport", "lowport",
        "tcpwrappers", "tcpwrap-etc", "tcpwrap-hosts-allow-table", "tcpwrap-hosts-deny-table",
    };

    /// <summary>The fd number and the options, before anything is opened.</summary>
    public static void Check(ResolvedAddress address)
    {
        Number(address);
        foreach (var o in address.Options.All)
        {
            if ((o.Def.Groups & (OptionGroups.Fd | OptionGroups.Appl | OptionGroups.Process)) != 0) continue;
            if (Usable.Contains(o.Def.Name) || SocketOptions.IsSocketOption(o.Def.Name)) continue;
            throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" cannot be used on an inherited listening socket");
        }
    }
}
