using SharpCat.Endpoints;

namespace SharpCat.Relay;

/// <summary>
/// <c>fork</c> on an address that connects (TCP, OPENSSL, …): socat's parent "keeps attempting to
/// produce more connections … by connecting in a loop", each connection getting its own relay, as
/// an accepted one does. Each connection is one open of the address, with its retry options; when
/// that fails for good, the loop ends with the error.
/// </summary>
internal sealed class ConnectLoop(OpenRequest request, AddressOpener opener) : IListener
{
    public ValueTask<IChannel> AcceptAsync(CancellationToken ct) => opener(request, ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
