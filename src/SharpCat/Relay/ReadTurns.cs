namespace SharpCat.Relay;

/// <summary>
/// Two directions that read the same descriptor (<c>- -</c>, <c>FD:0 STDIN</c>) take turns, the
/// first address first, as socat's loop reads them: each chunk then goes the same way on every
/// run instead of to whichever read wins the race, so <c>-v</c> output and <c>readbytes</c> counts
/// do not change from run to run. A direction that ends leaves the other to read alone.
/// </summary>
internal sealed class ReadTurns
{
    private readonly object _lock = new();
    private RelaySide _turn = RelaySide.Left;
    private bool _leftGone, _rightGone;
    private TaskCompletionSource? _waiter;

    /// <summary>Waits until <paramref name="side"/> may read.</summary>
    public async ValueTask WaitAsync(RelaySide side, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_turn == side || Gone(Other(side))) return;
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary><paramref name="side"/> has read and forwarded one chunk: the other side reads next.</summary>
    public void Pass(RelaySide side) => Change(() => _turn = Other(side));

    /// <summary><paramref name="side"/> reads no more (EOF, error, cancellation).</summary>
    public void Leave(RelaySide side) => Change(() =>
    {
        if (side == RelaySide.Left) _leftGone = true; else _rightGone = true;
    });

    private void Change(Action change)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            change();
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
    }

    private bool Gone(RelaySide side) => side == RelaySide.Left ? _leftGone : _rightGone;

    private static RelaySide Other(RelaySide side) => side == RelaySide.Left ? RelaySide.Right : RelaySide.Left;
}
