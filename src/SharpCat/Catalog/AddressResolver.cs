using SharpCat.Grammar;

namespace SharpCat.Catalog;

/// <summary>An address checked against the catalog: its kind and its parsed options.</summary>
internal sealed record ResolvedAddress(AddressSpec Spec, AddressKind Kind, OptionSet Options)
{
    /// <summary>The canonical keyword in socat's upper-case spelling, for messages.</summary>
    public string Name => Kind.Keyword.ToUpperInvariant();
}

/// <summary>
/// Checks a parsed address against the catalog before anything is opened: known keyword,
/// parameter count, every option known, of an accepted group, implemented and with a valid value.
/// </summary>
internal static class AddressResolver
{
    /// <summary>Checks one address.</summary>
    /// <param name="spec">The parsed address.</param>
    /// <param name="checkGroups">False under <c>-g</c>: options of other groups are let through.</param>
    /// <param name="sloppy">True under <c>-s</c>: failures to apply options are logged, not fatal.</param>
    /// <exception cref="SharpCatException">The address is not valid.</exception>
    public static ResolvedAddress Resolve(AddressSpec spec, bool checkGroups = true, bool sloppy = false)
    {
        var kind = AddressCatalog.Find(spec.Keyword)
            ?? throw new SharpCatException(spec.Keyword.Length > AddressCatalog.LongestKeyword
                ? $"address type {Diagnostics.Shown.Token(spec.Keyword)} is too long: no address type has more than {AddressCatalog.LongestKeyword} characters"
                : $"unknown device/address {Diagnostics.Shown.Token(spec.Keyword)}");
        string name = kind.Keyword.ToUpperInvariant();
        int min = kind.Parameters.Length, max = min + kind.OptionalParameters.Length;
        if (spec.Parameters.Count < min || spec.Parameters.Count > max)
            throw new SharpCatException($"{name}: wrong number of parameters ({spec.Parameters.Count} instead of {(min == max ? min.ToString() : $"{min} to {max}")})");
        if (!Endpoints.EndpointRegistry.IsImplemented(kind.Keyword))
            throw new SharpCatException($"address type {name} is not supported by this build of sharpcat");

        var resolved = new List<ResolvedOption>(spec.Options.Count);
        foreach (var opt in spec.Options)
        {
            var def = OptionCatalog.Find(opt.Name)
                ?? throw new SharpCatException(opt.Name.Length > OptionCatalog.LongestName
                    ? $"{name}: option name {Diagnostics.Shown.Token(opt.Name)} is too long: no option name has more than {OptionCatalog.LongestName} characters"
                    : $"{name}: unknown option {Diagnostics.Shown.Token(opt.Name)}");
            // socat takes APPL and PROCESS options on any address (its GROUP_ANY): on one that
            // starts no program, a PROCESS option acts on socat's own process.
            var accepted = AddressCatalog.AcceptedGroups(kind);
            if ((def.Groups & accepted & OptionGroups.Process) == 0 && def.Groups.HasFlag(OptionGroups.Process)
                && !OwnProcessOptions.Contains(def.Name))
                throw new SharpCatException($"{name}: option \"{opt.Name}\" on an address that starts no program would change sharpcat's own process, which this build does only for {string.Join(", ", OwnProcessOptions)}");
            if ((def.Groups & (accepted | OptionGroups.Appl | OptionGroups.Process)) == 0)
            {
                string why = $"{name}: option \"{opt.Name}\" does not apply to this address type (option group {GroupNames(def.Groups)}, address groups {GroupNames(kind.Groups)})";
                if (checkGroups) throw new SharpCatException(why);
                // socat opens the address and then fails with "N option(s) could not be used";
                // what no opener here would use is refused before anything is opened instead.
                if (!AppliedByFdType(def, kind)) throw new SharpCatException($"{why}, and nothing here would use it even under -g");
            }
            if (ImplementedOptions.Refused.TryGetValue(def.Name, out string? reason))
                throw new SharpCatException($"{name}: option \"{opt.Name}\" is not supported: {reason}");
            if (!OptionCatalog.IsImplemented(def))
                throw new SharpCatException($"{name}: option \"{opt.Name}\" is not supported by this build of sharpcat");
            resolved.Add(new ResolvedOption(def, opt.Name, OptionValueParser.Parse(def, opt.Name, opt.Value)));
        }
        var address = new ResolvedAddress(spec, kind, new OptionSet(resolved, sloppy));
        OptionConflicts.Check(address);
        Faults.FaultPlan.Check(address);
        return address;
    }

    /// <summary>The PROCESS options applied to sharpcat's own process when no program is started (<see cref="Relay.OwnProcess"/>).</summary>
    private static readonly string[] OwnProcessOptions = ["setsid", "netns"];

    /// <summary>
    /// What -g really lets through: options applied by what the descriptor is rather than by the
    /// address type (setsockopt on any socket, termios on any fd), where the kernel decides, as in socat.
    /// </summary>
    private static bool AppliedByFdType(OptionDef def, AddressKind kind) =>
        (Endpoints.SocketOptions.IsSocketOption(def.Name) && kind.Groups.HasFlag(OptionGroups.Socket))
        || (def.Groups.HasFlag(OptionGroups.Termios) && kind.Groups.HasFlag(OptionGroups.Fd));

    /// <summary>Group flags as socat prints them, e.g. <c>FD,NAMED</c>.</summary>
    public static string GroupNames(OptionGroups g) =>
        string.Join(',', Enum.GetValues<OptionGroups>().Where(v => v != 0 && g.HasFlag(v)).Select(v => v.ToString().ToUpperInvariant()));
}
