using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// Waits on a <see cref="SpliceLoop"/> for one descriptor to become readable or writable, for a
/// pump that moves bytes with splice(2) and only needs to know when to try again. The
/// registration is one-shot and re-armed per wait, so a descriptor that moves data while nobody
/// waits wakes no thread (once .NET's socket engine has seen a descriptor, every write of the
/// process at the other end of a pipe wakes its epoll thread).
/// </summary>
internal sealed class ReadinessWait : ILoopClient, IDisposable
{
    private readonly SpliceLoop _loop = SpliceLoop.Next();
    private readonly int _fd, _slot;
    private bool _added, _disposed;
    private TaskCompletionSource? _waiter;

    public ReadinessWait(int fd)
    {
        _fd = fd;
        (_slot, Generation) = _loop.Add(this);
    }

    public uint Generation { get; }

    /// <summary>
    /// Completes when the descriptor reports <paramref name="events"/> (or an error or hang-up);
    /// null when it cannot be waited for here (epoll refused it), and the caller waits its own way.
    /// </summary>
    public Task? WaitAsync(uint events, CancellationToken ct)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _waiter, waiter);
        if (Epoll.TryArm(_loop.EpollFd, _fd, _added, events, SpliceLoop.Token(_slot, Generation, 0)) != 0)
        {
            _waiter = null;
            return null;
        }
        _added = true;
        return ct.CanBeCanceled ? WithCancellationAsync(waiter, ct) : waiter.Task;
    }

    private static async Task WithCancellationAsync(TaskCompletionSource waiter, CancellationToken ct)
    {
        using (ct.UnsafeRegister(static w => ((TaskCompletionSource)w!).TrySetCanceled(), waiter))
            await waiter.Task.ConfigureAwait(false);
    }

    public void OnEvents(int side, uint events) => Interlocked.Exchange(ref _waiter, null)?.TrySetResult();

    /// <summary>Unregisters, before the descriptor is closed.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_added) Epoll.Remove(_loop.EpollFd, _fd);
        _loop.Remove(_slot);
    }
}
