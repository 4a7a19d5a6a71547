using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>An address that accepts connections (TCP-LISTEN, UNIX-LISTEN, …).</summary>
internal interface IListener : IAsyncDisposable
{
    /// <summary>Waits for the next connection that passes the address's checks (<c>range</c>).</summary>
    ValueTask<IChannel> AcceptAsync(CancellationToken ct);
}

/// <summary>Opens a listener for an address kind that listens.</summary>
internal delegate ValueTask<IListener> ListenerOpener(OpenRequest request, CancellationToken ct);

/// <summary>
/// What TCP, UNIX and generic stream sockets share: socket options in socat's phase order
/// (before bind, bind, after bind), connecting with <c>connect-timeout</c> and the RETRY group,
/// and listening with <c>backlog</c>, <c>range</c> and <c>accept-timeout</c>.
/// </summary>
internal static class StreamSockets
{
    /// <summary>
    /// Connects, retrying as <c>retry</c>/<c>forever</c>/<c>interval</c> ask, with a socket of
    /// <paramref name="type"/> when given, else the address's own (so-type, else a stream).
    /// </summary>
    public static ValueTask<SocketChannel> ConnectAsync(OpenRequest request, AddressFamily family, ProtocolType protocol,
        EndPoint target, EndPoint? bindTo, CancellationToken ct, SocketType? type = null)
    {
        var socketType = type ?? SocketOptions.Type(request.Options, SocketType.Stream);
        return request.RetriesConnect
            ? RetryAsync(request.Options, (request, family, protocol, target, bindTo, socketType),
                static (s, ct) => ConnectOnceAsync(s.request, s.family, s.protocol, s.target, s.bindTo, s.socketType, ct), ct)
            : ConnectOnceAsync(request, family, protocol, target, bindTo, socketType, ct);
    }

