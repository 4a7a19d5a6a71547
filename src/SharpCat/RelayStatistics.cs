namespace SharpCat;

/// <summary>A relay's figures at one moment (<see cref="RelayHost.Statistics"/>).</summary>
/// <param name="ConnectionsOpen">Connections transferring data now.</param>
/// <param name="ConnectionsTotal">Connections whose transfer has started since the relay started.</param>
/// <param name="BytesLeftToRight">Bytes written to the second address, over every connection.</param>
/// <param name="BytesRightToLeft">Bytes written to the first address, over every connection.</param>
/// <param name="WritesLeftToRight">Writes to the second address (socat's "packets"), over every connection.</param>
/// <param name="WritesRightToLeft">Writes to the first address, over every connection.</param>
public readonly record struct RelayStatistics(long ConnectionsOpen, long ConnectionsTotal, long BytesLeftToRight, long BytesRightToLeft,
    long WritesLeftToRight, long WritesRightToLeft);
