using System.Diagnostics;
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
    private readonly RawDumps _dumps;
    private long _lastActivity = Stopwatch.GetTimestamp();

    public RelaySession(OpenedEndpoint left, OpenedEndpoint right, RelayOptions options, RawDumps dumps)
    {
        _left = left;
        _right = right;
        _options = options;
        _dumps = dumps;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var dump = new TrafficDump(_options.VerboseText, _options.VerboseHex, _options.DumpFd);
        var running = new List<(OpenedEndpoint Source, OpenedEndpoint Sink, Task Task)>(2);
        Action touch = Touch;
        void Start(OpenedEndpoint from, OpenedEndpoint to, char arrow, Stream? raw)
        {
            if (!from.Channel.CanRead || !to.Channel.CanWrite) return;
            bool taps = dump.Enabled || raw is not null;
            if (!_options.NoSplice && SplicePump.Applies(from, to, taps))
            {
                var splice = new SplicePump(from, to, touch);
                running.Add((from, to, splice.RunAsync(cts.Token)));
            }
            else
            {
                var pump = new Pump(from, to, arrow, _options, dump, raw, touch);
                running.Add((from, to, pump.RunAsync(cts.Token)));
            }
        }
        if (_options.Direction != RelayDirection.RightToLeft) Start(_left, _right, '>', _dumps.LeftToRight);
        if (_options.Direction != RelayDirection.LeftToRight) Start(_right, _left, '<', _dumps.RightToLeft);
        if (running.Count == 0) throw new SharpCatException("no direction to transfer: neither address can be read into the other");

        Task? inactivity = _options.InactivityTimeout is { } idle ? WatchInactivityAsync(idle, cts) : null;
        Task? closeTimer = null;
        // Addresses that are processes of their own: their end can end the relay.
        var processes = new List<(IChannel Channel, Task Completion)>(2);
        foreach (var ep in new[] { _left, _right })
            if (ep.Channel.Completion is { } c && processes.TrueForAll(p => p.Channel != ep.Channel)) processes.Add((ep.Channel, c));
        try
        {
            while (running.Count > 0)
            {
                // Until the first EOF only cancellation (signal, -T) stops the relay, and the pumps
                // see that themselves: no timer runs while a relay idles. After it, -t does.
                var waitFor = new List<Task>(running.Count + processes.Count + 1);
                foreach (var p in running) waitFor.Add(p.Task);
                foreach (var p in processes) waitFor.Add(p.Completion);
                if (closeTimer is not null) waitFor.Add(closeTimer);
                var done = await Task.WhenAny(waitFor).ConfigureAwait(false);
                if (processes.FindIndex(p => p.Completion == done) is int ended and >= 0)
                {
                    var process = processes[ended];
                    processes.RemoveAt(ended);
                    if (done.IsFaulted) await FailAfterOutputAsync(process.Channel, done, running).ConfigureAwait(false);
                    // As in socat, a program's end is an end of the relay: what is still moving
                    // gets the closing time (-t), as after an EOF (a program that only reads would
                    // otherwise keep the relay open for as long as the other side says nothing).
                    closeTimer ??= Task.Delay(_options.CloseTimeout, cts.Token);
                    continue;
                }
                if (done == closeTimer)
                {
                    if (!cts.IsCancellationRequested)
                        foreach (var p in running)
                            Log.Warn($"-t {_options.CloseTimeout.TotalSeconds:0.######}: closing {p.Source.Name} -> {p.Sink.Name} while it may still carry data (a larger -t waits longer)");
                    break;
                }
                int i = running.FindIndex(p => p.Task == done);
                var finished = running[i];
                running.RemoveAt(i);
                if (done.IsCanceled || (done.IsFaulted && cts.IsCancellationRequested && done.Exception!.InnerException is OperationCanceledException))
                    break;
                if (done.IsFaulted)
                {
                    var error = done.Exception!.InnerException!;
                    throw error is SharpCatException ? error : new SharpCatException(error.Message, error);
                }
                Log.Notice($"{finished.Source.Name} (fd {finished.Source.Channel.ReadFd}) is at EOF");
                await finished.Sink.Channel.ShutdownWriteAsync().ConfigureAwait(false);
                closeTimer ??= Task.Delay(_options.CloseTimeout, cts.Token);
            }
            // The transfer is over: a process that has not ended yet gets the closing time to say
            // how it ended, so that its status is reported whatever the order of EOF and exit.
            foreach (var (_, completion) in processes)
            {
                if (cts.IsCancellationRequested) break;
                await Task.WhenAny(completion, Task.Delay(_options.CloseTimeout, cts.Token)).ConfigureAwait(false);
                if (completion.IsFaulted) throw completion.Exception!.InnerException!;
            }
        }
        finally
        {
            cts.Cancel();
            foreach (var p in running)
            {
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
    }

    /// <summary>
    /// A process address ended unsuccessfully: what it wrote before it ended is relayed first (its
    /// direction reaches EOF, within the closing time), then its error ends the relay.
    /// </summary>
    private async Task FailAfterOutputAsync(IChannel process, Task failure, List<(OpenedEndpoint Source, OpenedEndpoint Sink, Task Task)> running)
    {
        int i = running.FindIndex(p => p.Source.Channel == process);
        if (i >= 0) await Task.WhenAny(running[i].Task, Task.Delay(_options.CloseTimeout)).ConfigureAwait(false);
        throw failure.Exception!.InnerException!;
    }

    private void Touch() => Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());

    private async Task WatchInactivityAsync(TimeSpan idle, CancellationTokenSource cts)
    {
        while (!cts.IsCancellationRequested)
        {
            var since = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));
            if (since >= idle)
            {
                Log.Notice("inactivity timeout triggered");
                cts.Cancel();
                return;
            }
            await Task.Delay(idle - since, cts.Token).ConfigureAwait(false);
        }
    }
}

/// <summary>The <c>-r</c>/<c>-R</c> files; with fork, several relays write to them, one chunk at a time.</summary>
internal sealed record RawDumps(Stream? LeftToRight, Stream? RightToLeft);
