using SharpCat.Catalog;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>Which directions the relay needs from an address.</summary>
[Flags]
internal enum Access
{
    /// <summary>The relay reads from the address.</summary>
    Read = 1,
    /// <summary>The relay writes to the address.</summary>
    Write = 2,
    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>Everything an address opener needs: the checked address, the directions needed and the relay settings.</summary>
internal sealed record OpenRequest(ResolvedAddress Address, Access Access, RelayOptions Relay)
{
    /// <summary>
    /// The address opened before this one, whose <see cref="IChannel.Variables"/> a child program is
    /// told (read only by the addresses that start one, so that no other relay pays for them).
    /// </summary>
    public IChannel? OpenedBefore { get; init; }

    /// <summary>
    /// False when a layer above retries the whole open itself (a TLS client retries its handshake
    /// with the connect, as socat does): the connect then makes one attempt.
    /// </summary>
    public bool RetriesConnect { get; init; } = true;

    /// <summary>
    /// Opened for one relay of a forking address (socat's child): an inherited fd such as stdout is
    /// then used, not closed, since the next relay uses it too (socat's parent keeps its copy open).
    /// </summary>
    public bool Forked { get; init; }

    public OptionSet Options => Address.Options;
    public IReadOnlyList<string> Parameters => Address.Spec.Parameters;
}

/// <summary>Opens one kind of address.</summary>
internal delegate ValueTask<IChannel> AddressOpener(OpenRequest request, CancellationToken ct);
