using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;

namespace SharpCat.Endpoints;

/// <summary>
/// The checks socat makes of a peer that an address accepts or receives from (xiocheckpeer), in
/// its order: <c>range</c> (its address), <c>sourceport</c> (the port it sends from), <c>lowport</c>
/// (a privileged port, below 1024), then the TCP wrappers rules (<see cref="TcpWrappers"/>). A
/// refused peer is logged in socat's words and dropped; the address goes on listening or
/// receiving. On these addresses the two port options are checks, not the local port they choose
/// on a connecting address.
/// </summary>
internal sealed class PeerCheck
{
    private const int ReservedPorts = 1024; // IPPORT_RESERVED

    private readonly (IPAddress Network, int Bits)? _range;
    private readonly int? _sourcePort;
    private readonly bool _lowPort;
    private readonly TcpWrappers? _wrappers;

    private PeerCheck((IPAddress Network, int Bits)? range, int? sourcePort, bool lowPort, TcpWrappers? wrappers)
    {
        _range = range;
        _sourcePort = sourcePort;
        _lowPort = lowPort;
        _wrappers = wrappers;
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
        var wrappers = TcpWrappers.For(options);
        return range is null && sourcePort is null && !lowPort && wrappers is null ? null : new PeerCheck(range, sourcePort, lowPort, wrappers);
    }

    /// <summary>
    /// Whether <paramref name="peer"/>, which reached <paramref name="socket"/>, may be served. A
    /// refusal is a warning, as socat's; a peer whose address is unknown (no IP address) is refused,
    /// as socat refuses a missing one. <paramref name="listening"/>: a stream address's listening
    /// socket, which socat hands libwrap as the request's file (a datagram address hands its own).
    /// libwrap reads files and may look names up: a thread of the pool waits for it, not the
    /// caller's, which may be the one that runs every socket's completions.
    /// </summary>
    public ValueTask<bool> PermitsAsync(EndPoint? peer, Socket socket, Socket? listening = null)
    {
        if (!PermitsByAddress(peer)) return new(false);
        if (_wrappers is null) return new(true);
        var ip = (IPEndPoint)peer!;
        return new(Task.Run(() => WrappersPermit(ip, socket, listening ?? socket)));
    }

    private bool WrappersPermit(IPEndPoint peer, Socket socket, Socket requestSocket)
    {
        if (!_wrappers!.Permits(peer, socket, requestSocket)) return Refuse(peer, "due to tcpwrapper option", "tcpwrap");
        Log.Info($"permitting connection from {SocketAddressing.Format(peer)} due to tcpwrapper option");
        return true;
    }

    private bool PermitsByAddress(EndPoint? peer)
    {
        if (peer is not IPEndPoint ip)
        {
            Log.Warn($"refusing connection from {SocketAddressing.Format(peer)}: no IP address to check");
            Relay.RelayContext.Current?.Metrics?.Refused("no_ip_address");
            return false;
        }
        if (_range is { } range)
        {
            if (!SocketAddressing.InRange(ip.Address, range)) return Refuse(ip, "due to range option", "range");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to range option");
        }
        // socat checks sourceport, or else lowport, never both.
        if (_sourcePort is int wanted)
        {
            if (ip.Port != wanted) return Refuse(ip, "due to wrong sourceport", "sourceport");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to sourceport option");
        }
        else if (_lowPort)
        {
            if (ip.Port >= ReservedPorts) return Refuse(ip, "due to lowport option", "lowport");
            Log.Info($"permitting connection from {SocketAddressing.Format(ip)} due to lowport option");
        }
        return true;
    }

    private static bool Refuse(IPEndPoint peer, string reason, string check)
    {
        Log.Warn($"refusing connection from {SocketAddressing.Format(peer)} {reason}");
        Relay.RelayContext.Current?.Metrics?.Refused(check);
        return false;
    }
}
