using System.Diagnostics;
using System.Threading.Channels;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Faults;

/// <summary>
/// An address's channel with faults on what is written to it (DESIGN §10: a transforming layer is a
/// channel wrapping a channel). Writes are queued with their arrival time and a writer sends each
/// when its latency has passed, so that latency delays data without capping the throughput, as a
/// slow link does; the rate and the slices pace the writer; after a number of bytes or a time it
/// stalls, or resets or closes the connection. The queue is bounded: a slow fault holds the relay
/// back as a slow peer would, without buffering more than <see cref="QueuedWrites"/> reads.
/// The faults come from the address's options (fixed for the connection) and from the relay's
/// <see cref="RelayFaults"/> (changed while it runs: each change is merged in at once).
/// </summary>
internal sealed class FaultChannel : IChannel
{
    private const int QueuedWrites = 64;
    private const string OptionsName = "options";

    private readonly IChannel _inner;
    private readonly string _name;
    private readonly long _id;
    private readonly int _side;
    private readonly RelayFaults? _live;
    private readonly RelayDirection _direction;
    private readonly Random _random;
    private readonly Channel<(byte[] Data, long Due)> _queue =
        Channel.CreateBounded<(byte[], long)>(new BoundedChannelOptions(QueuedWrites) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cut = new();
    private readonly Task _writer;
    private readonly Lock _gate = new();
    // The faults that reached this connection, by name; the merged state the writer reads.
    private readonly Dictionary<string, FaultState.Reached> _reached = [];
    private volatile FaultState _state = FaultState.None;
    // Completed (and replaced) whenever the state changes: a stalled writer waits on it.
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _timerCut;
    private long _written, _lastDue, _nextByteAt;
    private Exception? _failure;
    private bool _stallLogged;
    // Set when the writer first stalls: from then on the end of the stream waits with the data.
    private readonly TaskCompletionSource _stallEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Datagram faults: decided as each datagram is written, so the seed and the order of the
    // datagrams decide them, never the timing.
    private readonly bool _datagrams;
    private bool _inBurst;
    private byte[][]? _held;
    private long _seen, _lost, _duplicated, _reordered, _discarded;

    private FaultChannel(IChannel inner, Fault? own, RelayFaults? live, Random random, long id, int side, string name)
    {
        _inner = inner;
        _datagrams = inner.IsDatagram;
        _live = live;
        _direction = side == 1 ? RelayDirection.RightToLeft : RelayDirection.LeftToRight;
        _random = random;
        _id = id;
        _side = side;
        _name = name;
        if (own is not null) _reached[OptionsName] = new FaultState.Reached(OptionsName, own, 0, 0, Stopwatch.GetTimestamp());
        if (live is not null) live.Changed += Refresh;
        Refresh();
        _writer = Task.Run(WriteQueuedAsync);
    }

    /// <summary>
    /// The channel itself when no fault can reach this connection's side; else the channel with
    /// the faults, logged with the connection they hit.
    /// </summary>
    public static IChannel Wrap(IChannel channel, FaultPlan? plan, RelayFaults? live, long id, int side, string name)
    {
        Random? random = null;
        if (plan is not null)
        {
            // The address check refuses these by the address's type; this catches a descriptor that is
            // only known to carry datagrams once opened (FD, GOPEN of a socket).
            var own = FaultState.Merge([new FaultState.Reached(OptionsName, plan.Fault, 0, 0, 0)]);
            if (channel.IsDatagram && own.StreamOnly(out _))
                throw new SharpCatException($"{name}: fault-slice, fault-stall, fault-reset, fault-close and fault-slow-close act on byte streams, and this address moves datagrams");
            if (!channel.IsDatagram && own.DatagramOnly)
                throw new SharpCatException($"{name}: fault-loss, fault-duplicate and fault-reorder act on datagrams, and this address is a byte stream");
            random = plan.Draw(id, side);
            if (random is null)
                Log.Notice($"relay {id}: no fault on {name} (probability {plan.Fault.Probability}, seed {plan.Seed})");
            else
                Log.Notice($"relay {id}: faults on what is written to {name}: {FaultText.Describe(plan.Fault)} (seed {plan.Seed})");
        }
        if (random is null && live is null) return channel;
        var fault = random is null ? null : plan!.Fault;
        return new FaultChannel(channel, fault, live, random ?? new Random(FaultDraws.Mix(live!.Seed, id * 2 + side, 1)), id, side, name);
    }

    /// <summary>Takes the relay's faults as they are now: draws the new ones, drops the removed ones, merges.</summary>
    private void Refresh()
    {
        List<FaultApplied>? applied = null;
        lock (_gate)
        {
            if (_live is not null)
            {
                var entries = _live.Entries;
                foreach (var name in _reached.Keys.ToArray())
                    if (name != OptionsName && Array.FindIndex(entries, e => e.Name == name) < 0) _reached.Remove(name);
                foreach (var e in entries)
                {
                    if ((e.Fault.Direction & _direction) == 0) continue;
                    if (_reached.TryGetValue(e.Name, out var had) && had.Serial == e.Serial) continue;
                    _reached.Remove(e.Name);
                    var draw = new Random(FaultDraws.Mix(_live.Seed, _id * 2 + _side, FaultDraws.NameHash(e.Name) ^ e.Serial));
                    if (draw.NextDouble() >= e.Fault.Probability) continue;
                    var one = FaultState.Merge([new FaultState.Reached(e.Name, e.Fault, e.Serial, 0, 0)]);
                    string what = FaultText.Describe(e.Fault);
                    bool streamOnly = one.StreamOnly(out string kind);
                    if (_datagrams ? streamOnly : one.DatagramOnly)
                    {
                        what = _datagrams ? $"not applied: {kind} acts on a byte stream, and this address moves datagrams"
                            : "not applied: loss, duplication and reordering act on datagrams, and this address is a byte stream";
                        Log.Warn($"relay {_id}: fault \"{e.Name}\" on {_name}: {what}");
                    }
                    else
                    {
                        _reached[e.Name] = new FaultState.Reached(e.Name, e.Fault, e.Serial, Volatile.Read(ref _written), Stopwatch.GetTimestamp());
                        Log.Notice($"relay {_id}: fault \"{e.Name}\" on what is written to {_name}: {what}");
                    }
                    (applied ??= []).Add(new FaultApplied(_id, e.Name, _name, what));
                }
            }
            _state = FaultState.Merge(_reached.Values);
            _stallLogged = false;
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
            ArmTimer();
        }
        if (applied is not null)
            foreach (var a in applied) _live!.OnApplied(a);
    }

    // A reset or close at a time needs no write to happen: a timer fires it.
    private void ArmTimer()
    {
        _timerCut?.Cancel();
        _timerCut = null;
        var state = _state;
        if (state.NextDue == FaultState.Never || _cut.IsCancellationRequested) return;
        var cut = _timerCut = CancellationTokenSource.CreateLinkedTokenSource(_cut.Token);
        _ = Task.Run(async () =>
        {
            try
            {
                await UntilAsync(state.NextDue, cut.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long now = Stopwatch.GetTimestamp();
            if (state.ResetDue <= now) await FireAsync(Trigger.Reset, "s").ConfigureAwait(false);
            else if (state.CloseDue <= now) await FireAsync(Trigger.Close, "s").ConfigureAwait(false);
            else Wake();
        });
    }

    private void Wake()
    {
        lock (_gate)
        {
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
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
        var state = _state;
        if (state.Fault.Discard)
        {
            _discarded += data.Length;
            return;
        }
        if (!_datagrams)
        {
            if (!data.IsEmpty) await EnqueueAsync(data.ToArray(), state, ct).ConfigureAwait(false);
            return;
        }
        var f = state.Fault;
        _seen++;
        if (Lost(f))
        {
            _lost++;
            return;
        }
        byte[] copy = data.ToArray();
        byte[][] copies = f.Duplicate > 0 && _random.NextDouble() < f.Duplicate ? [copy, copy] : [copy];
        if (copies.Length == 2) _duplicated++;
        if (_held is null && f.Reorder > 0 && _random.NextDouble() < f.Reorder)
        {
            // Held back until the next datagram has gone: the two swap places.
            _held = copies;
            _reordered++;
            return;
        }
        foreach (var d in copies) await EnqueueAsync(d, state, ct).ConfigureAwait(false);
        await ReleaseHeldAsync(ct).ConfigureAwait(false);
    }

    private async ValueTask ReleaseHeldAsync(CancellationToken ct)
    {
        if (_held is not { } held) return;
        _held = null;
        foreach (var d in held) await EnqueueAsync(d, _state, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Loss: each datagram alone, or in bursts (a two-state chain whose lossy state holds the loss
    /// share of the datagrams, in runs of the burst length on average).
    /// </summary>
    private bool Lost(Fault f)
    {
        if (f.Loss <= 0) return false;
        if (f.LossBurst <= 1) return _random.NextDouble() < f.Loss;
        if (f.Loss >= 1) return true;
        double toBurst = f.Loss / (f.LossBurst * (1 - f.Loss)), toGood = 1 / f.LossBurst;
        _inBurst = _inBurst ? _random.NextDouble() >= toGood : _random.NextDouble() < toBurst;
        return _inBurst;
    }

    private async ValueTask EnqueueAsync(byte[] data, FaultState state, CancellationToken ct)
    {
        long now = Stopwatch.GetTimestamp();
        var f = state.Fault;
        double jitter = f.Jitter > TimeSpan.Zero ? (_random.NextDouble() * 2 - 1) * f.Jitter.TotalSeconds : 0;
        // Never before an earlier write: jitter varies the delay, not the order of the bytes.
        long due = Math.Max(_lastDue, now + Ticks(f.Latency.TotalSeconds + jitter));
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
        // The writer sends the end of the stream once the queue is empty. A stall holds it back too,
        // and the pump does not wait for a stall: the relay goes on, and ends it when it ends.
        await Task.WhenAny(_writer, _stallEntered.Task).ConfigureAwait(false);
        if (_failure is not null) throw _failure;
    }

    private async Task WriteQueuedAsync()
    {
        try
        {
            await foreach (var (data, due) in _queue.Reader.ReadAllAsync(_cut.Token).ConfigureAwait(false))
            {
                await UntilAsync(due, _cut.Token).ConfigureAwait(false);
                await SendAsync(data).ConfigureAwait(false);
            }
            if (_failure is not null || _cut.IsCancellationRequested) return;
            if (_state.Fault.SlowClose is { } late && late > TimeSpan.Zero)
            {
                Log.Notice($"relay {_id}: {_name}: slow close: the end of the stream goes {late.TotalSeconds} s late");
                await UntilAsync(Stopwatch.GetTimestamp() + Ticks(late.TotalSeconds), _cut.Token).ConfigureAwait(false);
            }
            await _inner.ShutdownWriteAsync().ConfigureAwait(false);
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

    private enum Trigger { None, Stall, Reset, Close }

    /// <summary>Sends one queued write in slices, at the rate, up to the byte at which a fault fires.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var state = await WhileStalledAsync().ConfigureAwait(false);
            var (at, trigger) = NextTrigger(state);
            if (trigger != Trigger.None && at == _written)
            {
                await FireAsync(trigger, "bytes").ConfigureAwait(false);
                return;
            }
            var f = state.Fault;
            int piece = data.Length;
            if (f.SliceSize is int slice)
                piece = Math.Min(piece, Math.Max(1, slice + (f.SliceVariation > 0 ? _random.Next(-f.SliceVariation, f.SliceVariation + 1) : 0)));
            // At a rate, pieces of a tenth of a second at most, so that a slow link trickles rather than stutters.
            if (f.BytesPerSecond is long rate) piece = (int)Math.Min(piece, Math.Max(1, rate / 10));
            if (trigger != Trigger.None && _written + piece > at) piece = (int)(at - _written);
            await PaceAsync(piece, f).ConfigureAwait(false);
            await _inner.WriteAsync(data[..piece], _cut.Token).ConfigureAwait(false);
            Volatile.Write(ref _written, _written + piece);
            data = data[piece..];
            if (!data.IsEmpty && f.SliceDelay > TimeSpan.Zero) await Task.Delay(f.SliceDelay, _cut.Token).ConfigureAwait(false);
        }
        // A fault whose count is reached exactly at the end of a write fires now, not at the next write.
        var after = _state;
        var (end, fired) = NextTrigger(after);
        if (fired is Trigger.Reset or Trigger.Close && end == _written) await FireAsync(fired, "bytes").ConfigureAwait(false);
    }

    private (long At, Trigger Trigger) NextTrigger(FaultState s)
    {
        (long, Trigger) best = (long.MaxValue, Trigger.None);
        foreach (var (at, t) in new[] { (s.ResetAt, Trigger.Reset), (s.CloseAt, Trigger.Close), (s.StallAt, Trigger.Stall) })
            if (at is long n && n >= _written && n < best.Item1) best = (n, t);
        return best;
    }

    /// <summary>Waits while a stall holds (by bytes or by time); returns the state to send under.</summary>
    private async ValueTask<FaultState> WhileStalledAsync()
    {
        while (true)
        {
            Task changed;
            FaultState state;
            lock (_gate)
            {
                state = _state;
                changed = _changed.Task;
            }
            bool stalled = state.StallAt is long at && at <= _written || state.StallDue <= Stopwatch.GetTimestamp();
            if (!stalled) return state;
            _stallEntered.TrySetResult();
            if (!_stallLogged)
            {
                _stallLogged = true;
                Log.Notice($"relay {_id}: {_name}: stall: nothing more is written after {_written} bytes, until the fault is lifted");
                _live?.OnApplied(new FaultApplied(_id, "stall", _name, $"stalled after {_written} bytes"));
            }
            await changed.WaitAsync(_cut.Token).ConfigureAwait(false);
        }
    }

    // The rate: each byte has its time, as a token bucket with no burst; a piece goes out when its
    // last byte's time has come, as over a link of that speed (toxiproxy's bandwidth toxic too).
    private async ValueTask PaceAsync(int bytes, Fault f)
    {
        if (f.BytesPerSecond is not long rate) return;
        long start = Math.Max(Stopwatch.GetTimestamp(), _nextByteAt);
        _nextByteAt = start + Ticks((double)bytes / rate);
        await UntilAsync(_nextByteAt, _cut.Token).ConfigureAwait(false);
    }

    private static long Ticks(double seconds) => (long)(Math.Max(0, seconds) * Stopwatch.Frequency);

    /// <summary>Waits until the stopwatch reaches <paramref name="due"/>: a timer may fire a little early, never this.</summary>
    private static async ValueTask UntilAsync(long due, CancellationToken ct)
    {
        for (long now = Stopwatch.GetTimestamp(); now < due; now = Stopwatch.GetTimestamp())
            await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (due - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), ct).ConfigureAwait(false);
    }

    private async Task FireAsync(Trigger trigger, string unit)
    {
        string when = unit == "bytes" ? $"after {Volatile.Read(ref _written)} bytes" : "at its time";
        SharpCatException failure;
        lock (_gate)
        {
            if (_failure is not null) return;
            failure = trigger == Trigger.Reset
                ? new SharpCatException($"{_name}: reset {when} by a fault")
                : new SharpCatException($"{_name}: closed {when} by a fault");
            _failure = failure;
        }
        Log.Notice($"relay {_id}: {_name}: {(trigger == Trigger.Reset ? "resetting" : "closing")} the connection {when}");
        _live?.OnApplied(new FaultApplied(_id, trigger == Trigger.Reset ? "reset" : "close", _name, $"{(trigger == Trigger.Reset ? "reset" : "closed")} {when}"));
        if (trigger == Trigger.Reset)
        {
            _inner.AbortOnClose();
            _cut.Cancel();
            return;
        }
        _cut.Cancel();
        try { await _inner.ShutdownWriteAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is SharpCatException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException) { }
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
        if (_live is not null) _live.Changed -= Refresh;
        _queue.Writer.TryComplete();
        lock (_gate)
        {
            _cut.Cancel();
            _timerCut?.Cancel();
        }
        await _writer.ConfigureAwait(false);
        string? summary = _datagrams && (_seen > 0 || _reached.Count > 0)
            ? $"{_seen} datagrams written, {_lost} lost, {_duplicated} duplicated, {_reordered} reordered"
            : _discarded > 0 ? $"{_discarded} bytes dropped" : null;
        if (summary is not null)
        {
            Log.Notice($"relay {_id}: {_name}: faults: {summary}");
            _live?.OnApplied(new FaultApplied(_id, "summary", _name, summary));
        }
    }
}
