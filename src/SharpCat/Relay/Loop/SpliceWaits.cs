using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// Where one splicing direction waits when splice(2) says EAGAIN: for its source to have data or
/// its sink to have room, whichever held it back, on a splice loop (<see cref="ReadinessWait"/>).
/// </summary>
internal sealed class SpliceWaits(int sourceFd, int sinkFd) : IDisposable
{
    private const short POLLOUT = 4;
    private ReadinessWait? _source, _sink;

    /// <summary>
    /// Completes when the side that held the splice back is ready; null when it cannot be waited
    /// for here (the caller then waits through its channels). <paramref name="sinkCanBeFull"/> is
    /// false where only the source can say EAGAIN (the sink is the relay's own pipe).
    /// </summary>
    public Task? WaitAsync(bool sinkCanBeFull, CancellationToken ct)
    {
        if (!Epoll.Supported) return null;
        bool sinkFull = sinkCanBeFull && (Posix.PollEvents(sinkFd, POLLOUT) & POLLOUT) == 0;
        var wait = sinkFull ? (_sink ??= new ReadinessWait(sinkFd)) : (_source ??= new ReadinessWait(sourceFd));
        return wait.WaitAsync(sinkFull ? Epoll.Out : Epoll.In, ct);
    }

    /// <summary>Unregisters, before the descriptors are closed.</summary>
    public void Dispose()
    {
        _source?.Dispose();
        _sink?.Dispose();
    }
}
