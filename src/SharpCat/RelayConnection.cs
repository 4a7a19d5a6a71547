using System.Net;

namespace SharpCat;

/// <summary>One relayed connection: the pair of opened addresses whose data a relay moves.</summary>
/// <param name="Id">The connection's number within its relay, from 1 (the <c>relay N</c> of the log lines).</param>
/// <param name="StartTime">When the transfer started.</param>
/// <param name="Left">The first address's end.</param>
/// <param name="Right">The second address's end.</param>
public sealed record RelayConnection(long Id, DateTimeOffset StartTime, RelayEnd Left, RelayEnd Right);

/// <summary>One opened address of a connection.</summary>
/// <param name="Address">The address as written (<c>TCP-LISTEN:8080,fork</c>).</param>
/// <param name="Description">What was opened, as the log lines name it (a socket's fd and family, a file's path, …).</param>
/// <param name="LocalEndPoint">A socket's own address, or null.</param>
/// <param name="RemoteEndPoint">A socket's peer, or null.</param>
public sealed record RelayEnd(string Address, string Description, EndPoint? LocalEndPoint, EndPoint? RemoteEndPoint);

/// <summary>How one direction of a connection ended.</summary>
public enum DirectionEnd
{
    /// <summary>The direction was not relayed (<c>-u</c>/<c>-U</c>, or an address that cannot be read or written).</summary>
    NotRelayed,
    /// <summary>Its source reached end of file (or <c>readbytes</c>, the escape byte, a <c>cool-write</c> reader gone).</summary>
    EndOfFile,
    /// <summary>Its source's peer reset the connection.</summary>
    Reset,
    /// <summary>Cut by the closing wait (<c>-t</c>) after the other direction or a program ended.</summary>
    ClosingTimeout,
    /// <summary>Cut by the inactivity timeout (<c>-T</c>).</summary>
    InactivityTimeout,
    /// <summary>Cut because the relay was stopped.</summary>
    Stopped,
    /// <summary>Ended by an error (<see cref="DirectionSummary.Error"/> says which).</summary>
    Error,
}

/// <summary>What one direction of a connection moved and how it ended.</summary>
/// <param name="Bytes">Bytes written to the sink.</param>
/// <param name="Writes">Writes (reads passed on) to the sink.</param>
/// <param name="End">How the direction ended.</param>
/// <param name="Error">The error's message when <paramref name="End"/> is <see cref="DirectionEnd.Error"/>; otherwise null.</param>
public sealed record DirectionSummary(long Bytes, long Writes, DirectionEnd End, string? Error);

/// <summary>A connection's record when it has ended (<see cref="RelayHost.ConnectionClosed"/>).</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Duration">From the start of its transfer to its end.</param>
/// <param name="LeftToRight">From the first address to the second.</param>
/// <param name="RightToLeft">From the second address to the first.</param>
public sealed record RelayConnectionClosed(RelayConnection Connection, TimeSpan Duration, DirectionSummary LeftToRight, DirectionSummary RightToLeft);
