using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using SharpCat.Endpoints;
using SharpCat.Relay;

namespace SharpCat.WebSockets;

/// <summary>
/// A forking WebSocket listener's opening handshakes, side by side: a client that is slow to send
/// its request (or sends none until ws-handshake-timeout) holds up no other. At most
/// <see cref="MaxHandshakes"/> connections are in a handshake or waiting for the relay to take them;
/// an accept that fails (out of descriptors, accept-timeout) reaches the relay as it would from the
/// transport, and the next accept starts over.
/// </summary>
internal sealed class ConcurrentHandshakes(IListener transport, WebSocketSettings settings, string name) : IListener
{
    private const int MaxHandshakes = 16;

    private readonly Channel<(IChannel? Channel, Exception? Error)> _done = Channel.CreateUnbounded<(IChannel?, Exception?)>();
    private readonly SemaphoreSlim _slots = new(MaxHandshakes);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        if (_accepting is null || _accepting.IsCompleted) _accepting = Task.Run(() => AcceptLoopAsync(_stop.Token));
        var (channel, error) = await _done.Reader.ReadAsync(ct).ConfigureAwait(false);
        _slots.Release();
        if (error is not null) ExceptionDispatchInfo.Throw(error);
        return channel!;
    }

    private async Task AcceptLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
                IChannel accepted;
                try
                {
                    accepted = await transport.AcceptAsync(stop).ConfigureAwait(false);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // The relay decides (backs off, or ends); its next accept starts a new loop.
                    _done.Writer.TryWrite((null, e));
                    return;
                }
                _ = HandshakeAsync(accepted, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task HandshakeAsync(IChannel accepted, CancellationToken stop)
    {
        IChannel? channel = null;
        try
        {
            channel = await ServerHandshake.RunAsync(accepted, settings, name, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The listener is closing: the handshake disposed its connection.
        }
        if (channel is null) _slots.Release();
        else if (!_done.Writer.TryWrite((channel, null))) await channel.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _done.Writer.TryComplete();
        if (_accepting is not null) await _accepting.ConfigureAwait(false);
        // Handshaken connections no relay took are closed with the listener.
        while (_done.Reader.TryRead(out var left))
            if (left.Channel is not null) await left.Channel.DisposeAsync().ConfigureAwait(false);
        await transport.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
