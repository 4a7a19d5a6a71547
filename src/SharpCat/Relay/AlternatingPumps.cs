namespace SharpCat.Relay;

/// <summary>
/// Two directions that read one descriptor (<c>- -</c>, <c>FD:0 STDIN</c>) read it in turns, the
/// first address first, as socat's loop does: each chunk goes the same way on every run instead of
/// to whichever read wins a race, so <c>-v</c> output and <c>readbytes</c> counts do not change
/// from run to run. One loop drives both, with no hand-over between threads; each direction still
/// ends on its own (its task completes at its end of file).
/// </summary>
internal sealed class AlternatingPumps(Pump left, Pump right)
{
    private readonly TaskCompletionSource _leftDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _rightDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the loop; the tasks complete when each direction ends.</summary>
    public (Task Left, Task Right) Start(CancellationToken ct)
    {
        _ = RunAsync(ct);
        return (_leftDone.Task, _rightDone.Task);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        await new ThreadPoolHop();
        bool leftOn = true, rightOn = true;
        try
        {
            while (leftOn || rightOn)
            {
                if (leftOn) leftOn = await StepAsync(left, _leftDone, ct).ConfigureAwait(false);
                if (rightOn) rightOn = await StepAsync(right, _rightDone, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            left.ReleaseWaits();
            right.ReleaseWaits();
        }
    }

    /// <summary>One chunk of one direction; false once it has ended, and its task says how.</summary>
    private static async ValueTask<bool> StepAsync(Pump pump, TaskCompletionSource done, CancellationToken ct)
    {
        try
        {
            if (await pump.StepAsync(ct).ConfigureAwait(false)) return true;
            done.TrySetResult();
        }
        catch (OperationCanceledException e)
        {
            done.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
        return false;
    }
}
