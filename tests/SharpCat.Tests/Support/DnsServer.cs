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
/// <param name="Recursion">The query's RD bit (recursion desired).</param>
/// <param name="Connection">0 for UDP; over TCP, the connection's number (1, 2, …).</param>
public sealed record DnsQuery(string Name, int Type, IPEndPoint From, TimeSpan At, bool Answered, bool Recursion = true, int Connection = 0);

/// <summary>
/// A DNS server over UDP on 127.0.0.1 in the test process, for the resolver options: it answers A
/// queries for its names with 127.0.0.1 and AAAA queries with ::1 (or with no address, when told),
/// NXDOMAIN for any other name, and can leave the first queries unanswered so that the asker must
/// send them again. With <c>tcp</c> it also serves DNS over TCP on the same port; with
/// <c>truncate</c> its UDP answers carry the TC bit. Every query is recorded.
/// </summary>
public sealed class DnsServer : IDisposable
{
    private Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly HashSet<string> _names;
    private readonly ConcurrentQueue<DnsQuery> _queries = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Socket? _tcp;
    private readonly bool _truncate;
    private int _toDrop;
    private int _connections;

    /// <param name="names">The names it knows (case-insensitive).</param>
    /// <param name="dropFirst">How many queries it leaves unanswered before it answers.</param>
    /// <param name="ipv6">Whether AAAA queries get ::1 (else an answer without addresses).</param>
    /// <param name="tcp">Whether it serves TCP on its port too.</param>
    /// <param name="truncate">Whether its UDP answers say they were truncated (TC).</param>
    public DnsServer(IEnumerable<string> names, int dropFirst = 0, bool ipv6 = true, bool tcp = false, bool truncate = false)
    {
        _names = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        _toDrop = dropFirst;
        _truncate = truncate;
        Ipv6 = ipv6;
        for (int attempt = 0; ; attempt++)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            if (!tcp) break;
            // The same port number for TCP: taken by chance now and then, so another pair is tried.
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                listener.Listen();
                _tcp = listener;
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                listener.Dispose();
                _socket.Dispose();
                _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            }
        }
        // Threads of their own, blocked in recvfrom and accept: a query's arrival time is not a pool thread's delay.
        new Thread(Serve) { IsBackground = true, Name = "test DNS server" }.Start();
        if (_tcp is not null) new Thread(ServeTcp) { IsBackground = true, Name = "test DNS server (TCP)" }.Start();
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
            if (Answer(query, (IPEndPoint)from, 0, _truncate) is not { } reply) continue;
            try
            {
                _socket.SendTo(reply, from);
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private void ServeTcp()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = _tcp!.Accept();
            }
            catch (Exception)
            {
                return; // disposed
            }
            int number = Interlocked.Increment(ref _connections);
            new Thread(() => Converse(connection, number)) { IsBackground = true, Name = "test DNS connection" }.Start();
        }
    }

    /// <summary>DNS over TCP: each message after its two-byte length, as many as the client sends.</summary>
    private void Converse(Socket connection, int number)
    {
        using (connection)
        {
            try
            {
                var from = (IPEndPoint)connection.RemoteEndPoint!;
                var length = new byte[2];
                while (ReadExactly(connection, length))
                {
                    var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                    if (!ReadExactly(connection, query)) return;
                    if (Answer(query, from, number, truncate: false) is not { } reply) continue;
                    var framed = new byte[2 + reply.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                    reply.CopyTo(framed, 2);
                    connection.Send(framed);
                }
            }
            catch (Exception)
            {
                // the client went away, or the server was disposed
            }
        }
    }

    private static bool ReadExactly(Socket s, byte[] buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = s.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    /// <summary>Records a query and makes its answer; null when it is malformed or to be left unanswered.</summary>
    private byte[]? Answer(ReadOnlySpan<byte> query, IPEndPoint from, int connection, bool truncate)
    {
        if (!TryParse(query, out string name, out int type, out int questionEnd)) return null;
        bool answer = Interlocked.Decrement(ref _toDrop) < 0;
        _queries.Enqueue(new DnsQuery(name, type, from, _clock.Elapsed, answer, (query[2] & 0x01) != 0, connection));
        _arrived.Release();
        return answer ? Reply(query, name, type, questionEnd, truncate) : null;
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

    private byte[] Reply(ReadOnlySpan<byte> query, string name, int type, int questionEnd, bool truncate)
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
        reply.Add((byte)(0x80 | (truncate ? 0x02 : 0) | (query[2] & 0x01))); // a response to a standard query, TC when told, RD echoed
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
        _tcp?.Dispose();
    }
}
