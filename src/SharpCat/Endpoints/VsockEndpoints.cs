using System.Buffers.Binary;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// VSOCK-CONNECT:cid:port and VSOCK-LISTEN:port: stream sockets between a virtual machine and its
/// host (AF_VSOCK). .NET cannot name this family's addresses, so bind, connect and accept are
/// libc calls (blocking, on a pool thread: a VSOCK connect is bounded by the kernel's connect
/// timeout, two seconds unless <c>connect-timeout</c> sets it). Where the kernel has no transport
/// to the given context, the connect fails with its own error, as socat's does.
/// </summary>
internal static class VsockEndpoints
{
    private const int AF_VSOCK = 40, SOCK_STREAM = 1, SO_VM_SOCKETS_CONNECT_TIMEOUT = 6;

    public static ValueTask<IChannel> Connect(OpenRequest request, CancellationToken ct)
    {
        var target = new VsockAddress(Number(request.Address.Name + " cid", request.Parameters[0]), Number(request.Address.Name + " port", request.Parameters[1]));
        VsockAddress? bindTo = request.Options.Text("bind") is { } b ? Parse(b) : null;
        return Channel(StreamSockets.RetryAsync(request.Options, (request, target, bindTo), static (s, ct) => ConnectOnceAsync(s.request, s.target, s.bindTo, ct), ct));
    }

    private static async ValueTask<IChannel> Channel(ValueTask<SocketChannel> pending) => await pending.ConfigureAwait(false);

    private static async ValueTask<SocketChannel> ConnectOnceAsync(OpenRequest request, VsockAddress target, VsockAddress? bindTo, CancellationToken ct)
    {
        var options = request.Options;
        var socket = Posix.NewSocket(AF_VSOCK, (int)SocketOptions.Type(request.Options, (SocketType)SOCK_STREAM), 0, out int fd);
        try
        {
            SocketOptions.Apply(fd, options, beforeBind: true);
            if (bindTo is { } local) Posix.Bind(fd, local.ToSockAddr(), local.ToString());
            if (options.Seconds("connect-timeout") is double limit) SetConnectTimeout(fd, limit);
            SocketOptions.Apply(fd, options, beforeBind: false);
            Log.Notice($"opening connection to {target}");
            int rc = await Task.Run(() => Posix.Connect(fd, target.ToSockAddr()), ct).ConfigureAwait(false);
            if (rc < 0) throw new PosixException($"connect({fd}, {target}, 16)", -rc);
            Log.Notice($"successfully connected from local address {LocalAddress(fd)}");
            return StreamSockets.Wrap(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static ValueTask<IListener> Listen(OpenRequest request, CancellationToken ct)
    {
        var local = request.Options.Text("bind") is { } b ? Parse(b) : new VsockAddress(VsockAddress.AnyCid, Number(request.Address.Name + " port", request.Parameters[0]));
        var options = request.Options;
        var socket = Posix.NewSocket(AF_VSOCK, (int)SocketOptions.Type(request.Options, (SocketType)SOCK_STREAM), 0, out int fd);
        try
        {
            SocketOptions.Apply(fd, options, beforeBind: true);
            Posix.Bind(fd, local.ToSockAddr(), local.ToString());
            SocketOptions.Apply(fd, options, beforeBind: false);
            socket.Listen(options.Number("backlog") is long backlog ? (int)backlog : int.MaxValue);
            Log.Notice($"listening on {LocalAddress(fd)}");
            return ValueTask.FromResult<IListener>(new VsockListener(socket, fd, options));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class VsockListener(Socket socket, int fd, OptionSet options) : IListener
    {
        public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
        {
            using var timeout = StreamSockets.WithTimeout(ct, options.Seconds("accept-timeout"));
            var (cancelRead, cancelWrite) = Posix.Pipe();
            int accepted;
            try
            {
                // accept(2) blocks its thread; a byte on the pipe ends the wait when it is given up
                // (accept-timeout, the relay ending).
                using (var stop = (timeout?.Token ?? ct).UnsafeRegister(static s => Posix.TryWrite((int)s!, "x"u8), cancelWrite))
                {
                    byte[] peer = new byte[VsockAddress.Size];
                    accepted = await Task.Factory.StartNew(() => Posix.Accept(fd, cancelRead, peer), CancellationToken.None,
                        TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                    if (accepted >= 0) Log.Notice($"accepting connection from {VsockAddress.From(peer)} on {LocalAddress(accepted)}");
                }
            }
            finally
            {
                Posix.Close(cancelRead);
                Posix.Close(cancelWrite);
            }
            if (accepted < 0)
            {
                ct.ThrowIfCancellationRequested();
                if (timeout?.IsCancellationRequested == true) throw new AcceptTimeoutException();
                throw new PosixException($"accept({fd})", -accepted);
            }
            var connection = new Socket(new SafeSocketHandle(accepted, ownsHandle: true));
            try
            {
                return StreamSockets.Wrap(connection, options);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>connect-timeout as the kernel's own VSOCK connect timeout (a struct timeval).</summary>
    private static unsafe void SetConnectTimeout(int fd, double seconds)
    {
        long* tv = stackalloc long[2];
        tv[0] = (long)seconds;
        tv[1] = (long)((seconds - Math.Floor(seconds)) * 1_000_000);
        if (Native.Libc.SetSockOpt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, tv, 16) != 0)
            throw Posix.Fail($"setsockopt({fd}, {AF_VSOCK}, {SO_VM_SOCKETS_CONNECT_TIMEOUT}, {{{seconds}}}, 16)");
    }

    private static VsockAddress LocalAddress(int fd)
    {
        Span<byte> bytes = stackalloc byte[VsockAddress.Size];
        Posix.GetSockName(fd, bytes);
        return VsockAddress.From(bytes);
    }

    /// <summary><c>bind=cid:port</c>.</summary>
    private static VsockAddress Parse(string text)
    {
        int colon = text.IndexOf(':');
        if (colon < 0) throw new SharpCatException($"bind=\"{text}\": expected cid:port");
        return new VsockAddress(Number("bind cid", text[..colon]), Number("bind port", text[(colon + 1)..]));
    }

    private static uint Number(string what, string text) => (uint)OptionValueParser.ParseSigned(what, text, 0, uint.MaxValue);
}

/// <summary>A <c>struct sockaddr_vm</c>: context id and port, shown as socat does (<c>AF=40 cid:2 port:1234</c>).</summary>
internal readonly record struct VsockAddress(uint Cid, uint Port)
{
    public const uint AnyCid = uint.MaxValue;
    public const int Size = 16;

    public byte[] ToSockAddr()
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 40);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Port);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Cid);
        return bytes;
    }

    public static VsockAddress From(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]));

    public override string ToString() => $"AF=40 cid:{Cid} port:{Port}";
}
