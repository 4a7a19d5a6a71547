using SharpCat.Capture;
using SharpCat.Diagnostics;

namespace SharpCat.Relay;

/// <summary>
/// The transfer phase of one relay: a pump per direction, half-close on EOF, then the <c>-t</c>
/// closing wait for the other direction, and the <c>-T</c> inactivity timeout.
/// </summary>
internal sealed class RelaySession
{
    private readonly OpenedEndpoint _left, _right;
    private readonly RelayOptions _options;
    private readonly RelayContext _context;
    private readonly RelayConnection? _record;
    private readonly RawDumps _dumps;
    private readonly CaptureConversation? _capture;
    private readonly ActivityClock _clock = new();
    private readonly DirectionTally _leftToRight, _rightToLeft;
    private bool _inactive;
    private static readonly TimeSpan MinimumRewait = TimeSpan.FromMilliseconds(10);

    /// <summary>A direction still moving data: where from, where to, its pump, and its tally.</summary>
    private readonly record struct RunningDirection(OpenedEndpoint Source, OpenedEndpoint Sink, Task Task, DirectionTally Tally);

    // record: the connection as its events describe it (its opening is reported by the caller); null when nobody listens for them.
    // capture: this connection in the --pcap file; null without one.
    public RelaySession(OpenedEndpoint left, OpenedEndpoint right, RelayContext context, RelayConnection? record, RawDumps dumps,
        CaptureConversation? capture)
    {
        _left = left;
        _right = right;
        _context = context;
        _options = context.Options;
        _record = record;
        _dumps = dumps;
        _capture = capture;
        _leftToRight = new DirectionTally(context, RelaySide.Left);
        _rightToLeft = new DirectionTally(context, RelaySide.Right);
    }

