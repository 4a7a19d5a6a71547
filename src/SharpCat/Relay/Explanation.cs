using System.Globalization;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Endpoints;

namespace SharpCat.Relay;

/// <summary>
/// What a checked relay will do, in words, without opening anything (<c>--explain</c>): each
/// address's type, parameters and options as the catalog read them (canonical name, value,
/// group, phase, type), and the relay-wide settings. An address that is refused never gets here:
/// its check's error says why.
/// </summary>
internal static class Explanation
{
    // Addresses whose fork is not a listener's: a message queue serves messages, or sends in a loop.
    private static readonly Dictionary<string, (string Once, string Forking)> ForkMeanings = new(StringComparer.Ordinal)
    {
        ["posixmq-receive"] = ("; waits for one message and ends", "; with fork, every message is a relay of its own"),
        ["posixmq-send"] = ("", "; with fork, a relay of its own every interval"),
        ["posixmq-write"] = ("", "; with fork, a relay of its own every interval"),
    };

    public static string Build(RelayPlan plan)
    {
        var sb = new StringBuilder();
        Address(sb, 1, plan.Left, plan.LeftAccess, plan.ForkSide == 1);
        Address(sb, 2, plan.Right, plan.RightAccess, plan.ForkSide == 2);
        var o = plan.Options;
        sb.Append("relay: ").Append(o.Direction switch
        {
            RelayDirection.LeftToRight => "address 1 to address 2 only (-u)",
            RelayDirection.RightToLeft => "address 2 to address 1 only (-U)",
            _ => "both directions",
        }).Append(", up to ").Append(o.BufferSize).Append(" bytes per read (-b)");
        sb.Append(", after an end of file the other direction may stay silent ").Append(Seconds(o.CloseTimeout)).Append(" (-t)");
        sb.Append(o.InactivityTimeout is { } idle ? $", ends after {Seconds(idle)} without data (-T)" : ", no inactivity timeout (-T)").Append('\n');
        if (plan.ForkSide == 0) sb.Append("  one connection: the relay ends when it does\n");
        else sb.Append("  address ").Append(plan.ForkSide)
            .Append(" has fork: every connection it yields gets its own relay in this process, opening the other address anew\n");
        return sb.ToString();
    }

    private static void Address(StringBuilder sb, int index, (ResolvedAddress Read, ResolvedAddress? Write) address, Access access, bool forks)
    {
        sb.Append("address ").Append(index).Append(": ").Append(address.Read.Spec.Text);
        if (address.Write is { } w) sb.Append("!!").Append(w.Spec.Text);
        sb.Append('\n');
        if (address.Write is null) Single(sb, "  ", address.Read, access, forks);
        else
        {
            sb.Append("  read from:\n");
            Single(sb, "    ", address.Read, Access.Read, forks);
            sb.Append("  written to:\n");
            Single(sb, "    ", address.Write, Access.Write, forks);
        }
    }

    private static void Single(StringBuilder sb, string indent, ResolvedAddress address, Access access, bool forks)
    {
        var kind = address.Kind;
        sb.Append(indent).Append("type ").Append(address.Name);
        if (!string.Equals(address.Spec.Keyword, kind.Keyword, StringComparison.OrdinalIgnoreCase))
            sb.Append(" (written ").Append(address.Spec.Keyword).Append(')');
        sb.Append(", option groups ").Append(Groups(kind.Groups)).Append('\n');
        var names = kind.Parameters.Concat(kind.OptionalParameters).ToArray();
        for (int i = 0; i < address.Spec.Parameters.Count; i++)
            sb.Append(indent).Append("  ").Append(i < names.Length ? names[i] : $"parameter {i + 1}").Append(": ").Append(address.Spec.Parameters[i]).Append('\n');
        sb.Append(indent).Append("  used for: ").Append(access switch
        {
            Access.Read => "reading only",
            Access.Write => "writing only",
            _ => "reading and writing",
        });
        if (ForkMeanings.TryGetValue(kind.Keyword, out var meaning)) sb.Append(forks ? meaning.Forking : meaning.Once);
        else if (EndpointRegistry.Listens(kind.Keyword)) sb.Append(forks ? "; listens, and serves every connection" : "; listens, and serves one connection");
        else if (forks) sb.Append("; with fork, opens again as soon as it has opened (a loop)");
        sb.Append('\n');
        if (address.Options.All.Count == 0) sb.Append(indent).Append("  no options\n");
        foreach (var option in address.Options.All)
        {
            var def = option.Def;
            sb.Append(indent).Append("  option ").Append(def.Name);
            if (!string.Equals(option.Spelling, def.Name, StringComparison.OrdinalIgnoreCase)) sb.Append(" (written ").Append(option.Spelling).Append(')');
            sb.Append(" = ").Append(def.Type == OptionType.ModeT && option.Value is IConvertible mode
                    ? "0" + Convert.ToString(mode.ToInt64(CultureInfo.InvariantCulture), 8) : Value(option.Value))
              .Append("; group ").Append(Groups(def.Groups & (kind.Groups | OptionGroups.Appl)) is { Length: > 0 } g ? g : Groups(def.Groups))
              .Append(", applied in phase ").Append(def.Phase.ToString().ToUpperInvariant())
              .Append(", type ").Append(def.Type.ToString().ToUpperInvariant()).Append('\n');
        }
    }

    private static string Value(object? value) => value switch
    {
        null => "(set)",
        bool b => b ? "1" : "0",
        string s => $"\"{s}\"",
        byte[] bytes => "x" + Convert.ToHexString(bytes).ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Groups(OptionGroups groups) =>
        string.Join(",", Enum.GetValues<OptionGroups>().Where(g => g != 0 && System.Numerics.BitOperations.PopCount((ulong)g) == 1 && groups.HasFlag(g))
            .Select(g => g.ToString().ToUpperInvariant()));

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture) + " s";
}
