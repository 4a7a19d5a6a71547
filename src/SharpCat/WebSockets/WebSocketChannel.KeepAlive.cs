using System.Diagnostics;
using SharpCat.Diagnostics;

namespace SharpCat.WebSockets;

/// <summary>
/// ws-ping-interval and ws-ping-timeout: a ping after a quiet spell, and a WebSocket that fails when
/// its peer stays silent after one (a peer gone without a close, a NAT that dropped the flow). Off
/// unless asked: without them the channel has no timer, and reads are not linked to a cut.
/// </summary>
internal sealed partial class WebSocketChannel
{
    private const int InternalError = 1011;

    private Task? _keepAlive;
    private CancellationTokenSource? _keepAliveStop;
    // Cancelled when the keep-alive gives up: it ends the read that waits for a silent peer.
    private CancellationTokenSource? _cut;
    private long _lastHeard;

    private void StartKeepAlive(TimeSpan interval, TimeSpan? timeout)
    {
        _lastHeard = Stopwatch.GetTimestamp();
        _keepAliveStop = new CancellationTokenSource();
        _cut = new CancellationTokenSource();
        _keepAlive = Task.Run(() => KeepAliveAsync(interval, timeout, _keepAliveStop.Token));
    }

    private void Heard()
    {
        if (_keepAlive is not null) Volatile.Write(ref _lastHeard, Stopwatch.GetTimestamp());
    }

    private async Task KeepAliveAsync(TimeSpan interval, TimeSpan? timeout, CancellationToken stop)
    {
        try
        {
            long pings = 0;
            while (!_closeSent && !_readDone)
            {
                var quiet = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeard));
                if (quiet < interval)
                {
                    await Task.Delay(interval - quiet, stop).ConfigureAwait(false);
                    continue;
                }
                long sent = Stopwatch.GetTimestamp();
                await SendAsync(Opcode.Ping, BitConverter.GetBytes(++pings), stop).ConfigureAwait(false);
                Log.Debug($"{_name}: ping {pings} after {quiet.TotalSeconds:0.###} s without a byte from the peer");
                if (timeout is not { } wait)
                {
                    await Task.Delay(interval, stop).ConfigureAwait(false);
                    continue;
                }
                await Task.Delay(wait, stop).ConfigureAwait(false);
                if (Volatile.Read(ref _lastHeard) >= sent || _closeSent || _readDone) continue;
                _failure = new SharpCatException($"{_name}: nothing from the peer within {wait.TotalSeconds:0.###} s of a ping (ws-ping-timeout); "
                    + $"closed the WebSocket with {InternalError} ({WebSocketFrame.CloseCodeName(InternalError)})");
                await CloseQuietlyAsync(InternalError, "keepalive ping timeout").ConfigureAwait(false);
                _cut!.Cancel();
                return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SharpCatException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The connection failed under the ping: the relay's own read or write reports it.
            Log.Debug($"{_name}: keep-alive ended: {e.Message}");
        }
    }

    private async ValueTask<int> ReadCuttableAsync(Memory<byte> buffer, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _cut!.Token);
        try
        {
            return await ReadPayloadAsync(buffer, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_failure is not null && !ct.IsCancellationRequested)
        {
            throw _failure;
        }
    }

    private async ValueTask WaitReadableCuttableAsync(CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _cut!.Token);
        try
        {
            await _inner.WaitReadableAsync(both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_failure is not null && !ct.IsCancellationRequested)
        {
            throw _failure;
        }
    }

    private async ValueTask StopKeepAliveAsync()
    {
        if (_keepAlive is null) return;
        _keepAliveStop!.Cancel();
        await _keepAlive.ConfigureAwait(false);
        _keepAliveStop.Dispose();
        _cut!.Dispose();
    }
}
