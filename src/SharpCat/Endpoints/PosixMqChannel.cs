using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// An open POSIX message queue as a channel: one read is one message (mq_receive), one write sends
/// one (mq_send) with the address's priority. The queue is non-blocking; a read or write that would
/// block waits in poll(2) on a thread of its own (.NET's engine waits only on sockets), ended early
/// by a pipe when the wait is given up. A queue has no end of file: RECEIVE ends after one message.
/// </summary>
internal sealed class PosixMqChannel(int mqd, string name, Access access, uint priority, bool oneShot, bool unlinkOnClose) : IChannel
{
    private const short POLLIN = 1, POLLOUT = 4;
    private const int EAGAIN = 11, ECANCELED = 125;
    private bool _ended, _disposed;
    // The pipes that end the waits in poll: a bidirectional queue may wait both ways at once.
    private readonly HashSet<int> _waitCancels = [];
    private readonly Lock _gate = new();

    public bool IsDatagram => true;

    public bool CanRead => (access & Access.Read) != 0;

    public bool CanWrite => (access & Access.Write) != 0;

    public int ReadFd => CanRead ? mqd : -1;

    public int WriteFd => CanWrite ? mqd : -1;

    public string Name => name;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_ended) return 0;
        while (true)
        {
            int n = Posix.MqReceive(mqd, buffer.Span, out uint prio);
            if (n >= 0)
            {
                Log.Info($"mq_receive() -> {{prio={prio}}}");
                if (oneShot) _ended = true;
                return n;
            }
            if (n != -EAGAIN) throw new PosixException($"mq_receive(mqd={mqd})", -n);
            await WaitAsync(POLLIN, ct).ConfigureAwait(false);
        }
    }

    public ValueTask WaitReadableAsync(CancellationToken ct) => _ended ? ValueTask.CompletedTask : WaitAsync(POLLIN, ct);

    /// <summary>RECEIVE waits, as socat's does, for a message before the other address opens.</summary>
    public ValueTask WaitForPeerAsync(CancellationToken ct) => oneShot ? WaitAsync(POLLIN, ct) : ValueTask.CompletedTask;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (true)
        {
            int rc = Posix.MqSend(mqd, data.Span, priority);
            if (rc == 0) return;
            if (rc != -EAGAIN) throw new PosixException($"mq_send(mqd={mqd})", -rc);
            await WaitAsync(POLLOUT, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A queue has no half-close: the reader waits for more, as with socat.</summary>
    public ValueTask ShutdownWriteAsync() => ValueTask.CompletedTask;

    /// <summary>Waits for <paramref name="events"/> on the queue without holding a pool thread's turn.</summary>
    internal async ValueTask WaitAsync(short events, CancellationToken ct)
    {
        var (cancelRead, cancelWrite) = Posix.Pipe();
        int rc;
        try
        {
            lock (_gate)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(PosixMqChannel));
                _waitCancels.Add(cancelWrite);
            }
            using (ct.UnsafeRegister(static s => Posix.TryWrite((int)s!, "x"u8), cancelWrite))
            {
                rc = await Task.Factory.StartNew(() => Posix.PollWithCancel(mqd, events, cancelRead), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate) _waitCancels.Remove(cancelWrite);
            Posix.Close(cancelRead);
            Posix.Close(cancelWrite);
        }
        ct.ThrowIfCancellationRequested();
        if (rc == -ECANCELED) throw new ObjectDisposedException(nameof(PosixMqChannel));
        if (rc < 0) throw new PosixException($"poll({{{mqd},,}},,-1)", -rc);
    }

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
            // A wait still in poll would never see the close: it is ended first.
            foreach (int cancel in _waitCancels) Posix.TryWrite(cancel, "x"u8);
        }
        if (Libc.MqClose(mqd) != 0) Log.Warn($"mq_close({mqd}): {Posix.StrError(Posix.Errno)}");
        if (unlinkOnClose && Libc.MqUnlink(name) != 0) Log.Warn($"mq_unlink(\"{name}\"): {Posix.StrError(Posix.Errno)}");
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// POSIXMQ-RECEIVE with fork: waits for a message, takes it, and hands it over as one relay's
/// first address (socat forks a child that takes it); the next one is awaited at once.
/// </summary>
internal sealed class PosixMqReceiveListener(PosixMqChannel queue, int messageSize) : IListener
{
    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        byte[] message = new byte[messageSize];
        while (true)
        {
            Log.Info($"POSIXMQ-RECEIVE: waiting for data");
            await queue.WaitAsync(1, ct).ConfigureAwait(false);
            int n = Posix.MqReceive(queue.ReadFd, message, out uint prio);
            if (n == -11) continue; // another reader took it
            if (n < 0) throw new PosixException($"mq_receive(mqd={queue.ReadFd})", -n);
            Log.Info($"mq_receive() -> {{prio={prio}}}");
            return new ReceivedMessage(message, n);
        }
    }

    public ValueTask DisposeAsync() => queue.DisposeAsync();

    /// <summary>One message taken from the queue: read once, then end of file.</summary>
    private sealed class ReceivedMessage(byte[] message, int length) : IChannel
    {
        private bool _read;

        public bool IsDatagram => true;

        public bool CanWrite => false;

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            if (_read) return ValueTask.FromResult(0);
            _read = true;
            int n = Math.Min(length, buffer.Length);
            if (n < length) Log.Warn($"POSIXMQ-RECEIVE: message of {length} bytes cut to the buffer's {n} (-b)");
            message.AsSpan(0, n).CopyTo(buffer.Span);
            return ValueTask.FromResult(n);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) =>
            throw new SharpCatException("POSIXMQ-RECEIVE is read-only");

        public ValueTask ShutdownWriteAsync() => ValueTask.CompletedTask;

        public string Describe() => "POSIXMQ-RECEIVE message";

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>POSIXMQ-SEND and -WRITE with fork: the queue opened once, a dup of it for each relay, one per interval.</summary>
internal sealed class PosixMqSendForkListener(int mqd, string name, uint priority, bool unlinkOnClose, TimeSpan interval) : IListener
{
    private const int F_DUPFD_CLOEXEC = 1030;
    private bool _started;

    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        if (_started) await Task.Delay(interval, ct).ConfigureAwait(false);
        _started = true;
        int copy = Libc.Fcntl(mqd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw Posix.Fail($"fcntl({mqd}, F_DUPFD_CLOEXEC, 0)");
        var channel = new PosixMqChannel(copy, name, Access.Write, priority, oneShot: false, unlinkOnClose);
        try
        {
            // socat's parent forks once the queue has room for a message.
            await channel.WaitAsync(4, ct).ConfigureAwait(false);
            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Libc.MqClose(mqd);
        return ValueTask.CompletedTask;
    }
}
