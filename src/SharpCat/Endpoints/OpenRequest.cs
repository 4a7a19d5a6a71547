using SharpCat.Catalog;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>Which directions the relay needs from an address.</summary>
[Flags]
public enum Access
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
    /// <summary>What the address opened before this one tells a child program (<see cref="IChannel.Variables"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Inherited { get; init; }

    public OptionSet Options => Address.Options;
    public IReadOnlyList<string> Parameters => Address.Spec.Parameters;
}

/// <summary>Opens one kind of address.</summary>
internal delegate ValueTask<IChannel> AddressOpener(OpenRequest request, CancellationToken ct);
