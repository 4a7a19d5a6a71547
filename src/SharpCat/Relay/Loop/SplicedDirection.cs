using System.Buffers;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// One direction of a <see cref="SplicedConnection"/>, run by its loop's thread only. A message
/// is read into the loop's buffer and written at once: a read shorter than the buffer empties the
/// socket, so the next edge is waited for (as nginx does with edge-triggered epoll). A read that
/// fills the buffer starts a burst, which goes by splice(2) through a pipe until the socket would
/// block. What the sink does not take waits in the pipe, or in a rented array, and nothing more
/// is read until it is out: the sink's writability is then watched.
/// </summary>
internal sealed class SplicedDirection
{
    // A turn moves at most this many reads before other connections get theirs.
    private const int ReadsPerTurn = 16;
    private const int ECONNRESET = 104;

    private readonly SplicedConnection _connection;
    private readonly OpenedEndpoint _source;
    private readonly int _sourceFd, _sinkFd;
    private readonly ActivityClock _clock;
    private readonly DirectionTally _tally;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool _readable, _sourceClosing, _bursting, _warnedNoPipe;
    private (int Read, int Write) _pipe = (-1, -1);
    private nint _inPipe;
    private byte[]? _held;
    private int _heldStart, _heldEnd;

    public SplicedDirection(SplicedConnection connection, OpenedEndpoint source, OpenedEndpoint sink, int sourceSide, ActivityClock clock, DirectionTally tally)
    {
        _connection = connection;
        _source = source;
        _sourceFd = source.Channel.ReadFd;
        _sinkFd = sink.Channel.WriteFd;
        SourceSide = sourceSide;
        _clock = clock;
        _tally = tally;
    }

    public int SourceSide { get; }
    public Task Task => _done.Task;
    public bool Done { get; private set; }
    public bool WaitingToWrite { get; private set; }

    public void OnReadable(bool closing)
    {
        _readable = true;
        _sourceClosing |= closing;
        Run();
    }

    public void OnWritable() => Run();