    // socat's xioshutdown waits this long (an alarm of 1 s) for a child it only writes to.
    private static readonly TimeSpan WriteOnlyChildGrace = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken ct)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Per connection with fork: no closures, and one list for what the loop waits on.
        var running = new List<RunningDirection>(2);
        bool leftToRight = _options.Direction != RelayDirection.RightToLeft && _left.Channel.CanRead && _right.Channel.CanWrite;
        bool rightToLeft = _options.Direction != RelayDirection.LeftToRight && _right.Channel.CanRead && _left.Channel.CanWrite;
        if (leftToRight && rightToLeft && _left.Channel.ReadFd >= 0 && _left.Channel.ReadFd == _right.Channel.ReadFd)
        {
            // One descriptor read both ways: the directions take turns, as in socat.
            var (l, r) = new AlternatingPumps(NewPump(_left, _right, RelaySide.Left, _dumps.LeftToRight, _leftToRight),
                NewPump(_right, _left, RelaySide.Right, _dumps.RightToLeft, _rightToLeft)).Start(cts.Token);
            running.Add(new(_left, _right, l, _leftToRight.Started()));
            running.Add(new(_right, _left, r, _rightToLeft.Started()));
        }
        else
        {
            // Socket to socket with nothing to look at the bytes: both directions on an event loop.
            bool loopLeft = leftToRight && !_options.NoSplice && SplicedConnection.Applies(_left, _right, Taps(_dumps.LeftToRight));
            bool loopRight = rightToLeft && !_options.NoSplice && SplicedConnection.Applies(_right, _left, Taps(_dumps.RightToLeft));
            var (l, r) = loopLeft || loopRight
                ? SplicedConnection.Start(_left, _right, loopLeft ? _leftToRight : null, loopRight ? _rightToLeft : null, _clock, cts.Token)
                : default;
            bool alone = leftToRight != rightToLeft;
            if (leftToRight) running.Add(new(_left, _right, l ?? Start(_left, _right, RelaySide.Left, _dumps.LeftToRight, _leftToRight, alone, cts.Token), _leftToRight.Started()));
            if (rightToLeft) running.Add(new(_right, _left, r ?? Start(_right, _left, RelaySide.Right, _dumps.RightToLeft, _rightToLeft, alone, cts.Token), _rightToLeft.Started()));
        }
        if (running.Count == 0)
        {
            ReportClosed(started);
            throw new SharpCatException("no direction to transfer: neither address can be read into the other");
        }

        Task? inactivity = _options.InactivityTimeout is { } idle ? WatchInactivityAsync(idle, cts) : null;
        Task? closeTimer = null;
        // Addresses that are processes of their own: their end can end the relay.
        // (Made only when there are some: an idle connection between sockets keeps no empty lists.)
        List<(IChannel Channel, Task Completion)>? processes = null;
        if (_left.Channel.Completion is { } leftEnd) (processes ??= new(2)).Add((_left.Channel, leftEnd));
        if (_right.Channel.Completion is { } rightEnd && _right.Channel != _left.Channel) (processes ??= new(2)).Add((_right.Channel, rightEnd));
        List<Task>? waitFor = null;
        try
        {
            while (running.Count > 0)
            {
                // Until the first EOF only cancellation (signal, -T) stops the relay, and the pumps
                // see that themselves: no timer runs while a relay idles. After it, -t does.
                Task done;
                if (running.Count == 2 && processes is null && closeTimer is null)
                    done = await Task.WhenAny(running[0].Task, running[1].Task).ConfigureAwait(false);
                else
                {
                    waitFor ??= new List<Task>(4);
                    waitFor.Clear();
                    foreach (var p in running) waitFor.Add(p.Task);
                    if (processes is not null) foreach (var p in processes) waitFor.Add(p.Completion);
                    if (closeTimer is not null) waitFor.Add(closeTimer);
                    done = await Task.WhenAny(waitFor).ConfigureAwait(false);
                }
                if (processes is not null && IndexOfProcess(processes, done) is int ended and >= 0)
                {
                    var process = processes[ended];
                    processes.RemoveAt(ended);
                    if (done.IsFaulted) await FailAfterOutputAsync(process.Channel, done, running, cts.Token).ConfigureAwait(false);
                    // As in socat, a program's end is an end of the relay: what is still moving
                    // gets the closing time (-t), as after an EOF (a program that only reads would
                    // otherwise keep the relay open for as long as the other side says nothing).
                    if (running.Count > 0) closeTimer ??= ClosingWait(cts.Token);
                    continue;
                }
                if (done == closeTimer)
                {
                    if (!cts.IsCancellationRequested && WaitingToBeRead(running) is { } ready)
                    {
                        // socat's select(2) would have returned this as readable before its
                        // timeout: here the direction has simply not run yet (a busy machine).
                        // (At least a moment, so that -t 0 waits for that pump instead of spinning.)
                        Log.Debug($"-t: {ready.Name} has data waiting: the closing wait starts again");
                        _clock.Touch();
                        closeTimer = _clock.WaitQuietAsync(TimeSpan.FromTicks(Math.Max(_options.CloseTimeout.Ticks, MinimumRewait.Ticks)), cts.Token);
                        continue;
                    }
                    if (!cts.IsCancellationRequested)
                        foreach (var p in running)
                        {
                            p.Tally.End = DirectionEnd.ClosingTimeout;
                            Log.Warn($"-t {_options.CloseTimeout.TotalSeconds:0.######}: closing {p.Source.Name} -> {p.Sink.Name} while it may still carry data (a larger -t waits longer)");
                        }
                    break;
                }
                int i = 0;
                while (running[i].Task != done) i++;
                var finished = running[i];
                running.RemoveAt(i);
                if (done.IsCanceled || (done.IsFaulted && cts.IsCancellationRequested && done.Exception!.InnerException is OperationCanceledException))
                {
                    if (_inactive) finished.Tally.End = DirectionEnd.InactivityTimeout;
                    break;
                }
                if (done.IsFaulted)
                {
                    var error = done.Exception!.InnerException!;
                    finished.Tally.Failed(error);
                    throw error is SharpCatException ? error : new SharpCatException(error.Message, error);
                }
                finished.Tally.End = finished.Source.Channel.WasReset ? DirectionEnd.Reset : DirectionEnd.EndOfFile;
                _capture?.End(finished.Tally.Source, finished.Source.Channel.WasReset);
                if (finished.Source.Channel.WasReset && _options.PropagateReset)
                {
                    // The cut is passed on as a cut: the other peer gets a reset, not an end of file
                    // that would make a truncated stream look complete.
                    Log.Warn($"{finished.Source.Name} was reset by its peer: resetting {finished.Sink.Name} (--propagate-reset)");
                    finished.Sink.Channel.AbortOnClose();
                    break;
                }
                Log.Notice($"{finished.Source.Name} (fd {finished.Source.Channel.ReadFd}) is at EOF");
                await finished.Sink.Channel.ShutdownWriteAsync().ConfigureAwait(false);
                // Only while something still moves: a timer's first use starts the runtime's
                // timer thread, which a two-file relay (-u) would start just to exit.
                if (running.Count > 0) closeTimer ??= ClosingWait(cts.Token);
            }
            // The transfer is over: a process that has not ended yet gets the closing time to say
            // how it ended, so that its status is reported whatever the order of EOF and exit. One
            // the relay only wrote to (-u into a program) gets the second socat gives such a child
            // to finish its work after its input ended, before it is terminated.
            if (processes is not null) await AwaitProcessesAsync(processes, leftToRight, rightToLeft, cts.Token).ConfigureAwait(false);
        }
        finally
        {
            cts.Cancel();
            // (Awaited in a method of its own, as are the processes above: an idle connection's
            // state then holds none of their loops' enumerators.)
            await EndAsync(running, inactivity).ConfigureAwait(false);
            _capture?.Close();
            // (Here rather than in a wrapping method: one state machine less per idle connection.)
            ReportClosed(started);
        }
    }

    private async Task AwaitProcessesAsync(List<(IChannel Channel, Task Completion)> processes, bool leftToRight, bool rightToLeft, CancellationToken ct)
    {
        foreach (var (channel, completion) in processes)
        {
            if (ct.IsCancellationRequested) break;
            bool readFrom = channel == _left.Channel ? leftToRight : rightToLeft;
            await Task.WhenAny(completion, Task.Delay(readFrom ? _options.CloseTimeout : WriteOnlyChildGrace, ct)).ConfigureAwait(false);
            if (completion.IsFaulted) throw completion.Exception!.InnerException!;
        }
    }

    /// <summary>The relay is cancelled: what still runs is waited for, however it ends.</summary>
    private async Task EndAsync(List<RunningDirection> running, Task? inactivity)
    {
        foreach (var p in running)
        {
            if (_inactive && p.Tally.End == DirectionEnd.Stopped) p.Tally.End = DirectionEnd.InactivityTimeout;
            // A direction cut by -t, -T or a signal may fail any way while its channel closes.
            try { await p.Task.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (Exception e) { Log.Debug($"after close: {e.Message}"); }
        }
        if (inactivity is not null)
        {
            try { await inactivity.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private void ReportClosed(long started) =>
        _context.ConnectionClosed(_record is null ? null : new RelayConnectionClosed(_record,
            System.Diagnostics.Stopwatch.GetElapsedTime(started), _leftToRight.Summary(), _rightToLeft.Summary()));

    // Something looks at a direction's bytes (-v, -x, its -r/-R file, --pcap): it is not zero-copy then.
    private bool Taps(Stream? raw) => _options.VerboseText || _options.VerboseHex || raw is not null || _capture is not null;

    /// <summary>One direction's pump off the event loop: zero-copy where a pipe or a file allows it, else the copying one with its taps.</summary>
    private Task Start(OpenedEndpoint from, OpenedEndpoint to, RelaySide side, Stream? raw, DirectionTally tally, bool alone, CancellationToken ct)
    {
        if (!_options.NoSplice && DirectSplicePump.Applies(from, to, Taps(raw)))
            return DirectSplicePump.RunAsync(from, to, _clock, tally, ct, alone);
        return NewPump(from, to, side, raw, tally).RunAsync(ct, alone);
    }

    private Pump NewPump(OpenedEndpoint from, OpenedEndpoint to, RelaySide side, Stream? raw, DirectionTally tally) =>
        new(from, to, side, _options, new TrafficDump(_options.VerboseText, _options.VerboseHex, _options.DumpFd), raw, _clock, tally, _capture);

    private static int IndexOfProcess(List<(IChannel Channel, Task Completion)> processes, Task done)
    {
        for (int i = 0; i < processes.Count; i++)
            if (processes[i].Completion == done) return i;
        return -1;
    }

    /// <summary>
    /// A process address ended unsuccessfully: what it wrote before it ended is relayed first (its
    /// direction reaches EOF, within the closing time), then its error ends the relay.
    /// </summary>
    private async Task FailAfterOutputAsync(IChannel process, Task failure,
        List<RunningDirection> running, CancellationToken ct)
    {
        foreach (var p in running)
        {
            if (p.Source.Channel != process) continue;
            await Task.WhenAny(p.Task, ClosingWait(ct)).ConfigureAwait(false);
            break;
        }
        throw failure.Exception!.InnerException!;
    }

    /// <summary>
    /// socat's <c>-t</c>: from an EOF (or a program's end) on, the relay closes once what is still
    /// open has moved nothing for that long; every transfer starts the wait again, so a peer that
    /// answers slowly after the EOF is heard to the end.
    /// </summary>
    /// <summary>
    /// A direction whose source has data (or its EOF) ready to read now, so that a quiet clock means
    /// only that its pump was not scheduled. A source read past its EOF (<c>ignoreeof</c>) is
    /// always readable and is left out.
    /// </summary>
    private static OpenedEndpoint? WaitingToBeRead(List<RunningDirection> running)
    {
        const short POLLIN = 1, POLLHUP = 0x10;
        foreach (var (source, _, _, _) in running)
            if (source.Channel.ReadFd >= 0 && !source.ReadBehaviour.IgnoreEof
                && (Native.Posix.PollEvents(source.Channel.ReadFd, POLLIN) & (POLLIN | POLLHUP)) != 0)
                return source;
        return null;
    }

    private Task ClosingWait(CancellationToken ct)
    {
        _clock.Touch();
        return _clock.WaitQuietAsync(_options.CloseTimeout, ct);
    }

    private async Task WatchInactivityAsync(TimeSpan idle, CancellationTokenSource cts)
    {
        if (!await _clock.WaitQuietAsync(idle, cts.Token).ConfigureAwait(false)) return;
        Log.Notice("inactivity timeout triggered");
        _inactive = true;
        cts.Cancel();
    }
}

/// <summary>
/// The <c>-r</c>/<c>-R</c> files and the <c>--pcap</c> capture; with fork, several relays write to
/// them, one chunk at a time.
/// </summary>
internal sealed record RawDumps(Stream? LeftToRight, Stream? RightToLeft, PcapNgWriter? Capture);
