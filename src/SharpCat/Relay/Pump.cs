using System.Buffers;
using SharpCat.Diagnostics;

namespace SharpCat.Relay;

/// <summary>
/// Moves data in one direction: reads up to the buffer size, applies the taps (byte limit,
/// escape byte, line endings, dumps), and writes everything before reading again.
/// </summary>
internal sealed class Pump(
    OpenedEndpoint source, OpenedEndpoint sink, RelaySide side, RelayOptions options,
    TrafficDump dump, Stream? rawDump, ActivityClock clock, DirectionTally tally, Capture.CaptureConversation? capture)
{
    private const int EPIPE = 32, ECONNRESET = 104;
    private long _total;
    private long _remaining = source.ReadBehaviour.ReadBytes ?? long.MaxValue;
    // Nothing looks at the bytes and a pipe is on one side: a step is one splice(2), straight from
    // source to sink (the turns of `- -` are kept, the copy is not); it waits on a splice loop.
    private readonly bool _splice = !options.NoSplice
        && DirectSplicePump.SplicesDirectly(source, sink, dump.Enabled || rawDump is not null || capture is not null);
    private SpliceWaits? _spliceWaits;
    private bool _spliceLogged;

    /// <summary>Runs the direction to its end; <paramref name="alone"/> as for <see cref="DirectSplicePump.RunAsync"/>.</summary>
    public async Task RunAsync(CancellationToken ct, bool alone = false)
    {
        // Off the caller's thread: a pump over regular files never waits, and must not hold up the other one.
        if (!alone) await new ThreadPoolHop();
        try
        {
            while (await StepAsync(ct).ConfigureAwait(false)) { }
        }
        finally
        {
            ReleaseWaits();
        }
    }

    /// <summary>Unregisters the splice waits, before the descriptors are closed.</summary>
    public void ReleaseWaits() => _spliceWaits?.Dispose();

    /// <summary>
    /// One read and what it brings: false once the direction is done (end of file, the escape
    /// byte, <c>readbytes</c> reached, cool-write's reader gone).
    /// </summary>
    // Pooled: it runs per chunk, and completes asynchronously whenever the source is idle.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> StepAsync(CancellationToken ct)
    {
        if (_remaining <= 0) return false;
        var rb = source.ReadBehaviour;
        // An idle direction holds no buffer (DESIGN.md §8): wait first, rent after. A sink that never
        // takes data (STALL) is never read for.
        await sink.Channel.WaitWritableAsync(ct).ConfigureAwait(false);
        await source.Channel.WaitReadableAsync(ct).ConfigureAwait(false);
        if (_splice)
        {
            nint moved = await SpliceAsync(ct).ConfigureAwait(false);
            if (moved == 0) return false;
            if (moved > 0)
            {
                _total += moved;
                DirectSplicePump.Moved(source, sink, moved, clock, tally);
                return true;
            }
            // A failure (or no loop to wait on): the copying step reports it as it always does.
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(options.BufferSize);
        try
        {
            int want = (int)Math.Min(options.BufferSize, _remaining);
            int n = await source.Channel.ReadAsync(buffer.AsMemory(0, want), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (!rb.IgnoreEof) return false;
                await WaitPastEofAsync(ct).ConfigureAwait(false);
                return true;
            }
            clock.Touch();
            _remaining -= n;
            bool escaped = false;
            if (rb.Escape is byte esc)
            {
                int at = buffer.AsSpan(0, n).IndexOf(esc);
                if (at >= 0) { n = at; escaped = true; }
            }
            if (n > 0 && !await ForwardAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false)) return false;
            return !escaped;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One splice, after waiting for whichever side held it back; -1 for the copying step to take over.</summary>
    private async ValueTask<nint> SpliceAsync(CancellationToken ct)
    {
        int inFd = source.Channel.ReadFd, outFd = sink.Channel.WriteFd;
        if (!_spliceLogged) Log.Debug($"{source.Name} to {sink.Name}: splicing fd {inFd} to fd {outFd} in turns");
        _spliceLogged = true;
        while (true)
        {
            nint moved = Native.Posix.Splice(inFd, outFd, SplicePipes.Size);
            if (moved >= 0) return moved;
            int errno = Native.Posix.Errno;
            if (errno == Native.Posix.EINTR) continue;
            if (errno != Native.Posix.EAGAIN || (_spliceWaits ??= new SpliceWaits(inFd, outFd)).WaitAsync(sinkCanBeFull: true, ct) is not { } ready)
                return -1;
            await ready.ConfigureAwait(false);
        }
    }

    /// <summary>ignoreeof: the poll interval, or less when the relay moves data meanwhile.</summary>
    private async ValueTask WaitPastEofAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var transfer = clock.NextTransfer();
        await Task.WhenAny(transfer, Task.Delay(options.IgnoreEofPollInterval, wait.Token)).ConfigureAwait(false);
        wait.Cancel();
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Converts, dumps and writes one chunk; false when cool-write ended the direction.</summary>
    private async ValueTask<bool> ForwardAsync(ReadOnlyMemory<byte> chunk, CancellationToken ct)
    {
        var rb = source.ReadBehaviour;
        var wb = sink.WriteBehaviour;
        byte[]? converted = null;
        try
        {
            if (rb.LineTerminator != wb.LineTerminator)
            {
                converted = ArrayPool<byte>.Shared.Rent(chunk.Length * 2);
                chunk = converted.AsMemory(0, LineConversion.Convert(chunk.Span, converted, rb.LineTerminator, wb.LineTerminator));
            }
            if (dump.Enabled) dump.Write(side == RelaySide.Left ? '>' : '<', chunk.Span, _total);
            if (rawDump is not null)
                lock (rawDump) rawDump.Write(chunk.Span);
            clock.BeginWrite();
            try
            {
                await sink.Channel.WriteAsync(chunk, ct).ConfigureAwait(false);
            }
            catch (Native.PosixException e) when (wb.CoolWrite && e.Errno is EPIPE or ECONNRESET)
            {
                // cool-write: the reader went away; this direction ends without an error.
                Log.Notice(e.Message);
                Log.Notice($"{source.Name} to {sink.Name} is in error");
                return false;
            }
            finally
            {
                clock.EndWrite();
            }
            _total += chunk.Length;
            tally.Wrote(chunk.Length);
            // After the write: the capture shows what the sink took, not what was offered to it.
            capture?.Data(side, chunk.Span);
            Log.Info($"transferred {chunk.Length} bytes from {source.Name} to {sink.Name}");
            return true;
        }
        finally
        {
            if (converted is not null) ArrayPool<byte>.Shared.Return(converted);
        }
    }
}
