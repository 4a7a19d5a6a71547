using SharpCat.Relay;

namespace SharpCat.Capture;

/// <summary>
/// One relayed connection as the capture shows it. A stream relay is a TCP conversation from the
/// left peer to the right one: a handshake when the transfer starts; each chunk written to a sink
/// as data segments from the side it was read from, acknowledged by the other side; a FIN (or an
/// RST, for a peer's reset) when a direction ends. A relay with a datagram end is UDP, one packet
/// per datagram. The packets are synthesized: what they carry is exactly what the sinks were
/// given, their timing is the relay's, and their TCP details (windows, acknowledgements) are not
/// the sockets' own. All state is under the writer's lock, which both pumps share.
/// </summary>
internal sealed class CaptureConversation
{
    // A payload that keeps the IPv4 total length within 16 bits (and the same for IPv6, for symmetry).
    private const int MaxTcpPayload = 65535 - 20 - PacketHeaders.TcpHeader, MaxUdpPayload = 65535 - 20 - PacketHeaders.UdpHeader;

    private readonly PcapNgWriter _writer;
    private readonly CapturePeer _left, _right;
    private readonly bool _datagram;
    private readonly string _comment;
    private uint _leftSeq, _rightSeq;   // the next sequence number each side sends
    private bool _leftEnded, _rightEnded, _reset, _commented;

    private CaptureConversation(PcapNgWriter writer, CapturePeer left, CapturePeer right, bool datagram, string comment)
    {
        _writer = writer;
        _left = left;
        _right = right;
        _datagram = datagram;
        _comment = comment;
    }

    /// <summary>A connection's transfer starts: a TCP conversation's handshake is written now.</summary>
    public static CaptureConversation Start(PcapNgWriter writer, long id, OpenedEndpoint left, OpenedEndpoint right)
    {
        var (l, r, note) = CapturePeers.Choose(id, left.Channel.RemoteEndPoint, right.Channel.RemoteEndPoint);
        string comment = $"relay {id}: {left.Address} <-> {right.Address}" + (note is null ? "" : $" ({note})");
        var conversation = new CaptureConversation(writer, l, r, left.Channel.IsDatagram || right.Channel.IsDatagram, comment);
        if (!conversation._datagram) conversation.Handshake(id);
        return conversation;
    }

    private void Handshake(long id)
    {
        // Initial sequence numbers that differ per connection (Wireshark shows them relative anyway).
        uint leftIsn = unchecked((uint)id * 2654435761u), rightIsn = leftIsn ^ 0x5A5A5A5Au;
        lock (_writer.Gate)
        {
            Segment(_left, _right, leftIsn, 0, PacketHeaders.Syn, default);
            Segment(_right, _left, rightIsn, leftIsn + 1, PacketHeaders.Syn | PacketHeaders.Ack, default);
            _leftSeq = leftIsn + 1;
            _rightSeq = rightIsn + 1;
            Segment(_left, _right, _leftSeq, _rightSeq, PacketHeaders.Ack, default);
        }
    }

    /// <summary>A chunk read from <paramref name="from"/>'s address has been written to the other's.</summary>
    public void Data(RelaySide from, ReadOnlySpan<byte> chunk)
    {
        var (source, sink) = from == RelaySide.Left ? (_left, _right) : (_right, _left);
        lock (_writer.Gate)
        {
            if (_reset || (from == RelaySide.Left ? _leftEnded : _rightEnded)) return;
            if (_datagram)
            {
                for (int at = 0; at < chunk.Length; at += MaxUdpPayload)
                {
                    var piece = chunk.Slice(at, Math.Min(MaxUdpPayload, chunk.Length - at));
                    var space = _writer.PacketSpace;
                    piece.CopyTo(space[(PacketHeaders.IpHeader(source) + PacketHeaders.UdpHeader)..]);
                    _writer.Append(PacketHeaders.WriteUdp(space, source, sink, piece.Length), FirstComment());
                }
                return;
            }
            ref uint seq = ref from == RelaySide.Left ? ref _leftSeq : ref _rightSeq;
            ref uint ack = ref from == RelaySide.Left ? ref _rightSeq : ref _leftSeq;
            for (int at = 0; at < chunk.Length; at += MaxTcpPayload)
            {
                var piece = chunk.Slice(at, Math.Min(MaxTcpPayload, chunk.Length - at));
                Segment(source, sink, seq, ack, PacketHeaders.Psh | PacketHeaders.Ack, piece);
                seq += (uint)piece.Length;
                // The sink's side acknowledges each segment: no window (65535, unscaled) ever looks full.
                Segment(sink, source, ack, seq, PacketHeaders.Ack, default);
            }
        }
    }

    /// <summary>The direction read from <paramref name="from"/> has ended: a FIN, or an RST when its peer reset.</summary>
    public void End(RelaySide from, bool reset)
    {
        lock (_writer.Gate)
        {
            ref bool ended = ref from == RelaySide.Left ? ref _leftEnded : ref _rightEnded;
            if (_datagram || _reset || ended) return;
            var (source, sink) = from == RelaySide.Left ? (_left, _right) : (_right, _left);
            ref uint seq = ref from == RelaySide.Left ? ref _leftSeq : ref _rightSeq;
            ref uint ack = ref from == RelaySide.Left ? ref _rightSeq : ref _leftSeq;
            if (reset)
            {
                Segment(source, sink, seq, ack, PacketHeaders.Rst | PacketHeaders.Ack, default);
                _reset = true;
                return;
            }
            Segment(source, sink, seq, ack, PacketHeaders.Fin | PacketHeaders.Ack, default);
            seq++;
            ended = true;
            Segment(sink, source, ack, seq, PacketHeaders.Ack, default);
        }
    }

    /// <summary>The connection is closed: a direction that has not ended (cut by -t, -T, a stop, or not relayed) ends now.</summary>
    public void Close()
    {
        End(RelaySide.Left, reset: false);
        End(RelaySide.Right, reset: false);
    }

    private void Segment(CapturePeer from, CapturePeer to, uint seq, uint ack, byte flags, ReadOnlySpan<byte> payload)
    {
        var space = _writer.PacketSpace;
        payload.CopyTo(space[(PacketHeaders.IpHeader(from) + PacketHeaders.TcpHeader)..]);
        _writer.Append(PacketHeaders.WriteTcp(space, from, to, seq, ack, flags, payload.Length), FirstComment());
    }

    /// <summary>The conversation's first packet says which relay and addresses it is.</summary>
    private string? FirstComment()
    {
        if (_commented) return null;
        _commented = true;
        return _comment;
    }
}
