using System.Diagnostics;
using System.Threading.Channels;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Faults;

/// <summary>
/// An address's channel with faults on what is written to it (DESIGN §10: a transforming layer is a
/// channel wrapping a channel). Writes are queued with their arrival time and a writer sends each
/// when its latency has passed, so that latency delays data without capping the throughput, as a
/// slow link does; the rate and the slices pace the writer; after a number of bytes it stalls, or
/// resets or closes the connection. The queue is bounded: a slow fault holds the relay back as a
/// slow peer would, without buffering more than <see cref="QueuedWrites"/> reads.
/// </summary>
internal sealed class FaultChannel : IChannel
{
    private const int QueuedWrites = 64;

    private readonly IChannel _inner;
    private readonly FaultPlan _plan;
    private readonly Random _random;
    private readonly string _name;
    private readonly long _id;
    private readonly Channel<(byte[] Data, long Due)> _queue =
        Channel.CreateBounded<(byte[], long)>(new BoundedChannelOptions(QueuedWrites) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cut = new();
    private readonly Task _writer;
    private long _written, _lastDue, _nextByteAt;
    private Exception? _failure;
    private volatile bool _stalled;
    // The byte count at which the first of stall, reset and close fires; the connection's faults end there.
    private readonly long? _trigger;
    // Datagram faults: decided as each datagram is written, so the seed and the order of the
    // datagrams decide them, never the timing.
    private readonly bool _datagrams;
    private bool _inBurst;
    private byte[][]? _held;
    private long _seen, _lost, _duplicated, _reordered;

    private FaultChannel(IChannel inner, FaultPlan plan, Random random, long id, string name)
    {
        _id = id;
        _datagrams = inner.IsDatagram;
        _trigger = new[] { plan.StallAfter, plan.ResetAfter, plan.CloseAfter }.Min();
        _inner = inner;
        _plan = plan;
        _random = random;
        _name = name;
        _writer = Task.Run(WriteQueuedAsync);
    }

    /// <summary>
    /// The channel itself when this connection draws no fault; else the channel with the faults,
    /// logged with the connection they hit.
    /// </summary>
    public static IChannel Wrap(IChannel channel, FaultPlan plan, long id, int side, string name)
    {
        // The address check refuses these by the address's type; this catches a descriptor that is
        // only known to carry datagrams once opened (FD, GOPEN of a socket).
        if (channel.IsDatagram && (plan.SliceSize is not null || plan.StallAfter is not null || plan.ResetAfter is not null || plan.CloseAfter is not null))
            throw new SharpCatException($"{name}: fault-slice, fault-stall, fault-reset and fault-close act on byte streams, and this address moves datagrams");
        if (!channel.IsDatagram && (plan.Loss > 0 || plan.Duplicate > 0 || plan.Reorder > 0))
            throw new SharpCatException($"{name}: fault-loss, fault-duplicate and fault-reorder act on datagrams, and this address is a byte stream");
        var random = plan.Draw(id, side);
        if (random is null)
        {
            Log.Notice($"relay {id}: no fault on {name} (probability {plan.Probability}, seed {plan.Seed})");
            return channel;
        }
        Log.Notice($"relay {id}: faults on what is written to {name}: {plan.Describe()} (seed {plan.Seed})");
        return new FaultChannel(channel, plan, random, id, name);
    }

    // A reset or close cuts the reading direction too, at once, rather than at the next write.
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _cut.Token);
        try
        {
            return await _inner.ReadAsync(buffer, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (CutByFault(ct))
        {
            throw _failure!;
        }
    }

    public ValueTask WaitWritableAsync(CancellationToken ct) => _inner.WaitWritableAsync(ct);

    public async ValueTask WaitReadableAsync(CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _cut.Token);
        try
        {
            await _inner.WaitReadableAsync(both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (CutByFault(ct))
        {
            throw _failure!;
        }
    }

    private bool CutByFault(CancellationToken ct) => _failure is not null && !ct.IsCancellationRequested;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_failure is not null) throw _failure;
        if (!_datagrams)
        {
            if (!data.IsEmpty) await EnqueueAsync(data.ToArray(), ct).ConfigureAwait(false);
            return;
        }
        _seen++;
        if (Lost())
        {
            _lost++;
            return;
        }
        byte[] copy = data.ToArray();
        byte[][] copies = _plan.Duplicate > 0 && _random.NextDouble() < _plan.Duplicate ? [copy, copy] : [copy];
        if (copies.Length == 2) _duplicated++;
        if (_held is null && _plan.Reorder > 0 && _random.NextDouble() < _plan.Reorder)
        {
            // Held back until the next datagram has gone: the two swap places.
            _held = copies;
            _reordered++;
            return;
        }
        foreach (var d in copies) await EnqueueAsync(d, ct).ConfigureAwait(false);
        await ReleaseHeldAsync(ct).ConfigureAwait(false);
    }

