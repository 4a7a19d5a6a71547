using System.Net;
using SharpCat.Catalog;
using SharpCat.Diagnostics;

namespace SharpCat.Endpoints;

/// <summary>
/// The checks socat makes of a peer that an address accepts or receives from (xiocheckpeer):
/// <c>range</c> (its address), <c>sourceport</c> (the port it sends from), <c>lowport</c> (a
/// privileged port, below 1024). A refused peer is logged in socat's words and dropped; the
/// address goes on listening or receiving. On these addresses the two port options are checks,
/// not the local port they choose on a connecting address.
/// </summary>
internal sealed class PeerCheck
{
    private const int ReservedPorts = 1024; // IPPORT_RESERVED

    private readonly (IPAddress Network, int Bits)? _range;
    private readonly int? _sourcePort;
    private readonly bool _lowPort;

    private PeerCheck((IPAddress Network, int Bits)? range, int? sourcePort, bool lowPort)
    {
        _range = range;
        _sourcePort = sourcePort;
        _lowPort = lowPort;
    }

    /// <summary>
    /// The address's checks; null when it has none (a peer is then never looked at).
    /// <paramref name="ports"/>: sourceport and lowport are checks here (an address that accepts or
    /// only receives), not the local port of one that sends (UDP-SENDTO, UDP-DATAGRAM bind to it).
    /// </summary>
    public static PeerCheck? For(OptionSet options, bool ports)
    {
        var range = options.Text("range") is { } text ? SocketAddressing.ParseRange(text) : ((IPAddress, int)?)null;
        int? sourcePort = ports && options.Number("sourceport") is long port ? (int)port : null;
        bool lowPort = ports && options.Flag("lowport");
        return range is null && sourcePort is null && !lowPort ? null : new PeerCheck(range, sourcePort, lowPort);
    }

    /// <summary>
    /// Whether <paramref name="peer"/> may be served. A refusal is a warning, as socat's; a peer
    /// whose address is unknown (no IP address) is refused, as socat refuses a missing one.
    /// </summary>
    public bool Permits(EndPoint? peer)
    {
        if (peer is not IPEndPoint ip)
        {
            Log.Warn($"refusing connection from {SocketAddressing.Format(peer)}: no IP address to check");
            return false;
        }
        if (_range is { } range)
        {
            if (!SocketAddressing.InRange(ip.Address, range)) return Refuse(ip, "due to range option");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to range option");
        }
        // socat checks sourceport, or else lowport, never both.
        if (_sourcePort is int wanted)
        {
            if (ip.Port != wanted) return Refuse(ip, "due to wrong sourceport");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to sourceport option");
        }
        else if (_lowPort)
        {
            if (ip.Port >= ReservedPorts) return Refuse(ip, "due to lowport option");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to lowport option");
        }
        return true;
    }

    private static bool Refuse(IPEndPoint peer, string reason)
    {
        Log.Warn($"refusing connection from {SocketAddressing.Format(peer)} {reason}");
        return false;
    }
}
