using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// RFC 6455 framing over an opened connection (DESIGN §10: a channel wrapping a channel, so it
/// runs over TCP, TLS, a proxy or anything else that carries bytes). Each write is one message
/// (binary, or text with <c>ws-text</c>); reads return message payloads as a byte stream, streamed
/// through the caller's buffer so that memory stays bounded whatever a message's size. Pings are
/// answered; a Close from the peer is the end of file, and a half-close sends our Close. A frame
/// that breaks the protocol closes the WebSocket with the matching code and fails the relay.
/// </summary>
internal sealed partial class WebSocketChannel : IChannel
{
    private const int BufferSize = 16 * 1024;
    private const int DefaultLongestLine = 16 * 1024 * 1024;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(1);

    private readonly IChannel _inner;
    private readonly bool _client;
    private readonly long _maxMessage;
    private readonly bool _text;
    private readonly bool _lines;
    private readonly long _longestLine;
    private readonly string _name;
    private readonly SemaphoreSlim _writing = new(1, 1);

    // Reading: bytes read from the connection and not handed out yet (pooled, returned when empty,
    // so that an idle connection holds none).
    private byte[]? _buffer;
    private int _start, _end;
    // The data frame being read.
    private long _payloadLeft, _payloadOffset;
    private uint _mask;
    private bool _masked, _final;
    // The message being read (possibly over several frames).
    private bool _inMessage;
    private Opcode _messageType;
    private long _messageLength;
    private Utf8Check _incoming;
    private bool _readDone;
    // ws-lines: the newline that ends a message read, when the caller's buffer had no room for it.
    private bool _newlineOwed;
    private int? _peerCloseCode;

    // Writing: in text mode, the start of a character the last write ended in.
    private Utf8Check _outgoing;
    private byte[]? _carry;
    private int _carryLength;
    // ws-lines: the start of a line whose end has not come yet.
    private byte[]? _held;
    private int _heldLength;
    private volatile bool _closeSent;
    private bool _abort;
    private volatile SharpCatException? _failure;

