namespace SharpCat.Relay;

/// <summary>
/// What one direction of one connection has moved, and how it ended: for the connection's record
/// and its relay's totals. Only its pump writes the counts.
/// </summary>
internal sealed class DirectionTally(RelayContext context, RelaySide from)
{
    private long _bytes, _writes;
    private string? _error;

    /// <summary>The address this direction reads from.</summary>
    public RelaySide Source => from;

    /// <summary>How the direction ended; <see cref="DirectionEnd.Stopped"/> while it runs, as nothing else has ended it yet.</summary>
    public DirectionEnd End { get; set; } = DirectionEnd.NotRelayed;

    /// <summary>The direction is relayed: until something else ends it, its end is the relay's stop.</summary>
    public DirectionTally Started()
    {
        End = DirectionEnd.Stopped;
        return this;
    }

    /// <summary>A write of <paramref name="bytes"/> to the sink has completed.</summary>
    public void Wrote(long bytes)
    {
        Volatile.Write(ref _bytes, _bytes + bytes);
        _writes++;
        context.Moved(from, bytes);
    }

    public void Failed(Exception error)
    {
        End = DirectionEnd.Error;
        _error = error.Message;
    }

    public DirectionSummary Summary() => new(Volatile.Read(ref _bytes), _writes, End, _error);
}
