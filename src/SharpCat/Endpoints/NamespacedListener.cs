using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// A listener of an address with <c>netns</c>: listening and every accept run with the namespace
/// set, so that what an accept makes (a UDP peer's own socket, a child program) is made there too.
/// </summary>
internal sealed class NamespacedListener(IListener inner, string netns) : IListener
{
    public static async ValueTask<IListener> ListenAsync(ListenerOpener listen, OpenRequest request, CancellationToken ct)
    {
        string netns = request.Options.Text("netns")!;
        NetworkNamespace.Enter(netns);
        return new NamespacedListener(await listen(request, ct).ConfigureAwait(false), netns);
    }

    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        NetworkNamespace.Enter(netns);
        return await inner.AcceptAsync(ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
