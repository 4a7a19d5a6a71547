using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// One connection between two stream sockets on a <see cref="SpliceLoop"/>: its two descriptors'
/// registrations and the directions that run there. A descriptor is registered for reading while
/// a direction reads it, and for writing only while a direction waits to write to it; when no
/// direction needs it any more it is removed before that direction's task completes, so the
/// relay can close it safely.
/// </summary>
internal sealed class SplicedConnection : ILoopClient
{
    private readonly SpliceLoop _loop;
    private readonly int _slot;
    private readonly int[] _fds = new int[2];
    private readonly uint[] _registered = new uint[2];
    // Indexed by the side a direction reads from (0: left).
    private readonly SplicedDirection?[] _readers = new SplicedDirection?[2];
    private int _active;
    private CancellationTokenRegistration _cancellation;

    public uint Generation { get; }

    private SplicedConnection(SpliceLoop loop, OpenedEndpoint left, OpenedEndpoint right)
    {
        _loop = loop;
        _fds[0] = left.Channel.ReadFd;
        _fds[1] = right.Channel.ReadFd;
        (_slot, Generation) = loop.Add(this);
    }

    /// <summary>True when a direction can run on the loop: socket to socket, nothing to look at the bytes.</summary>
    public static bool Applies(OpenedEndpoint source, OpenedEndpoint sink, bool tapsActive) =>
        Epoll.Supported
        && DirectSplicePump.BytesUntouched(source, sink, tapsActive)
        // Byte streams only: splice(2) has no SOCK_SEQPACKET (so-type=5) side.
        && source.Channel is SocketChannel { Socket.SocketType: SocketType.Stream }
        && sink.Channel is SocketChannel { Socket.SocketType: SocketType.Stream };

    /// <summary>
    /// Starts the directions that have a tally (left to right, right to left) on a loop; each task
    /// completes when its source is at EOF and everything read was written, or faults, or is
    /// cancelled with <paramref name="ct"/>.
    /// </summary>
    public static (Task? LeftToRight, Task? RightToLeft) Start(OpenedEndpoint left, OpenedEndpoint right,
        DirectionTally? leftToRight, DirectionTally? rightToLeft, ActivityClock clock, CancellationToken ct)
    {
        // The sockets must not block: splice(2) on a blocking socket waits whatever its flags say.
        ((SocketChannel)left.Channel).MakeNonBlocking();
        ((SocketChannel)right.Channel).MakeNonBlocking();
        var connection = new SplicedConnection(SpliceLoop.Next(), left, right);
        var l = leftToRight is null ? null : new SplicedDirection(connection, left, right, 0, clock, leftToRight);
        var r = rightToLeft is null ? null : new SplicedDirection(connection, right, left, 1, clock, rightToLeft);
        connection._readers[0] = l;
        connection._readers[1] = r;
        connection._active = (l is null ? 0 : 1) + (r is null ? 0 : 1);
        lock (connection)
        {
            try
            {
                connection.UpdateRegistration(0);
                connection.UpdateRegistration(1);
            }
            catch
            {
                // Nothing has run yet: undo what was registered, and the relay fails with the error.
                connection._active = 0;
                for (int side = 0; side < 2; side++)
                    try { connection.UpdateRegistration(side); } catch (PosixException) { }
                connection._loop.Remove(connection._slot);
                throw;
            }
        }
        connection._cancellation = ct.UnsafeRegister(static c => ((SplicedConnection)c!).RequestCancel(), connection);
        return (l?.Task, r?.Task);
    }

    public SpliceLoop Loop => _loop;

    private void RequestCancel() => _loop.Cancel(this);

    /// <summary>What the loop reported for one descriptor (loop thread).</summary>
    public void OnEvents(int side, uint events)
    {
        if ((events & (Epoll.In | Epoll.RdHup | Epoll.Hup | Epoll.Err)) != 0 && _readers[side] is { Done: false } reader)
            reader.OnReadable((events & (Epoll.RdHup | Epoll.Hup | Epoll.Err)) != 0);
        if ((events & (Epoll.Out | Epoll.Hup | Epoll.Err)) != 0 && _readers[1 - side] is { Done: false, WaitingToWrite: true } writer)
            writer.OnWritable();
    }

    /// <summary>The direction waits to write (or no longer does): its sink's registration follows.</summary>
    public void WaitingToWriteChanged(SplicedDirection direction)
    {
        lock (this) UpdateRegistration(1 - direction.SourceSide);
    }

    /// <summary>A direction is over (loop thread): what it needed is unregistered, and the connection ends with the last one.</summary>
    public void Ended()
    {
        lock (this)
        {
            _active--;
            for (int side = 0; side < 2; side++)
            {
                // A removal that fails leaves nothing registered either.
                try { UpdateRegistration(side); }
                catch (PosixException e) { Log.Debug(e.Message); }
            }
        }
        if (_active == 0)
        {
            _loop.Remove(_slot);
            _cancellation.Unregister();
        }
    }

    /// <summary>The relay stops (loop thread): whatever still runs ends as cancelled.</summary>
    public void CancelOnLoop()
    {
        foreach (var reader in _readers)
            if (reader is { Done: false }) reader.Cancel();
    }

    private uint Wanted(int side)
    {
        uint wanted = 0;
        if (_active > 0 && _readers[side] is { Done: false }) wanted |= Epoll.In | Epoll.RdHup;
        if (_active > 0 && _readers[1 - side] is { Done: false, WaitingToWrite: true }) wanted |= Epoll.Out;
        return wanted == 0 ? 0 : wanted | Epoll.EdgeTriggered;
    }

    // Under the connection's lock: the loop and the relay's thread both change registrations.
    private void UpdateRegistration(int side)
    {
        uint wanted = Wanted(side), before = _registered[side];
        // Nothing left to register on the loop, or the descriptor is already gone: a removal that
        // fails has nothing to undo.
        _registered[side] = wanted;
        Epoll.Change(_loop.EpollFd, _fds[side], before, wanted, SpliceLoop.Token(_slot, Generation, side));
    }
}
