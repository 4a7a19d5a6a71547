using System.Diagnostics;

namespace SharpCat.Relay;

/// <summary>
/// When a relay last moved data, for the two waits that end a quiet relay: <c>-t</c> after the
/// first EOF and <c>-T</c> at any time. A write that has not finished counts as activity: a
/// slow reader is a direction that still moves, as socat's blocking write is (socat does not
/// run its clock while it waits in write(2)).
/// </summary>
internal sealed class ActivityClock
{
    private long _last = Stopwatch.GetTimestamp();
    private int _writing;
    private TaskCompletionSource? _next; // made only while an ignoreeof source waits

    /// <summary>Data was read (or written): the quiet time starts again.</summary>
    public void Touch()
    {
        Volatile.Write(ref _last, Stopwatch.GetTimestamp());
        if (Volatile.Read(ref _next) is { } next && Interlocked.CompareExchange(ref _next, null, next) == next) next.TrySetResult();
    }

    /// <summary>
    /// Completes at the next transfer: a source read past its EOF (<c>ignoreeof</c>) reads again
    /// then, as socat's loop reads it again after any action (a file the other direction writes).
    /// </summary>
    public Task NextTransfer()
    {
        var next = Volatile.Read(ref _next);
        if (next is not null) return next.Task;
        var made = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _next, made, null) ?? made).Task;
    }

    /// <summary>A write starts: until <see cref="EndWrite"/> the relay is not quiet.</summary>
    public void BeginWrite() => Interlocked.Increment(ref _writing);

    /// <summary>A write is done (or failed): the quiet time starts from now.</summary>
    public void EndWrite()
    {
        Touch();
        Interlocked.Decrement(ref _writing);
    }

    /// <summary>How long nothing has moved; zero while a write is in progress.</summary>
    public TimeSpan Quiet => Volatile.Read(ref _writing) > 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Volatile.Read(ref _last));

    /// <summary>
    /// Completes once nothing has moved for <paramref name="span"/> (true), or when cancelled
    /// (false): socat's inactivity wait, which restarts with every transfer. One timer at a time, so
    /// a quiet relay costs one wake-up per span. Cancelling is how every relay with a timer ends,
    /// so it throws nothing: an exception costs tens of microseconds per forked connection.
    /// </summary>
    public async Task<bool> WaitQuietAsync(TimeSpan span, CancellationToken ct)
    {
        while (true)
        {
            var quiet = Quiet;
            if (quiet >= span) return true;
            await Task.Delay(span - quiet, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (ct.IsCancellationRequested) return false;
        }
    }
}