    /// <summary>Runs one connection attempt again as <c>retry</c>/<c>forever</c>/<c>interval</c> ask.</summary>
    // Pooled: one of these runs per connection; with fork, its box would be garbage each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<TResult> RetryAsync<TState, TResult>(OptionSet options, TState state,
        Func<TState, CancellationToken, ValueTask<TResult>> attempt, CancellationToken ct)
    {
        long retries = options.Number("retry") ?? 0;
        bool forever = options.Flag("forever");
        var interval = TimeSpan.FromSeconds(options.Seconds("interval") ?? 1.0);
        for (long n = 0; ; n++)
        {
            try
            {
                return await attempt(state, ct).ConfigureAwait(false);
            }
            catch (SharpCatException e) when (forever || n < retries)
            {
                Log.Warn(e.Message);
                Log.Info($"retrying in {interval.TotalSeconds:0.###} s ({(forever ? "forever" : $"{retries - n} left")})");
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<SocketChannel> ConnectOnceAsync(OpenRequest request, AddressFamily family, ProtocolType protocol,
        EndPoint target, EndPoint? bindTo, SocketType type, CancellationToken ct)
    {
        var options = request.Options;
        var socket = NewSocket(family, protocol, type);
        string? boundFile = null;
        try
        {
            int fd = (int)socket.Handle;
            SocketOptions.Apply(fd, options, beforeBind: true);
            if (bindTo is not null)
            {
                socket = Bind(socket, bindTo);
                fd = (int)socket.Handle;
                boundFile = SocketFile(bindTo);
            }
            SocketOptions.Apply(fd, options, beforeBind: false, connectedLater: true);
            Log.Notice($"opening connection to {SocketAddressing.Format(target)}");
            using var timeout = WithTimeout(ct, options.Seconds("connect-timeout"));
            try
            {
                await socket.ConnectAsync(target, timeout?.Token ?? ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SharpCatException($"connecting to {SocketAddressing.Format(target)}: Connection timed out");
            }
            catch (SocketException e)
            {
                // .NET reports a missing UNIX socket path as "address not available"; the kernel said ENOENT.
                int errno = e.SocketErrorCode == SocketError.AddressNotAvailable && target is UnixDomainSocketEndPoint ? Posix.ENOENT : e.NativeErrorCode;
                throw new PosixException($"connect({fd}, {SocketAddressing.Format(target)}, {SocketAddressing.SockAddrLength(target)})", errno);
            }
            Log.Notice($"successfully connected from local address {SocketAddressing.Format(socket.LocalEndPoint)}");
            SocketOptions.ApplyConnected(fd, options);
            var channel = Wrap(socket, options);
            // The bind= socket file is this address's own: it goes at close, as in socat.
            if (boundFile is not null && NamedOptions.RemovesOnClose(options)) channel.OnClose(() => NamedOptions.UnlinkIfPresent(boundFile));
            return channel;
        }
        catch
        {
            socket.Dispose();
            if (boundFile is not null && NamedOptions.RemovesOnClose(options)) Libc.Unlink(boundFile);
            throw;
        }
    }

    /// <summary>Creates, binds and starts listening; the caller accepts.</summary>
    public static Socket Listen(OpenRequest request, AddressFamily family, ProtocolType protocol, EndPoint local,
        SocketType type = SocketType.Stream)
    {
        var options = request.Options;
        var socket = NewSocket(family, protocol, SocketOptions.Type(options, type));
        string? boundFile = null;
        try
        {
            int fd = (int)socket.Handle;
            SocketOptions.Apply(fd, options, beforeBind: true);
            if (protocol == ProtocolType.Tcp && request.Relay.ReuseAddressOnTcpListeners && !options.Has("so-reuseaddr"))
            {
                // socat 1.8's default (--defaults=1.8), in its words.
                Log.Info("Setting SO_REUSADDR on TCP listen socket implicitly");
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            socket = Bind(socket, local);
            fd = (int)socket.Handle;
            boundFile = SocketFile(local);
            SocketOptions.Apply(fd, options, beforeBind: false, connectedLater: true); // StreamListener: each accepted socket
            // socat's default backlog is 5; in one process a burst of clients can overflow that
            // before the accept loop runs (the kernel then resets them), so the default here is the
            // system maximum (net.core.somaxconn). backlog= still sets it exactly.
            if (options.Number("backlog") is long backlog) socket.Listen((int)backlog);
            else socket.Listen();
            Log.Notice($"listening on {SocketAddressing.Format(socket.LocalEndPoint)}");
            Relay.RelayContext.Current?.Listening(socket.LocalEndPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            // A listener that failed after its bind leaves no socket file behind.
            if (boundFile is not null) Libc.Unlink(boundFile);
            throw;
        }
    }

    /// <summary>
    /// A stream socket as socat makes it, without the two Windows defaults .NET adds on Unix:
    /// Socket.Bind turns SO_REUSEADDR on for a socket created with ProtocolType.Tcp (socat sets it
    /// only for <c>reuseaddr</c>; protocol 0 gives the kernel's same TCP socket without that step),
    /// and an IPv6 socket is made IPv6-only (socat leaves the kernel's default,
    /// net.ipv6.bindv6only, normally dual-stack; <c>ipv6only</c> still sets it either way).
    /// </summary>
    internal static Socket NewSocket(AddressFamily family, ProtocolType protocol, SocketType type = SocketType.Stream)
    {
        // Families and protocols .NET has no name for (SCTP, VSOCK, generic numbers) go to socket(2)
        // directly, which also gives socat's message when the kernel lacks them.
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 or AddressFamily.Unix)
            || protocol is not (ProtocolType.Tcp or ProtocolType.Udp or ProtocolType.Unspecified))
            return Posix.NewSocket((int)family == 23 ? 10 : (int)family, (int)type, (int)protocol, out _);
        // netns: made in the address's network namespace, where it has one.
        var socket = NetworkNamespace.Run((family, type, protocol: protocol is ProtocolType.Tcp or ProtocolType.Udp ? ProtocolType.Unspecified : protocol),
            static s => new Socket(s.family, s.type, s.protocol));
        if (family == AddressFamily.InterNetworkV6 && !KernelV6Only.Value)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IPv6Only, false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        return socket;
    }

    /// <summary>net.ipv6.bindv6only of this process's network namespace: the kernel's IPV6_V6ONLY for a new socket.</summary>
    private static readonly Lazy<bool> KernelV6Only = new(() =>
    {
        try { return File.ReadAllText("/proc/sys/net/ipv6/bindv6only").Trim() == "1"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    });

    /// <summary>
    /// Binds to a local address and returns the socket to go on with. A socket file (not an abstract
    /// name) is bound by bind(2) itself and a Socket made from a duplicate of the descriptor replaces
    /// the one given: after .NET's own Bind, disposing the Socket deletes the file, and whether it
    /// goes is for unlink-close to say (socat keeps it with unlink-close=0).
    /// </summary>
    public static Socket Bind(Socket socket, EndPoint local)
    {
        // As socat's -d -d -d -d shows each bind: scripts (test.sh's UDP_LOWPORT) read the port from it.
        Log.Debug($"bind({(int)socket.Handle}, {SocketAddressing.Format(local)}, {SocketAddressing.SockAddrLength(local)})");
        if (SocketFile(local) is { } path) return BindFile(socket, path, local);
        try
        {
            socket.Bind(local);
        }
        catch (SocketException e)
        {
            throw new PosixException($"bind({(int)socket.Handle}, {{{SocketAddressing.Format(local)}}}, {SocketAddressing.SockAddrLength(local)})", e.NativeErrorCode);
        }
        return socket;
    }

    /// <summary>The file system path of a UNIX socket address, or null (an abstract name, not UNIX).</summary>
    private static string? SocketFile(EndPoint local) =>
        local is UnixDomainSocketEndPoint unix && unix.ToString() is { Length: > 0 } path && path[0] is not ('@' or '\0') ? path : null;

    private static Socket BindFile(Socket socket, string path, EndPoint local)
    {
        const int F_DUPFD_CLOEXEC = 1030;
        // sockaddr_un: AF_UNIX, then the path; its length as socat prints it (2 + the path).
        byte[] address = new byte[SocketAddressing.SockAddrLength(local)];
        address[0] = (byte)AddressFamily.Unix;
        System.Text.Encoding.UTF8.GetBytes(path, address.AsSpan(2));
        int fd = (int)socket.Handle;
        Posix.Bind(fd, address, SocketAddressing.Format(local));
        // A Socket made from a descriptor learns its address by getsockname and owns no file.
        int copy = Libc.Fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw Posix.Fail($"fcntl({fd}, F_DUPFD_CLOEXEC, 0)");
        var replacement = new Socket(new SafeSocketHandle(copy, ownsHandle: true));
        socket.Dispose();
        return replacement;
    }

    /// <summary>A token source that also cancels after <paramref name="seconds"/>; none without a limit.</summary>
    public static CancellationTokenSource? WithTimeout(CancellationToken ct, double? seconds)
    {
        if (seconds is not double limit) return null;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(limit));
        return cts;
    }

    /// <summary>A connected socket as a channel, with the options that act on the connection.</summary>
    public static SocketChannel Wrap(Socket socket, OptionSet options)
    {
        var channel = new SocketChannel(socket) { Shutdown = FdOptions.ShutdownMode(options), EndClose = options.Flag("end-close") };
        FdOptions.ApplyFdPhase(channel.ReadFd, options);
        FdOptions.ApplyLatePhase(channel.ReadFd, options);
        return channel;
    }
}

/// <summary>
/// <c>accept-timeout</c> ran out: as in socat a warning, and the relay (or the fork listener, once
/// its live relays are done) ends normally.
/// </summary>
internal sealed class AcceptTimeoutException() : SharpCatException("accept: Connection timed out");

/// <summary>A listening stream socket: accepts, checks the peer (<see cref="PeerCheck"/>), applies the connection's options.</summary>
internal sealed class StreamListener(Socket socket, OptionSet options, Action? onClose) : IListener
{
    private readonly PeerCheck? _check = PeerCheck.For(options, ports: true);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        while (true)
        {
            using var timeout = StreamSockets.WithTimeout(ct, options.Seconds("accept-timeout"));
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(timeout?.Token ?? ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new AcceptTimeoutException();
            }
            catch (SocketException e)
            {
                throw new PosixException($"accept({(int)socket.Handle})", e.NativeErrorCode);
            }
            // As socat: the notice first, then the checks; a refused peer is closed and the next one awaited.
            Log.Notice($"accepting connection from {SocketAddressing.Format(accepted.RemoteEndPoint)} on {SocketAddressing.Format(accepted.LocalEndPoint)}");
            if (_check is not null && !await _check.PermitsAsync(accepted.RemoteEndPoint, accepted, socket).ConfigureAwait(false))
            {
                accepted.Dispose();
                continue;
            }
            try
            {
                SocketOptions.ApplyConnected((int)accepted.Handle, options);
                var channel = StreamSockets.Wrap(accepted, options);
                channel.Passive = true;
                return channel;
            }
            catch
            {
                accepted.Dispose();
                throw;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        onClose?.Invoke();
        return ValueTask.CompletedTask;
    }
}
