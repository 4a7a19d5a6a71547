using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// A hand-made WebSocket end on a raw TCP socket, for the hostile-peer tests: it speaks the
/// handshake and then sends exactly the frame bytes a test gives, good or bad.
/// </summary>
public sealed class RawWebSocket : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly Socket _socket;
    private readonly byte[] _pending = new byte[1 << 16];
    private int _pendingLength;

    private RawWebSocket(Socket socket) => _socket = socket;

    /// <summary>Connects and completes a client handshake; throws when the answer is not 101.</summary>
    public static async Task<RawWebSocket> ConnectAsync(int port, string path = "/")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var ws = new RawWebSocket(socket);
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await ws.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        string head = await ws.ReadHeadAsync();
        if (!head.StartsWith("HTTP/1.1 101 ")) throw new InvalidOperationException($"no 101: {head}");
        return ws;
    }

    /// <summary>Sends a raw HTTP request and returns the whole answer (up to the server's close).</summary>
    public static async Task<string> HttpAsync(int port, string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Bound);
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) answer.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    /// <summary>Accepts one client on <paramref name="listener"/> and reads its request head; the test writes the answer.</summary>
    public static async Task<(RawWebSocket Socket, string Request)> AcceptAsync(Socket listener)
    {
        using var cts = new CancellationTokenSource(Bound);
        var ws = new RawWebSocket(await listener.AcceptAsync(cts.Token));
        return (ws, await ws.ReadHeadAsync());
    }

    /// <summary>The Sec-WebSocket-Accept for a request head's key.</summary>
    public static string AcceptFor(string request)
    {
        string key = request.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
    }

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes);

    /// <summary>A frame's bytes: header byte 0 given whole (FIN, RSV, opcode), masked with a fixed key when asked.</summary>
    public static byte[] Frame(byte first, byte[] payload, bool masked, long? claimedLength = null)
    {
        long length = claimedLength ?? payload.Length;
        var frame = new List<byte> { first };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (length is >= 0 and < 126) frame.Add((byte)(maskBit | length));
        else if (length is >= 0 and <= 0xFFFF) { frame.Add((byte)(maskBit | 126)); frame.Add((byte)(length >> 8)); frame.Add((byte)length); }
        else { frame.Add((byte)(maskBit | 127)); var l = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(l, length); frame.AddRange(l); }
        byte[] key = [0x12, 0x34, 0x56, 0x78];
        if (masked) frame.AddRange(key);
        for (int i = 0; i < payload.Length; i++) frame.Add(masked ? (byte)(payload[i] ^ key[i % 4]) : payload[i]);
        return [.. frame];
    }

    /// <summary>Reads one frame (unmasking it); null when the connection ends first.</summary>
    public async Task<(byte First, byte[] Payload)?> ReadFrameAsync()
    {
        if (!await FillAsync(2)) return null;
        byte first = _pending[0], second = _pending[1];
        int lengthCode = second & 0x7F, header = 2 + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + ((second & 0x80) != 0 ? 4 : 0);
        if (!await FillAsync(header)) return null;
        long length = lengthCode == 126 ? BinaryPrimitives.ReadUInt16BigEndian(_pending.AsSpan(2)) : lengthCode == 127 ? BinaryPrimitives.ReadInt64BigEndian(_pending.AsSpan(2)) : lengthCode;
        if (!await FillAsync(header + (int)length)) return null;
        byte[] payload = _pending.AsSpan(header, (int)length).ToArray();
        if ((second & 0x80) != 0)
            for (int i = 0; i < payload.Length; i++) payload[i] ^= _pending[header - 4 + i % 4];
        Consume(header + (int)length);
        return (first, payload);
    }

    /// <summary>Reads frames until a Close, answering nothing; returns its code, or null when the connection ends without one.</summary>
    public async Task<int?> ReadCloseCodeAsync()
    {
        while (await ReadFrameAsync() is { } frame)
            if ((frame.First & 0x0F) == 0x8) return frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : 1005;
        return null;
    }

    private async Task<string> ReadHeadAsync()
    {
        while (true)
        {
            int end = _pending.AsSpan(0, _pendingLength).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                string head = Encoding.ASCII.GetString(_pending, 0, end);
                Consume(end + 4);
                return head;
            }
            if (!await FillAsync(_pendingLength + 1)) throw new InvalidOperationException("the connection ended before the head did");
        }
    }

    private async Task<bool> FillAsync(int count)
    {
        using var cts = new CancellationTokenSource(Bound);
        while (_pendingLength < count)
        {
            int n = await _socket.ReceiveAsync(_pending.AsMemory(_pendingLength), SocketFlags.None, cts.Token);
            if (n == 0) return false;
            _pendingLength += n;
        }
        return true;
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(_pending, count, _pending, 0, _pendingLength - count);
        _pendingLength -= count;
    }

    public void Dispose() => _socket.Dispose();
}
