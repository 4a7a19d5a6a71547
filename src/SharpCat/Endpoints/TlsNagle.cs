using System.Net.Sockets;
using SharpCat.Diagnostics;

namespace SharpCat.Endpoints;

/// <summary>
/// Nagle held off over a TLS connection's handshake and its first application write, so the
/// first request or reply does not wait ~40 ms for the peer's delayed ACK. The handshake ends in
/// a small record still unacknowledged when the first data follows (a TLS 1.3 server's session
/// tickets, a client's Finished), and Linux's Nagle holds a small write while the last small
/// segment sent is unacknowledged: the first application write has to leave with TCP_NODELAY
/// too. After it the socket is as the address set it. A client also asks for a quick ACK then,
/// so a server's reply queued behind its own tickets is not held by our delayed ACK either.
/// An address that sets <c>nodelay</c> (either way) or <c>quickack</c> keeps it as given.
/// </summary>
internal sealed class TlsNagle
{
    private const int IPPROTO_TCP = 6, TCP_QUICKACK = 12;
    private readonly Socket _socket;
    private readonly bool _quickAck;

    private TlsNagle(Socket socket, bool quickAck)
    {
        _socket = socket;
        _quickAck = quickAck;
    }

    /// <summary>
    /// Sets TCP_NODELAY on an IP stream socket for the handshake, unless the address sets it or
    /// it is on already; null when nothing was changed.
    /// </summary>
    public static TlsNagle? Hold(Socket socket, Catalog.OptionSet options, bool client)
    {
        // A socket made from a descriptor does not know its protocol: an IP stream is TCP here.
        if (options.Has("tcp-nodelay") || socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            return null;
        try
        {
            if (socket.NoDelay) return null;
            socket.NoDelay = true;
            return new TlsNagle(socket, client && !options.Has("tcp-quickack"));
        }
        catch (SocketException e)
        {
            Log.Debug($"setsockopt(TCP_NODELAY) for the handshake: {e.Message}");
            return null;
        }
    }

    /// <summary>After the first application write has gone out: Nagle back on (and a client's quick ACK). Called once.</summary>
    public void Release()
    {
        try
        {
            _socket.NoDelay = false;
            if (_quickAck) _socket.SetRawSocketOption(IPPROTO_TCP, TCP_QUICKACK, [1, 0, 0, 0]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Log.Debug($"setsockopt(TCP_NODELAY, 0) after the first write: {e.Message}");
        }
    }
}
