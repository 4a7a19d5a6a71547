using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharpCat.Tests.Support;

/// <summary>One question the server was asked.</summary>
/// <param name="Name">The queried name, without the final dot.</param>
/// <param name="Type">The query type: 1 A, 28 AAAA.</param>
/// <param name="From">The asking socket.</param>
/// <param name="At">When it arrived (the server's clock).</param>
/// <param name="Answered">Whether the server answered it.</param>
public sealed record DnsQuery(string Name, int Type, IPEndPoint From, TimeSpan At, bool Answered);

/// <summary>
/// A DNS server over UDP on 127.0.0.1 in the test process, for the resolver options: it answers A
/// queries for its names with 127.0.0.1 and AAAA queries with ::1 (or with no address, when told),
/// NXDOMAIN for any other name, and can leave the first queries unanswered so that the asker must
/// send them again. Every query is recorded.
/// </summary>
public sealed class DnsServer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly HashSet<string> _names;
    private readonly ConcurrentQueue<DnsQuery> _queries = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private int _toDrop;

    /// <param name="names">The names it knows (case-insensitive).</param>
    /// <param name="dropFirst">How many queries it leaves unanswered before it answers.</param>
    /// <param name="ipv6">Whether AAAA queries get ::1 (else an answer without addresses).</param>
    public DnsServer(IEnumerable<string> names, int dropFirst = 0, bool ipv6 = true)
    {
        _names = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        _toDrop = dropFirst;
        Ipv6 = ipv6;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // A thread of its own, blocked in recvfrom: a query's arrival time is not a pool thread's delay.
        new Thread(Serve) { IsBackground = true, Name = "test DNS server" }.Start();
    }

    private bool Ipv6 { get; }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>The queries so far, in arrival order.</summary>
    public IReadOnlyList<DnsQuery> Queries => [.. _queries];

    /// <summary>Waits (bounded) until at least <paramref name="count"/> queries have arrived.</summary>
    public async Task<IReadOnlyList<DnsQuery>> WaitForQueriesAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_queries.Count < count)
        {
            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{_queries.Count} DNS queries arrived, {count} expected");
            }
        }
        return Queries;
    }

    private void Serve()
    {
        var buffer = new byte[512];
        while (!_stop.IsCancellationRequested)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception)
            {
                return; // disposed
            }
            var query = buffer.AsSpan(0, received);
            if (!TryParse(query, out string name, out int type, out int questionEnd)) continue;
            bool answer = Interlocked.Decrement(ref _toDrop) < 0;
            _queries.Enqueue(new DnsQuery(name, type, (IPEndPoint)from, _clock.Elapsed, answer));
            _arrived.Release();
            if (!answer) continue;
            try
            {
                _socket.SendTo(Reply(query, name, type, questionEnd), from);
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    /// <summary>The name and type of a query's one question, and where the question ends.</summary>
    private static bool TryParse(ReadOnlySpan<byte> q, out string name, out int type, out int end)
    {
        name = "";
        type = 0;
        end = 0;
        if (q.Length < 17 || BinaryPrimitives.ReadUInt16BigEndian(q[4..]) != 1) return false;
        var labels = new List<string>();
        int i = 12;
        while (i < q.Length && q[i] != 0)
        {
            int length = q[i];
            if (length > 63 || i + 1 + length >= q.Length) return false;
            labels.Add(Encoding.ASCII.GetString(q.Slice(i + 1, length)));
            i += 1 + length;
        }
        if (i + 5 > q.Length) return false;
        name = string.Join('.', labels);
        type = BinaryPrimitives.ReadUInt16BigEndian(q[(i + 1)..]);
        end = i + 5;
        return true;
    }

    private byte[] Reply(ReadOnlySpan<byte> query, string name, int type, int questionEnd)
    {
        bool known = _names.Contains(name);
        byte[]? address = !known ? null : type switch
        {
            1 => IPAddress.Loopback.GetAddressBytes(),
            28 when Ipv6 => IPAddress.IPv6Loopback.GetAddressBytes(),
            _ => null,
        };
        var reply = new List<byte>(questionEnd + 32);
        reply.AddRange(query[..2].ToArray()); // the query's id
        reply.Add(0x81); // a response to a standard query, recursion desired
        reply.Add((byte)(known ? 0x80 : 0x83)); // recursion available; NXDOMAIN for an unknown name
        reply.AddRange([0, 1, 0, (byte)(address is null ? 0 : 1), 0, 0, 0, 0]);
        reply.AddRange(query[12..questionEnd].ToArray());
        if (address is not null)
        {
            reply.AddRange([0xc0, 0x0c]); // the name: a pointer to the question's
            reply.AddRange([0, (byte)type, 0, 1, 0, 0, 0, 60, 0, (byte)address.Length]);
            reply.AddRange(address);
        }
        return [.. reply];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
