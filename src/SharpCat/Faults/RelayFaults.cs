using SharpCat.Faults;

namespace SharpCat;

/// <summary>
/// The faults a relay injects, changed while it runs: give one to <see cref="RelayOptions.Faults"/>,
/// then <see cref="Set"/> and <see cref="Remove"/> named faults as the test goes on. Open
/// connections take a change at once (a fault that is removed stops delaying, pacing or stalling);
/// which connections get a fault is drawn from <see cref="Seed"/>, so a run can be replayed. A relay
/// without one costs nothing: its connections are not wrapped.
/// </summary>
/// <example>
/// <code>
/// var faults = new RelayFaults(seed: 42);
/// await using var relay = new RelayHost("TCP-LISTEN:0,bind=127.0.0.1,fork", "TCP:127.0.0.1:6379", new RelayOptions { Faults = faults });
/// faults.Applied += (_, e) => Console.WriteLine($"connection {e.ConnectionId}: {e.Fault}: {e.What}");
/// await relay.StartAsync();
/// faults.Set("slow", new Fault { Latency = TimeSpan.FromMilliseconds(200) });
/// // … the code under test sees a slow server …
/// faults.Remove("slow");
/// </code>
/// </example>
public sealed class RelayFaults
{
    private readonly Lock _lock = new();
    private Entry[] _entries = [];
    private long _serial;

    /// <summary>The faults and their seed; without one a seed is chosen (see <see cref="Seed"/>).</summary>
    public RelayFaults(ulong? seed = null) => Seed = seed ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>The seed the draws come from: the same seed and the same connections give the same faults.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// A fault reached a connection (it was drawn for it), or acted on it (a stall, reset or close
    /// fired; what datagrams it lost, when the connection ends). Raised on the relay's threads; a
    /// handler should return quickly.
    /// </summary>
    public event EventHandler<FaultApplied>? Applied;

    /// <summary>Adds a fault, or replaces the one of that name (its draws are made again, as toxiproxy does on an update).</summary>
    /// <exception cref="ArgumentException">The name is empty, or a value cannot mean anything.</exception>
    public void Set(string name, Fault fault)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fault);
        fault.Check(name);
        lock (_lock)
        {
            var entry = new Entry(name, fault, ++_serial);
            int at = Array.FindIndex(_entries, e => e.Name == name);
            _entries = at < 0 ? [.. _entries, entry] : [.. _entries[..at], entry, .. _entries[(at + 1)..]];
        }
        Changed?.Invoke();
    }

    /// <summary>Removes a fault; false when there is none of that name.</summary>
    public bool Remove(string name)
    {
        lock (_lock)
        {
            int at = Array.FindIndex(_entries, e => e.Name == name);
            if (at < 0) return false;
            _entries = [.. _entries[..at], .. _entries[(at + 1)..]];
        }
        Changed?.Invoke();
        return true;
    }

    /// <summary>Removes every fault.</summary>
    public void Clear()
    {
        lock (_lock) _entries = [];
        Changed?.Invoke();
    }

    /// <summary>The faults now, by name, in the order they were first set.</summary>
    public IReadOnlyList<KeyValuePair<string, Fault>> Current => [.. Entries.Select(e => new KeyValuePair<string, Fault>(e.Name, e.Fault))];

    /// <summary>A fault as the connections see it: its serial changes with every <see cref="Set"/>.</summary>
    internal sealed record Entry(string Name, Fault Fault, long Serial);

    internal Entry[] Entries => Volatile.Read(ref _entries);

    /// <summary>Raised after every change, for the open connections to take it.</summary>
    internal event Action? Changed;

    internal void OnApplied(FaultApplied what) => Applied?.Invoke(this, what);
}

/// <summary>What a fault did to a connection (<see cref="RelayFaults.Applied"/>).</summary>
/// <param name="ConnectionId">The connection, as numbered in the relay's log and its connection events.</param>
/// <param name="Fault">The fault's name (<c>options</c> for the address's own <c>fault-…</c> options).</param>
/// <param name="Address">The address whose writes it acts on, as the log names it.</param>
/// <param name="What">What happened, in words (<c>latency 0.2 s</c>, <c>reset after 65536 bytes</c>, …).</param>
public sealed record FaultApplied(long ConnectionId, string Fault, string Address, string What);
