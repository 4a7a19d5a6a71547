using System.Net;
using Microsoft.Extensions.Logging;

namespace SharpCat.Relay;

/// <summary>
/// What belongs to one relay and nothing else in the process: its logger, its settings, its
/// running totals, and where it reports listening sockets and connections (its <see cref="RelayHost"/>).
/// It flows with the relay's own asynchronous calls, as a logging scope does, so that code deep in
/// an address family logs to its relay's logger without a parameter on every call; work started
/// outside a relay sees none. A process that runs one relay only (the sharpcat program) makes it
/// the process's relay instead (<see cref="OwnProcess"/>): an async-local value makes every await
/// and socket completion carry and restore it, which cost about a tenth of the CPU of a short
/// forked connection.
/// </summary>
internal sealed class RelayContext(ILogger logger, RelayOptions options, RelayHost? host)
{
    private static readonly AsyncLocal<RelayContext?> Slot = new();
    private static RelayContext? s_process;
    private long _connections, _started, _open, _leftToRight, _rightToLeft, _writesLeftToRight, _writesRightToLeft;

    /// <summary>The relay whose work is running, or null.</summary>
    public static RelayContext? Current => s_process ?? Slot.Value;

    /// <summary>Makes this the relay of the whole process (one relay per process: the program).</summary>
    public void OwnProcess() => s_process = this;

    /// <summary>
    /// Makes this the current relay for the calling asynchronous method and what it starts (a
    /// value set inside an async method does not leak back to its caller).
    /// </summary>
    public void Enter() => Slot.Value = this;

    /// <summary>Puts back the relay that was current before a synchronous <see cref="Enter"/>.</summary>
    public static void Restore(RelayContext? previous) => Slot.Value = previous;

    public ILogger Logger => logger;

    /// <summary>The relay's instruments when its host was given a meter factory; null costs the callers one test.</summary>
    public Metrics.RelayMetrics? Metrics { get; set; }

    public RelayOptions Options => options;

    /// <summary>True when someone listens for connection events: only then are their facts gathered.</summary>
    public bool RecordsConnections => host?.HasConnectionListeners == true;

    /// <summary>A listening or receiving socket is bound (the port a <c>:0</c> chose is known now).</summary>
    public void Listening(EndPoint? endPoint)
    {
        if (endPoint is not null) host?.OnListening(endPoint);
    }

    /// <summary>The next connection's number (an accepted one that never transfers has one too, as in the log).</summary>
    public long NextConnectionId() => Interlocked.Increment(ref _connections);

    public void ConnectionOpened(RelayConnection? connection)
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _started);
        // The host's StartAsync returns now, whether or not anyone asked for the connection's facts.
        host?.OnConnectionOpened(connection);
    }

    public void ConnectionClosed(RelayConnectionClosed? record)
    {
        Interlocked.Decrement(ref _open);
        if (record is not null) host?.OnConnectionClosed(record);
    }

    /// <summary>Bytes written by one direction of one of this relay's connections.</summary>
    public void Moved(RelaySide from, long bytes)
    {
        if (from == RelaySide.Left)
        {
            Interlocked.Add(ref _leftToRight, bytes);
            Interlocked.Increment(ref _writesLeftToRight);
        }
        else
        {
            Interlocked.Add(ref _rightToLeft, bytes);
            Interlocked.Increment(ref _writesRightToLeft);
        }
    }

    public RelayStatistics Statistics => new(
        Volatile.Read(ref _open), Volatile.Read(ref _started),
        Volatile.Read(ref _leftToRight), Volatile.Read(ref _rightToLeft),
        Volatile.Read(ref _writesLeftToRight), Volatile.Read(ref _writesRightToLeft));
}
