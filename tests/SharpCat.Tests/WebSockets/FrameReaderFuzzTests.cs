using SharpCat.Relay;
using SharpCat.WebSockets;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// The frame reader fed random and mutated byte streams in-process: every outcome is data, the end
/// of the stream, or one <see cref="SharpCatException"/> (the relay's clear error), never another
/// exception, a hang, or more data than was sent.
/// </summary>
public class FrameReaderFuzzTests
{
    /// <summary>A connection that hands out a fixed byte string in random-sized pieces and swallows writes.</summary>
    private sealed class ScriptedChannel(byte[] incoming, Random random) : IChannel
    {
        private int _at;
        public long Written { get; private set; }

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            int n = Math.Min(Math.Min(buffer.Length, incoming.Length - _at), random.Next(1, 64));
            incoming.AsSpan(_at, n).CopyTo(buffer.Span);
            _at += n;
            return ValueTask.FromResult(n);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            Written += data.Length;
            return ValueTask.CompletedTask;
        }

        public ValueTask ShutdownWriteAsync() => ValueTask.CompletedTask;
        public bool IsDatagram => false;
        public string Describe() => "scripted";
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static byte[] Frame(Random random, bool masked)
    {
        byte[] payload = new byte[random.Next(4) == 0 ? random.Next(130, 70000) : random.Next(0, 40)];
        random.NextBytes(payload);
        byte[] opcodes = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA];
        byte first = (byte)((random.Next(3) == 0 ? 0 : 0x80) | opcodes[random.Next(opcodes.Length)]);
        if (first == 0x88 && payload.Length >= 2) { payload[0] = 0x03; payload[1] = 0xE8; }
        return RawWebSocket.Frame(first, payload, masked);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RandomStreamsEndInDataEofOrOneClearError(bool client)
    {
        var settings = new WebSocketSettings(null, [], [], [], null, 100_000, false, TimeSpan.FromSeconds(10), Lines: false, null, null);
        var outcomes = new Dictionary<string, int>();
        for (int seed = 0; seed < 3000; seed++)
        {
            var random = new Random(seed);
            var stream = new List<byte>();
            int frames = random.Next(1, 8);
            for (int i = 0; i < frames; i++) stream.AddRange(Frame(random, masked: !client));
            byte[] bytes = [.. stream];
            // Mutate some: flip bits, cut the end, or replace it all with noise.
            switch (random.Next(4))
            {
                case 0: for (int i = 0; i < 3 && bytes.Length > 0; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes = bytes[..random.Next(bytes.Length + 1)]; break;
                case 2: random.NextBytes(bytes); break;
            }
            var channel = new WebSocketChannel(new ScriptedChannel(bytes, random), client, settings, "WS-TEST", []);
            long read = 0;
            string outcome;
            try
            {
                var buffer = new byte[random.Next(1, 9000)];
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                while (true)
                {
                    int n = await channel.ReadAsync(buffer, bound.Token);
                    if (n == 0) break;
                    read += n;
                }
                outcome = "eof";
            }
            catch (SharpCatException)
            {
                outcome = "error";
            }
            Assert.True(read <= bytes.Length, $"seed {seed}: read {read} of {bytes.Length}");
            await channel.DisposeAsync();
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        // Both outcomes came up: the streams reached the checks, not only the first one.
        Assert.True(outcomes.GetValueOrDefault("eof") > 100 && outcomes.GetValueOrDefault("error") > 100, string.Join(", ", outcomes));
    }
}
