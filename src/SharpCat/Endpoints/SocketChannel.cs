using System.Net.Sockets;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// A connected stream socket as a channel: half-close is shutdown(SHUT_WR), and a peer that resets
/// the connection is an error naming the call, as socat reports it.
/// </summary>
internal sealed class SocketChannel(Socket socket) : IChannel
{
    private List<Action>? _onClose;
    private readonly int _fd = (int)socket.Handle;
    private bool _disposed;

    public Socket Socket => socket;

    public bool IsDatagram => socket.SocketType == SocketType.Dgram;

    public int ReadFd => _fd;

    public int WriteFd => _fd;

    public ShutdownMode Shutdown { get; set; }

    public void OnClose(Action action) => (_onClose ??= []).Add(action);

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // As socat: a reset seen while reading is a warning and ends this direction like EOF.
            Diagnostics.Log.Warn($"read({_fd}, {buffer.Length}): {e.Message}");
            return 0;
        }
        catch (SocketException e)
        {
            throw new PosixException($"read({_fd}, {buffer.Length})", e.NativeErrorCode);
        }
    }

    public async ValueTask WaitReadableAsync(CancellationToken ct)
    {
        try
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // The read that follows reports the error in full.
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int n = await socket.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false);
                data = data[n..];
            }
        }
        catch (SocketException e)
        {
            throw new PosixException($"write({_fd}, {data.Length})", e.NativeErrorCode);
        }
    }

    public async ValueTask ShutdownWriteAsync()
    {
        switch (Shutdown)
        {
            case ShutdownMode.None:
                return;
            case ShutdownMode.Close:
                await DisposeAsync().ConfigureAwait(false);
                return;
            case ShutdownMode.Null:
                await socket.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                return;
            default:
                try { socket.Shutdown(SocketShutdown.Send); }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.NotConnected) { }
                return;
        }
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        socket.Dispose();
        if (_onClose is not null) foreach (var a in _onClose) a();
        return ValueTask.CompletedTask;
    }
}
