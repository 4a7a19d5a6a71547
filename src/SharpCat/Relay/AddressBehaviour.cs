using SharpCat.Catalog;

namespace SharpCat.Relay;

/// <summary>
/// What the APPL options of one address ask of the relay: line endings, an EOF that is polled
/// past (<c>ignoreeof</c>), a byte limit (<c>readbytes</c>), an escape byte that acts as EOF, and
/// a reader that went away ending the direction quietly (<c>cool-write</c>, an FD option that
/// acts on the relay), and the faults to inject into what is written to it (<c>fault-…</c>).
/// </summary>
internal sealed record AddressBehaviour(LineTerminator LineTerminator, bool IgnoreEof, long? ReadBytes, byte? Escape, bool CoolWrite,
    SharpCat.Faults.FaultPlan? Faults = null)
{
    public static AddressBehaviour From(OptionSet options)
    {
        var term = LineTerminator.Raw;
        foreach (var o in options.Items)
        {
            if (o.Def.Name == "cr") term = LineTerminator.Cr;
            else if (o.Def.Name == "crnl") term = LineTerminator.CrNl;
        }
        // readbytes=0 means no limit, as in socat.
        long? limit = options.Number("readbytes") is long n and > 0 ? n : null;
        var behaviour = new AddressBehaviour(term, options.Flag("ignoreeof"), limit,
            options.Number("escape") is long e ? (byte)e : null, options.Flag("cool-write"), SharpCat.Faults.FaultPlan.From(options));
        // With fork each connection opens its address again: the usual behaviour is one shared
        // object rather than one kept per idle connection.
        return behaviour == Plain ? Plain : behaviour;
    }

    /// <summary>An address that asks nothing of the relay.</summary>
    private static readonly AddressBehaviour Plain = new(LineTerminator.Raw, false, null, null, false);
}

/// <summary>An opened address: its channel, what its options ask of the relay, its log name and its text.</summary>
internal sealed record OpenedEndpoint(IChannel Channel, AddressBehaviour ReadBehaviour, AddressBehaviour WriteBehaviour, string Name, string Address)
{
    /// <summary>This end as a connection's record names it.</summary>
    public RelayEnd Describe() => new(Address, Channel.Describe(), Channel.LocalEndPoint, Channel.RemoteEndPoint);
}