    /// <summary>Moves what can be moved now, in one turn.</summary>
    public void Run()
    {
        try
        {
            for (int reads = 0; reads < ReadsPerTurn; reads++)
            {
                if (!Flush()) return;
                if (!_readable) return;
                if (!Read()) return;
            }
            _connection.Loop.Again(this);
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>Writes what is held; false while the sink cannot take it all.</summary>
    private bool Flush()
    {
        if (_inPipe == 0 && _heldEnd == _heldStart) return true;
        while (_inPipe > 0 || _heldEnd > _heldStart)
        {
            nint n;
            if (_inPipe > 0)
            {
                n = Posix.Splice(_pipe.Read, _sinkFd, _inPipe);
                if (n < 0)
                {
                    int errno = Posix.Errno;
                    if (errno == Posix.EINTR) continue;
                    if (errno != Posix.EAGAIN) throw new PosixException($"write({_sinkFd}, {_inPipe})", errno);
                    n = -1;
                }
                else _inPipe -= n;
            }
            else
            {
                n = Posix.TryWrite(_sinkFd, _held.AsSpan(_heldStart, _heldEnd - _heldStart));
                if (n > 0) _heldStart += (int)n;
            }
            if (n < 0)
            {
                WaitToWrite(true);
                return false;
            }
            _tally.Wrote(n);
        }
        if (_held is not null)
        {
            ArrayPool<byte>.Shared.Return(_held);
            _held = null;
            _heldStart = _heldEnd = 0;
        }
        if (WaitingToWrite) WaitToWrite(false);
        else _clock.Touch();
        return true;
    }

    /// <summary>One read; false when the direction waits for its source or is over.</summary>
    private bool Read()
    {
        if (_bursting && (_pipe.Read >= 0 || TakePipe())) return SpliceIn();
        var buffer = _connection.Loop.Buffer;
        int n = Posix.TryRead(_sourceFd, buffer);
        if (n <= 0) return ReadEnded(n, $"read({_sourceFd}, {buffer.Length})");
        // A socket read short of the buffer took everything there was: the next edge says when
        // more comes. (Not after a hang-up: its edge has been and gone.)
        if (n == buffer.Length) _bursting = true;
        else if (!_sourceClosing) _readable = false;
        WriteFromBuffer(buffer, n);
        return true;
    }

    private bool SpliceIn()
    {
        nint n = Posix.Splice(_sourceFd, _pipe.Write, SplicePipes.Size);
        if (n > 0)
        {
            _inPipe = n;
            return true;
        }
        int errno = n == 0 ? 0 : Posix.Errno;
        if (errno == Posix.EINTR) return true;
        // The burst is over: the pipe goes back empty, and the next message is read through memory.
        _bursting = false;
        _connection.Loop.GiveBack(_pipe);
        _pipe = (-1, -1);
        return ReadEnded(-errno, $"splice({_sourceFd}, pipe, {SplicePipes.Size})");
    }

    private bool ReadEnded(int result, string call)
    {
        if (result == -Posix.EAGAIN)
        {
            _readable = false;
            return false;
        }
        if (result == -Posix.EINTR) return true;
        if (result == -ECONNRESET) ((SocketChannel)_source.Channel).NoteReset(SplicePipes.Size);
        else if (result < 0) throw new PosixException(call, -result);
        Finish();
        return false;
    }

    private bool TakePipe()
    {
        if (_connection.Loop.TakePipe(out _pipe)) return true;
        if (!_warnedNoPipe) Log.Warn($"no pipe for splice (descriptor limit): fd {_sourceFd} -> fd {_sinkFd} goes through memory while none can be made");
        _warnedNoPipe = true;
        _bursting = false;
        return false;
    }

    private void WriteFromBuffer(byte[] buffer, int n)
    {
        int written = Posix.TryWrite(_sinkFd, buffer.AsSpan(0, n));
        if (written > 0) _tally.Wrote(written);
        else written = 0;
        if (written == n)
        {
            _clock.Touch();
            return;
        }
        // The rest waits for the sink in an array of its own: the loop's buffer serves every connection.
        _held = ArrayPool<byte>.Shared.Rent(n - written);
        buffer.AsSpan(written, n - written).CopyTo(_held);
        _heldStart = 0;
        _heldEnd = n - written;
    }

    private void WaitToWrite(bool waiting)
    {
        if (waiting == WaitingToWrite) return;
        WaitingToWrite = waiting;
        if (waiting)
        {
            // A write that has not finished keeps the relay from counting as quiet (ActivityClock).
            _clock.BeginWrite();
            Log.Debug($"fd {_sinkFd} is not writable: {_inPipe + _heldEnd - _heldStart} bytes wait for it");
        }
        else _clock.EndWrite();
        _connection.WaitingToWriteChanged(this);
    }

    private void Finish()
    {
        ReleaseBuffers(true);
        End();
        _done.TrySetResult();
    }

    private void Fail(Exception e)
    {
        ReleaseBuffers(false);
        End();
        _done.TrySetException(e);
    }

    public void Cancel()
    {
        ReleaseBuffers(false);
        End();
        _done.TrySetCanceled();
    }

    private void End()
    {
        if (Done) return;
        if (WaitingToWrite)
        {
            WaitingToWrite = false;
            _clock.EndWrite();
        }
        Done = true;
        _connection.Ended();
    }

    // A pipe that may still hold bytes is closed, not reused.
    private void ReleaseBuffers(bool empty)
    {
        if (_pipe.Read >= 0)
        {
            if (empty && _inPipe == 0) _connection.Loop.GiveBack(_pipe);
            else SplicePipes.Close(_pipe);
            _pipe = (-1, -1);
        }
        if (_held is not null) ArrayPool<byte>.Shared.Return(_held);
        _held = null;
    }
}