    /// <param name="inner">The connection after the opening handshake.</param>
    /// <param name="client">True for a client, which masks what it sends and expects unmasked frames.</param>
    /// <param name="settings">The address's WebSocket options.</param>
    /// <param name="name">The address, for log lines.</param>
    /// <param name="early">Bytes the handshake read past its end: the first frames.</param>
    public WebSocketChannel(IChannel inner, bool client, WebSocketSettings settings, string name, ReadOnlySpan<byte> early)
    {
        _inner = inner;
        _client = client;
        _maxMessage = settings.MaxMessage;
        _text = settings.Text;
        _lines = settings.Lines;
        // A line is held until its end comes: bounded by ws-max-message, else by a generous default.
        _longestLine = settings.MaxMessage > 0 ? settings.MaxMessage : DefaultLongestLine;
        _name = name;
        if (!early.IsEmpty)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(BufferSize, early.Length));
            early.CopyTo(_buffer);
            _end = early.Length;
        }
        if (settings.PingInterval is { } interval) StartKeepAlive(interval, settings.PingTimeout);
    }

    public bool IsDatagram => false;

    public int ReadFd => _inner.ReadFd;

    public int WriteFd => _inner.WriteFd;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => _inner.Variables;

    public bool WasReset => _inner.WasReset;

    public System.Net.EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    public System.Net.EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public void AbortOnClose()
    {
        _abort = true;
        _inner.AbortOnClose();
    }

    public string Describe() => _inner.Describe();

    public ValueTask WaitReadableAsync(CancellationToken ct) =>
        _readDone || _newlineOwed || _end > _start ? ValueTask.CompletedTask
        : _keepAlive is null ? _inner.WaitReadableAsync(ct) : WaitReadableCuttableAsync(ct);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (buffer.IsEmpty) return 0;
        try
        {
            return _keepAlive is null ? await ReadPayloadAsync(buffer, ct).ConfigureAwait(false)
                : await ReadCuttableAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (ProtocolViolation e)
        {
            _readDone = true;
            ReleaseBuffer(force: true);
            // Set before the Close goes: a write racing with it fails with this same error, not another.
            _failure = new SharpCatException($"{_name}: {e.Message}; closed the WebSocket with {e.Code} ({WebSocketFrame.CloseCodeName(e.Code)})");
            await CloseQuietlyAsync(e.Code, e.Reason).ConfigureAwait(false);
            throw _failure;
        }
    }

    private async ValueTask<int> ReadPayloadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (!_readDone || _newlineOwed)
        {
            if (_newlineOwed)
            {
                _newlineOwed = false;
                buffer.Span[0] = (byte)'\n';
                return 1;
            }
            if (_payloadLeft == 0)
            {
                if (!await NextFrameAsync(ct).ConfigureAwait(false)) break;
                continue;
            }
            var into = buffer[..(int)Math.Min(buffer.Length, _payloadLeft)];
            int n;
            if (_end > _start)
            {
                n = Math.Min(into.Length, _end - _start);
                _buffer.AsSpan(_start, n).CopyTo(into.Span);
                _start += n;
                ReleaseBuffer();
            }
            else
            {
                n = await _inner.ReadAsync(into, ct).ConfigureAwait(false);
                if (n == 0) throw EndedInFrame();
                Heard();
            }
            var got = into.Span[..n];
            if (_masked) WebSocketFrame.Mask(got, _mask, _payloadOffset);
            _payloadOffset += n;
            _payloadLeft -= n;
            if (_messageType == Opcode.Text && !_incoming.Feed(got))
                throw new ProtocolViolation(CloseCode.InvalidData, "a text message is not valid UTF-8");
            if (_payloadLeft == 0) EndFrame();
            if (_newlineOwed && n < buffer.Length)
            {
                // ws-lines: the message's end is the line's end, in the same read when there is room.
                buffer.Span[n++] = (byte)'\n';
                _newlineOwed = false;
            }
            return n;
        }
        return 0;
    }

    /// <summary>Reads the next frame's header; a control frame is handled whole. False at the end of the stream.</summary>
    private async ValueTask<bool> NextFrameAsync(CancellationToken ct)
    {
        if (!await FillAsync(2, ct).ConfigureAwait(false))
        {
            if (_end > _start) throw EndedInFrame();
            ReleaseBuffer();
            _readDone = true;
            Log.Warn($"{_name}: the connection ended without a WebSocket close frame ({CloseCode.Abnormal}, {WebSocketFrame.CloseCodeName(CloseCode.Abnormal)})");
            return false;
        }
        byte first = _buffer![_start], second = _buffer[_start + 1];
        int lengthCode = second & 0x7F;
        bool masked = (second & 0x80) != 0;
        int headerLength = 2 + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (!await FillAsync(headerLength, ct).ConfigureAwait(false)) throw EndedInFrame();
        var header = _buffer.AsSpan(_start, headerLength);
        bool final = (first & 0x80) != 0;
        var opcode = (Opcode)(first & 0x0F);
        if ((first & 0x70) != 0)
            throw new ProtocolViolation(CloseCode.ProtocolError, $"a frame has reserved bits set (0x{first & 0x70:x2}) and no extension was agreed");
        if (opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong))
            throw new ProtocolViolation(CloseCode.ProtocolError, $"a frame has the reserved opcode 0x{(int)opcode:x}");
        if (!_client && !masked) throw new ProtocolViolation(CloseCode.ProtocolError, "the client sent an unmasked frame");
        if (_client && masked) throw new ProtocolViolation(CloseCode.ProtocolError, "the server sent a masked frame");
        long length = lengthCode switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(header[2..]),
            _ => lengthCode,
        };
        if (length < 0) throw new ProtocolViolation(CloseCode.ProtocolError, "a frame's 64-bit length has its most significant bit set");
        uint mask = masked ? System.Runtime.InteropServices.MemoryMarshal.Read<uint>(header[(headerLength - 4)..]) : 0;
        _start += headerLength;
        if (opcode >= Opcode.Close) return await ControlFrameAsync(opcode, final, length, mask, masked, ct).ConfigureAwait(false);
        if (opcode == Opcode.Continuation)
        {
            if (!_inMessage) throw new ProtocolViolation(CloseCode.ProtocolError, "a continuation frame continues no message");
        }
        else
        {
            if (_inMessage) throw new ProtocolViolation(CloseCode.ProtocolError, "a new message began before the last one's final frame");
            _inMessage = true;
            _messageType = opcode;
            _messageLength = 0;
            _incoming = default;
        }
        _messageLength += length;
        if (_maxMessage > 0 && _messageLength > _maxMessage)
            throw new ProtocolViolation(CloseCode.TooBig, $"a message is larger than ws-max-message={_maxMessage} bytes");
        _final = final;
        _payloadLeft = length;
        _payloadOffset = 0;
        _masked = masked;
        _mask = mask;
        if (length == 0) EndFrame();
        ReleaseBuffer();
        return true;
    }

    private void EndFrame()
    {
        if (!_final) return;
        if (_messageType == Opcode.Text && _incoming.InCharacter)
            throw new ProtocolViolation(CloseCode.InvalidData, "a text message ends in the middle of a UTF-8 character");
        _inMessage = false;
        _newlineOwed = _lines;
    }

    private async ValueTask<bool> ControlFrameAsync(Opcode opcode, bool final, long length, uint mask, bool masked, CancellationToken ct)
    {
        if (!final) throw new ProtocolViolation(CloseCode.ProtocolError, $"a {opcode} frame is fragmented (control frames must not be)");
        if (length > WebSocketFrame.MaxControlPayload)
            throw new ProtocolViolation(CloseCode.ProtocolError, $"a {opcode} frame carries {length} bytes (control frames carry at most {WebSocketFrame.MaxControlPayload})");
        int count = (int)length;
        if (!await FillAsync(count, ct).ConfigureAwait(false)) throw EndedInFrame();
        var payload = _buffer.AsSpan(_start, count);
        if (masked) WebSocketFrame.Mask(payload, mask, 0);
        byte[] copy = payload.ToArray();
        _start += count;
        ReleaseBuffer();
        switch (opcode)
        {
            case Opcode.Ping:
                Log.Debug($"{_name}: ping ({count} bytes), answering with a pong");
                if (!_closeSent) await SendAsync(Opcode.Pong, copy, ct).ConfigureAwait(false);
                return true;
            case Opcode.Pong:
                Log.Debug($"{_name}: pong ({count} bytes)");
                return true;
            default:
                PeerClosed(copy);
                return false;
        }
    }

    private void PeerClosed(byte[] payload)
    {
        if (payload.Length == 1) throw new ProtocolViolation(CloseCode.ProtocolError, "a Close frame carries a one-byte code");
        int code = payload.Length == 0 ? CloseCode.NoStatus : BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (payload.Length > 0 && !WebSocketFrame.IsValidCloseCode(code))
            throw new ProtocolViolation(CloseCode.ProtocolError, $"the peer closed with code {code}, which may not be sent");
        var reasonCheck = new Utf8Check();
        var reasonBytes = payload.AsSpan(Math.Min(2, payload.Length));
        if (!reasonCheck.Feed(reasonBytes) || reasonCheck.InCharacter)
            throw new ProtocolViolation(CloseCode.InvalidData, "a Close frame's reason is not valid UTF-8");
        // Printable in a log line whatever the peer sent: control characters (a newline, an escape) become '?'.
        string reason = new(Encoding.UTF8.GetString(reasonBytes).Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
        _peerCloseCode = code;
        _readDone = true;
        string message = $"{_name}: the peer closed the WebSocket: {code} ({WebSocketFrame.CloseCodeName(code)})"
            + (reason.Length > 0 ? $", reason \"{reason}\"" : "");
        // An abnormal close is worth a warning; the normal end of a session is a notice.
        if (code is CloseCode.Normal or CloseCode.GoingAway or CloseCode.NoStatus) Log.Notice(message);
        else Log.Warn(message);
        if (_inMessage) Log.Warn($"{_name}: the close came in the middle of a message; its start has been relayed");
    }

    /// <summary>Makes sure <paramref name="count"/> bytes are buffered; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken ct)
    {
        if (_end - _start >= count) return true;
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            _start = _end = 0;
        }
        else if (_start + count > _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < count)
        {
            int n = await _inner.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) return false;
            _end += n;
            Heard();
        }
        return true;
    }

    private void ReleaseBuffer(bool force = false)
    {
        if (_buffer is null || (_end > _start && !force)) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _start = _end = 0;
    }

    private SharpCatException EndedInFrame() => new($"{_name}: the connection ended in the middle of a WebSocket frame");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_closeSent) throw AfterClose();
        if (_lines)
        {
            await WriteLinesAsync(data, ct).ConfigureAwait(false);
            return;
        }
        if (!_text)
        {
            await SendAsync(Opcode.Binary, data, ct).ConfigureAwait(false);
            return;
        }
        if (!_outgoing.Feed(data.Span))
            throw new SharpCatException($"{_name}: ws-text: the data is not valid UTF-8 and cannot be sent as a text message");
        // A character split between two reads goes out whole, with the next message.
        int pending = _outgoing.PendingBytes;
        if (_carryLength == 0 && pending == 0)
        {
            await SendAsync(Opcode.Text, data, ct).ConfigureAwait(false);
            return;
        }
        byte[] joined = ArrayPool<byte>.Shared.Rent(_carryLength + data.Length);
        try
        {
            _carry.AsSpan(0, _carryLength).CopyTo(joined);
            data.Span.CopyTo(joined.AsSpan(_carryLength));
            int total = _carryLength + data.Length, whole = total - pending;
            _carry ??= new byte[4];
            joined.AsSpan(whole, pending).CopyTo(_carry);
            _carryLength = pending;
            if (whole > 0) await SendAsync(Opcode.Text, joined.AsMemory(0, whole), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    /// <summary>ws-lines: each complete line is one message, without its newline; a line's start waits for its end.</summary>
    private async ValueTask WriteLinesAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (true)
        {
            int end = data.Span.IndexOf((byte)'\n');
            if (end < 0)
            {
                Hold(data.Span);
                return;
            }
            if (_heldLength == 0) await SendLineAsync(data[..end], ct).ConfigureAwait(false);
            else
            {
                Hold(data.Span[..end]);
                await SendLineAsync(_held.AsMemory(0, _heldLength), ct).ConfigureAwait(false);
                _heldLength = 0;
            }
            data = data[(end + 1)..];
        }
    }

    private void Hold(ReadOnlySpan<byte> part)
    {
        if (part.IsEmpty) return;
        long length = (long)_heldLength + part.Length;
        if (length > _longestLine)
            throw new SharpCatException($"{_name}: ws-lines: a line is longer than {_longestLine} bytes (ws-max-message)");
        if (_held is null || _held.Length < length) Array.Resize(ref _held, (int)Math.Min(_longestLine, Math.Max(length, 2L * (_held?.Length ?? 1024))));
        part.CopyTo(_held.AsSpan(_heldLength));
        _heldLength = (int)length;
    }

    private ValueTask SendLineAsync(ReadOnlyMemory<byte> line, CancellationToken ct)
    {
        if (!_text) return SendAsync(Opcode.Binary, line, ct);
        var check = new Utf8Check();
        if (!check.Feed(line.Span) || check.InCharacter)
            throw new SharpCatException($"{_name}: ws-text: a line is not valid UTF-8 and cannot be sent as a text message");
        return SendAsync(Opcode.Text, line, ct);
    }

    /// <summary>Sends one final frame, whole: a frame is never interleaved with another (a pong, a close).</summary>
    private async ValueTask SendAsync(Opcode opcode, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        // Header and payload in one write: two would meet Nagle's algorithm and delayed ACKs.
        byte[] frame = ArrayPool<byte>.Shared.Rent(WebSocketFrame.MaxHeader + payload.Length);
        await _writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Nothing follows a Close (§5.5.1): a message that waited for the lock meanwhile fails.
            if (_closeSent && opcode != Opcode.Close)
            {
                if (opcode == Opcode.Pong) return;
                throw AfterClose();
            }
            uint? mask = _client ? NewMask() : null;
            int header = WebSocketFrame.WriteHeader(frame, opcode, payload.Length, mask);
            var body = frame.AsSpan(header, payload.Length);
            payload.Span.CopyTo(body);
            if (mask is uint key) WebSocketFrame.Mask(body, key, 0);
            await _inner.WriteAsync(frame.AsMemory(0, header + payload.Length), ct).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private SharpCatException AfterClose() => _failure ?? new SharpCatException($"{_name}: cannot send after the WebSocket's Close frame");

    private static uint NewMask()
    {
        // RFC 6455 §5.3: the key must be unpredictable, so that a client cannot steer the bytes on the wire.
        Span<byte> key = stackalloc byte[4];
        RandomNumberGenerator.Fill(key);
        return System.Runtime.InteropServices.MemoryMarshal.Read<uint>(key);
    }

    private async ValueTask SendCloseAsync(int code, string reason, CancellationToken ct)
    {
        if (_closeSent) return;
        _closeSent = true;
        byte[] payload = new byte[2 + Math.Min(Encoding.UTF8.GetByteCount(reason), WebSocketFrame.MaxControlPayload - 2)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, payload.Length - 2)), payload.AsSpan(2));
        await SendAsync(Opcode.Close, payload, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a Close frame if none went yet, waiting a bounded time: the peer may be gone.</summary>
    private async ValueTask CloseQuietlyAsync(int code, string reason)
    {
        if (_closeSent || _abort) return;
        using var wait = new CancellationTokenSource(CloseWait);
        try
        {
            await SendCloseAsync(code, reason, wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SharpCatException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            Log.Info($"{_name}: could not send the WebSocket Close frame: {e.Message}");
        }
    }

    /// <summary>
    /// The end of what the relay writes: our Close frame (echoing the peer's code when it closed
    /// first). A server then half-closes the connection, as RFC 6455 §7.1.1 has the server end
    /// TCP first; a client does so only once the peer's Close has come.
    /// </summary>
    public async ValueTask ShutdownWriteAsync()
    {
        if (_carryLength > 0)
        {
            await CloseQuietlyAsync(CloseCode.InvalidData, "text ended in the middle of a character").ConfigureAwait(false);
            throw new SharpCatException($"{_name}: ws-text: the data ended in the middle of a UTF-8 character");
        }
        if (_heldLength > 0 && !_closeSent)
        {
            // ws-lines: a last line without its newline is a message too.
            await SendLineAsync(_held.AsMemory(0, _heldLength), CancellationToken.None).ConfigureAwait(false);
            _heldLength = 0;
        }
        int code = _peerCloseCode is int c && c != CloseCode.NoStatus ? c : CloseCode.Normal;
        await SendCloseAsync(code, "", CancellationToken.None).ConfigureAwait(false);
        if (!_client || _peerCloseCode is not null) await _inner.ShutdownWriteAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // A relay cut by -T or by the other side's error still ends the WebSocket cleanly; a
        // direction never written (-u) answers the peer's Close with its code, as a half-close would.
        await StopKeepAliveAsync().ConfigureAwait(false);
        int code = _peerCloseCode is int c && c != CloseCode.NoStatus ? c : _peerCloseCode is null ? CloseCode.GoingAway : CloseCode.Normal;
        await CloseQuietlyAsync(code, "").ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        ReleaseBuffer(force: true);
        if (_carry is not null) _carry = null;
        _writing.Dispose();
    }

    /// <summary>A frame that breaks RFC 6455: the connection is closed with <see cref="Code"/>.</summary>
    private sealed class ProtocolViolation(int code, string message) : Exception(message)
    {
        public int Code { get; } = code;

        /// <summary>The Close frame's reason: short, as a control frame holds 123 bytes of it.</summary>
        public string Reason => Message.Length <= 120 ? Message : Message[..120];
    }
}
