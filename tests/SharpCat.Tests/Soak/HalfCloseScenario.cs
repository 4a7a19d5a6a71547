using System.Buffers.Binary;
using System.Net.Sockets;

namespace SharpCat.Tests.Soak;

/// <summary>Who starts sending: both at once, or one side only after the other's end of file.</summary>
public enum SendOrder { Together, ClientFirst, ServerFirst }

/// <summary>
/// One connection of the randomized half-close soak, made from the run's seed and the
/// connection's number, so that client and server (and a replay) make the same one: payload
/// sizes each way, how each side cuts its payload into writes, its pauses, and the send order.
/// </summary>
public sealed class HalfCloseScenario
{
    private HalfCloseScenario(int seed, int index, int maxPayload)
    {
        Index = index;
        var r = new Random(seed ^ (index * 7919));
        ClientPayload = Payload(r, maxPayload);
        ServerPayload = Payload(r, maxPayload);
        Order = (SendOrder)r.Next(3);
        ClientSeed = r.Next();
        ServerSeed = r.Next();
    }

    public int Index { get; }
    public byte[] ClientPayload { get; }
    public byte[] ServerPayload { get; }
    public SendOrder Order { get; }
    public int ClientSeed { get; }
    public int ServerSeed { get; }

    public static HalfCloseScenario Make(int seed, int index, int maxPayload) => new(seed, index, maxPayload);

    public override string ToString() =>
        $"connection {Index}: {ClientPayload.Length} bytes up, {ServerPayload.Length} down, {Order}";

    /// <summary>Sizes from empty to the maximum: many small, some large.</summary>
    private static byte[] Payload(Random r, int max)
    {
        int size = r.Next(10) switch
        {
            0 => 0,
            < 4 => r.Next(1, 200),
            < 8 => r.Next(200, Math.Min(max, 256 * 1024)),
            _ => r.Next(max / 2, max + 1),
        };
        var data = new byte[size];
        r.NextBytes(data);
        return data;
    }

    /// <summary>
    /// One side of the exchange: sends its payload in random writes with short pauses (as the
    /// order says, before or after the peer's end of file), half-closes, and returns what it read
    /// up to the peer's end of file.
    /// </summary>
    public async Task<byte[]> RunSideAsync(Socket socket, bool client, CancellationToken ct)
    {
        var received = ReceiveAllAsync(socket, ct);
        if (Order == (client ? SendOrder.ServerFirst : SendOrder.ClientFirst)) await received;
        await SendAsync(socket, client ? ClientPayload : ServerPayload, new Random(client ? ClientSeed : ServerSeed), ct);
        socket.Shutdown(SocketShutdown.Send);
        return await received;
    }

    /// <summary>The client's first four bytes: which scenario the server is to play.</summary>
    public static byte[] Header(int index)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, index);
        return header;
    }

    private static async Task SendAsync(Socket socket, byte[] data, Random r, CancellationToken ct)
    {
        // Chunk sizes of one of three kinds: byte-sized, page-sized, buffer-sized.
        int maxChunk = r.Next(3) switch { 0 => 100, 1 => 4096, _ => 256 * 1024 };
        for (int at = 0; at < data.Length;)
        {
            int n = Math.Min(data.Length - at, r.Next(1, maxChunk + 1));
            at += await socket.SendAsync(data.AsMemory(at, n), SocketFlags.None, ct);
            // Short pauses: a slow sender, never near -t (0.5 s).
            if (r.Next(50) == 0) await Task.Delay(r.Next(1, 20), ct);
        }
    }

    private static async Task<byte[]> ReceiveAllAsync(Socket socket, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0) received.Write(buffer, 0, n);
        return received.ToArray();
    }
}
