using System.Net.Sockets;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// A connected stream socket as a channel: half-close is shutdown(SHUT_WR), and a peer that resets
/// the connection is an error naming the call, as socat reports it. At the end it is shut down
/// both ways before it is closed, as socat ends a socket unless <c>end-close</c> is given: the
/// peer then sees a FIN first even under <c>linger=0</c>, whose close sends a reset.
/// </summary>
internal sealed class SocketChannel(Socket socket) : IChannel
{
    private List<Action>? _onClose;
    private readonly int _fd = (int)socket.Handle;
    private bool _disposed, _abort, _resetUnreported, _nonBlocking;

    public Socket Socket => socket;

    public bool IsDatagram => socket.SocketType == SocketType.Dgram;

    public int ReadFd => _fd;

    public int WriteFd => _fd;

    public ShutdownMode Shutdown { get; set; }

    public System.Net.EndPoint? LocalEndPoint => SafeEndPoint(static s => s.LocalEndPoint);

    public System.Net.EndPoint? RemoteEndPoint => SafeEndPoint(static s => s.RemoteEndPoint);

    // A closed socket throws where a record only wants to know what it was connected to.
    private System.Net.EndPoint? SafeEndPoint(Func<Socket, System.Net.EndPoint?> get)
    {
        try { return get(socket); }
        catch (Exception e) when (e is ObjectDisposedException or SocketException) { return null; }
    }

    /// <summary>
    /// Makes the descriptor non-blocking, once per channel (both directions of a relay ask): .NET
    /// does so only at a socket's first async operation, and until then splice(2) would block.
    /// </summary>
    public void MakeNonBlocking()
    {
        if (_nonBlocking) return;
        Posix.SetFl(_fd, Posix.GetFl(_fd) | Posix.O_NONBLOCK);
        _nonBlocking = true;
    }

    /// <summary><c>end-close</c>: the end just closes, without shutdown(SHUT_RDWR) first.</summary>
    public bool EndClose { get; init; }

    public void OnClose(Action action) => (_onClose ??= []).Add(action);

    /// <summary>An accepted connection: a child program is told its peer's and its own address.</summary>
    public bool Passive { get; set; }

    // Made when asked (only a child program's start asks): a forked relay without one pays nothing.
    public IReadOnlyList<KeyValuePair<string, string>>? Variables =>
        Passive ? SocketAddressing.PassiveVariables(socket.RemoteEndPoint, socket.LocalEndPoint) : null;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (TakeUnreportedReset(buffer.Length)) return 0;
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // As socat: a reset seen while reading is a warning and ends this direction like EOF.
            NoteReset(buffer.Length);
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
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A reset that was already there when the wait began is consumed by its recv(2): the
            // read that follows would find only an end of file, so the reset is kept for it.
            _resetUnreported = true;
        }
        catch (SocketException)
        {
            // The read that follows reports the error in full.
        }
    }

    /// <summary>
    /// True, once, when a readiness wait found the connection reset: the reset is then reported as a
    /// read of <paramref name="length"/> bytes would have reported it (<see cref="NoteReset"/>).
    /// </summary>
    public bool TakeUnreportedReset(int length)
    {
        if (!_resetUnreported) return false;
        _resetUnreported = false;
        NoteReset(length);
        return true;
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
            case ShutdownMode.Default when EndClose:
                // socat shuts a socket down only when it is to be ended by a shutdown: with
                // end-close the peer sees the end at the close.
                return;
            case ShutdownMode.Close:
                Close(shutdownFirst: false);
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

    public bool WasReset { get; private set; }

    /// <summary>A read found the connection reset: logged as socat logs it, and remembered (<see cref="WasReset"/>).</summary>
    public void NoteReset(int length)
    {
        WasReset = true;
        Diagnostics.Log.Warn($"read({_fd}, {length}): Connection reset by peer");
    }

    /// <summary>shutdown(SHUT_RDWR) without closing: the end of one relay on a socket others still hold.</summary>
    public void ShutdownBoth()
    {
        try { socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { } // reset or never connected: nothing left to shut down
        catch (ObjectDisposedException) { }
    }

    public void AbortOnClose()
    {
        _abort = true;
        try { socket.LingerState = new LingerOption(true, 0); }
        catch (SocketException) { } // already reset: the close has nothing to abort
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public ValueTask DisposeAsync()
    {
        // An aborted connection is closed at once: linger 0 then sends a reset, not a FIN first.
        Close(shutdownFirst: !EndClose && !_abort);
        return ValueTask.CompletedTask;
    }

    private void Close(bool shutdownFirst)
    {
        if (_disposed) return;
        _disposed = true;
        if (shutdownFirst)
        {
            try { socket.Shutdown(SocketShutdown.Both); }
            catch (SocketException) { } // reset or never connected: nothing left to shut down
        }
        socket.Dispose();
        if (_onClose is not null) foreach (var a in _onClose) a();
    }
}