    private async ValueTask ReleaseHeldAsync(CancellationToken ct)
    {
        if (_held is not { } held) return;
        _held = null;
        foreach (var d in held) await EnqueueAsync(d, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// fault-loss: each datagram alone, or in bursts (a two-state chain whose lossy state holds
    /// fault-loss of the datagrams, in runs of fault-loss-burst on average).
    /// </summary>
    private bool Lost()
    {
        if (_plan.Loss <= 0) return false;
        if (_plan.LossBurst <= 1) return _random.NextDouble() < _plan.Loss;
        double toBurst = _plan.Loss / (_plan.LossBurst * (1 - _plan.Loss)), toGood = 1 / _plan.LossBurst;
        _inBurst = _inBurst ? _random.NextDouble() >= toGood : _random.NextDouble() < toBurst;
        return _inBurst;
    }

    private async ValueTask EnqueueAsync(byte[] data, CancellationToken ct)
    {
        long now = Stopwatch.GetTimestamp();
        double jitter = _plan.Jitter > TimeSpan.Zero ? (_random.NextDouble() * 2 - 1) * _plan.Jitter.TotalSeconds : 0;
        // Never before an earlier write: jitter varies the delay, not the order of the bytes.
        long due = Math.Max(_lastDue, now + Ticks(_plan.Latency.TotalSeconds + jitter));
        _lastDue = due;
        try
        {
            await _queue.Writer.WriteAsync((data, due), ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw _failure ?? new SharpCatException($"{_name}: write after the faults ended the connection");
        }
    }

    public async ValueTask ShutdownWriteAsync()
    {
        if (_failure is null) await ReleaseHeldAsync(CancellationToken.None).ConfigureAwait(false);
        _queue.Writer.TryComplete();
        // A stalled connection stays silent, without even an end of file, until the relay ends.
        if (_stalled) return;
        await _writer.ConfigureAwait(false);
        if (_failure is not null) throw _failure;
        if (_stalled) return;
        await _inner.ShutdownWriteAsync().ConfigureAwait(false);
    }

    private async Task WriteQueuedAsync()
    {
        try
        {
            await foreach (var (data, due) in _queue.Reader.ReadAllAsync(_cut.Token).ConfigureAwait(false))
            {
                await UntilAsync(due).ConfigureAwait(false);
                await SendAsync(data).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_cut.IsCancellationRequested)
        {
        }
        catch (Exception e) when (_failure is null)
        {
            _failure = e as SharpCatException ?? new SharpCatException(e.Message, e);
            _cut.Cancel();
        }
    }

    /// <summary>Sends one queued write in slices, at the rate, up to the byte at which a fault fires.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int piece = Math.Min(data.Length, _plan.SliceSize ?? data.Length);
            if (_trigger is long at && _written + piece >= at) piece = (int)(at - _written);
            if (piece > 0)
            {
                await PaceAsync(piece).ConfigureAwait(false);
                await _inner.WriteAsync(data[..piece], _cut.Token).ConfigureAwait(false);
                _written += piece;
                data = data[piece..];
            }
            if (_trigger is long fired && _written == fired)
            {
                await FireAsync(fired).ConfigureAwait(false);
                return;
            }
            if (!data.IsEmpty && _plan.SliceDelay > TimeSpan.Zero) await Task.Delay(_plan.SliceDelay, _cut.Token).ConfigureAwait(false);
        }
    }

    // The rate: each byte has its time, as a token bucket with no burst.
    private async ValueTask PaceAsync(int bytes)
    {
        if (_plan.Rate is not long rate) return;
        long start = Math.Max(Stopwatch.GetTimestamp(), _nextByteAt);
        _nextByteAt = start + Ticks((double)bytes / rate);
        await UntilAsync(start).ConfigureAwait(false);
    }

    private static long Ticks(double seconds) => (long)(Math.Max(0, seconds) * Stopwatch.Frequency);

    /// <summary>Waits until the stopwatch reaches <paramref name="due"/>: a timer may fire a little early, never this.</summary>
    private async ValueTask UntilAsync(long due)
    {
        for (long now = Stopwatch.GetTimestamp(); now < due; now = Stopwatch.GetTimestamp())
            await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (due - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), _cut.Token).ConfigureAwait(false);
    }

    private async ValueTask FireAsync(long at)
    {
        if (_plan.StallAfter == at)
        {
            // The connection stays open and silent: nothing more is written until the relay ends.
            Log.Notice($"relay {_id}: {_name}: fault-stall: nothing more is written after {at} bytes");
            _stalled = true;
            await Task.Delay(Timeout.Infinite, _cut.Token).ConfigureAwait(false);
        }
        if (_plan.ResetAfter == at)
        {
            Log.Notice($"relay {_id}: {_name}: fault-reset: resetting the connection after {at} bytes");
            _inner.AbortOnClose();
            throw new SharpCatException($"{_name}: reset after {at} bytes by fault-reset");
        }
        Log.Notice($"relay {_id}: {_name}: fault-close: closing the connection after {at} bytes");
        await _inner.ShutdownWriteAsync().ConfigureAwait(false);
        throw new SharpCatException($"{_name}: closed after {at} bytes by fault-close");
    }

    public bool IsDatagram => _datagrams;
    public bool CanRead => _inner.CanRead;
    public bool CanWrite => _inner.CanWrite;
    public int ReadFd => _inner.ReadFd;
    public int WriteFd => _inner.WriteFd;
    public Task? Completion => _inner.Completion;
    public IReadOnlyList<KeyValuePair<string, string>>? Variables => _inner.Variables;
    public ValueTask WaitForPeerAsync(CancellationToken ct) => _inner.WaitForPeerAsync(ct);
    public bool WasReset => _inner.WasReset;
    public void AbortOnClose() => _inner.AbortOnClose();
    public System.Net.EndPoint? LocalEndPoint => _inner.LocalEndPoint;
    public System.Net.EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;
    public string Describe() => _inner.Describe();

    /// <summary>Stops the writer; the channel it wraps belongs to whoever opened it and is closed by them.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _cut.Cancel();
        await _writer.ConfigureAwait(false);
        _cut.Dispose();
        if (_datagrams)
            Log.Notice($"relay {_id}: {_name}: faults: {_seen} datagrams written, {_lost} lost, {_duplicated} duplicated, {_reordered} reordered");
    }
}
