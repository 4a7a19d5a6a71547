using System.Collections.Concurrent;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>What a loop delivers events to: a connection it runs, or a wait for one descriptor.</summary>
internal interface ILoopClient
{
    /// <summary>Tells this client's events from those of a former holder of its slot.</summary>
    uint Generation { get; }

    /// <summary>What epoll reported for one of the client's descriptors (0 or 1); runs on the loop's thread.</summary>
    void OnEvents(int side, uint events);
}

/// <summary>
/// An event loop of the relay's own (DESIGN.md §3): one thread waits in epoll_wait(2) and moves
/// the bytes of the socket-to-socket connections it owns straight from the readiness it is told
/// of, with read/write or splice(2). A message costs epoll_wait, read and write, as in socat,
/// where .NET's socket engine adds a zero-byte receive, its completion and a thread hop. One loop
/// per core, all started at the first connection; connections are handed out in turn.
/// </summary>
internal sealed unsafe class SpliceLoop
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;
    /// <summary>What a read through memory takes at most; a full one turns the burst into splicing.</summary>
    public const int BufferSize = 64 * 1024;

    private static readonly SpliceLoop?[] Loops = new SpliceLoop?[Math.Clamp(Environment.ProcessorCount, 1, 64)];
    private static readonly Lock StartGate = new();
    private static int _turn;

    private readonly int _epoll, _wake;
    private readonly Lock _slotGate = new();
    private ILoopClient?[] _slots = new ILoopClient?[64];
    private readonly Stack<int> _freeSlots = new();
    private int _usedSlots;
    private uint _generation;
    private readonly ConcurrentQueue<SplicedConnection> _cancelled = new();
    private readonly List<SplicedDirection> _again = new(), _running = new();
    private bool _wakePending;
    private (int Read, int Write) _sparePipe = (-1, -1);

    /// <summary>The loop thread's buffer for reads through memory (used only on that thread).</summary>
    public readonly byte[] Buffer = new byte[BufferSize];

    private SpliceLoop()
    {
        _epoll = Epoll.Create();
        _wake = Epoll.CreateEventFd();
        Epoll.Change(_epoll, _wake, 0, Epoll.In, WakeToken);
        new Thread(Run) { IsBackground = true, Name = "splice loop" }.UnsafeStart();
    }

    /// <summary>The loop the next connection goes to. The first call starts them all, so that the
    /// process's threads and descriptors do not grow later with the number of connections.</summary>
    public static SpliceLoop Next()
    {
        int i = (int)((uint)Interlocked.Increment(ref _turn) % (uint)Loops.Length);
        if (Volatile.Read(ref Loops[i]) is { } loop) return loop;
        lock (StartGate)
        {
            for (int j = 0; j < Loops.Length; j++) Loops[j] ??= new SpliceLoop();
            return Loops[i]!;
        }
    }

    public int EpollFd => _epoll;

    /// <summary>A slot for a connection, and the generation that tells its events from a former owner's.</summary>
    public (int Slot, uint Generation) Add(ILoopClient client)
    {
        lock (_slotGate)
        {
            int slot;
            if (_freeSlots.Count > 0) slot = _freeSlots.Pop();
            else
            {
                if (_usedSlots == _slots.Length)
                {
                    var grown = new ILoopClient?[_slots.Length * 2];
                    _slots.CopyTo(grown, 0);
                    Volatile.Write(ref _slots, grown);
                }
                slot = _usedSlots++;
            }
            _slots[slot] = client;
            return (slot, ++_generation);
        }
    }

    /// <summary>Frees a slot whose descriptors are no longer registered.</summary>
    public void Remove(int slot)
    {
        lock (_slotGate)
        {
            _slots[slot] = null;
            _freeSlots.Push(slot);
        }
    }

    public static ulong Token(int slot, uint generation, int side) => (ulong)generation << 32 | (uint)(slot << 1 | side);

    /// <summary>Asks the loop to cancel a connection (any thread).</summary>
    public void Cancel(SplicedConnection connection)
    {
        _cancelled.Enqueue(connection);
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, sizeof(ulong));
    }

    /// <summary>A direction that used its turn with data left: it runs again after the next events.</summary>
    public void Again(SplicedDirection direction) => _again.Add(direction);

    /// <summary>An empty pipe for a splicing burst: the loop's spare, else one from the shared pool.</summary>
    public bool TakePipe(out (int Read, int Write) pipe)
    {
        if (_sparePipe.Read >= 0)
        {
            pipe = _sparePipe;
            _sparePipe = (-1, -1);
            return true;
        }
        return SplicePipes.TryRent(out pipe);
    }

    /// <summary>Takes back an empty pipe.</summary>
    public void GiveBack((int Read, int Write) pipe)
    {
        if (_sparePipe.Read < 0) _sparePipe = pipe;
        else SplicePipes.Return(pipe);
    }

    private void Run()
    {
        EpollEvent* events = stackalloc EpollEvent[MaxEvents];
        while (true)
        {
            int n = Epoll.Wait(_epoll, events, MaxEvents, _again.Count > 0 ? 0 : -1);
            for (int i = 0; i < n; i++)
            {
                ulong token = events[i].Data;
                if (token == WakeToken)
                {
                    _wakePending = true;
                    continue;
                }
                var slots = Volatile.Read(ref _slots);
                int slot = (int)((uint)token >> 1);
                if (slot < slots.Length && slots[slot] is { } client && client.Generation == (uint)(token >> 32))
                    client.OnEvents((int)(token & 1), events[i].Events);
            }
            if (_again.Count > 0)
            {
                _running.AddRange(_again);
                _again.Clear();
                foreach (var direction in _running) if (!direction.Done) direction.Run();
                _running.Clear();
            }
            if (_wakePending)
            {
                _wakePending = false;
                ulong count;
                Libc.Read(_wake, (byte*)&count, sizeof(ulong));
                while (_cancelled.TryDequeue(out var connection)) connection.CancelOnLoop();
            }
        }
    }
}
