using SharpCat.Diagnostics;

namespace SharpCat.Cli;

/// <summary>
/// The <c>--name[=value]</c> global options, in the style of socat 1.8's: one row each, what it
/// takes and what it sets. (socat 1.7.4 has none; every one here is SharpCat's or 1.8's.)
/// </summary>
internal static class LongOptions
{
    /// <summary>How an option takes its value: none, optional (<c>--x</c> or <c>--x=v</c>), or required.</summary>
    private enum Takes { Nothing, Optional, Required }

    private sealed record Row(string Name, Takes Value, Action<CommandLine, string?> Apply, string Help);

    private static readonly Row[] Table =
    [
        new("propagate-reset", Takes.Nothing, (cl, _) => cl.Relay.PropagateReset = true,
            "a peer's reset resets the other side too (socat sends a clean end of file)"),
        new("pcap", Takes.Required, (cl, file) => cl.Relay.CaptureFile = file,
            "write what the relay moves to this pcapng file, one TCP conversation per connection (Wireshark)"),
    ];

    /// <summary>The help lines, one per option.</summary>
    public static IEnumerable<(string Usage, string Help)> Usage =>
        Table.Select(r => (r.Value switch
        {
            Takes.Nothing => $"--{r.Name}",
            Takes.Optional => $"--{r.Name}[=<value>]",
            _ => $"--{r.Name}=<value>",
        }, r.Help));

    /// <summary>Applies one <c>--</c> argument.</summary>
    /// <exception cref="SharpCatException">Unknown, or its value is missing, unexpected or wrong.</exception>
    public static void Apply(string argument, CommandLine cl)
    {
        int eq = argument.IndexOf('=');
        string name = eq < 0 ? argument[2..] : argument[2..eq];
        string? value = eq < 0 ? null : argument[(eq + 1)..];
        var row = Array.Find(Table, r => r.Name == name)
            ?? throw new SharpCatException($"unknown option {Shown.Token(argument)}; use option \"-h\" for help");
        if (value is not null && row.Value == Takes.Nothing)
            throw new SharpCatException($"option --{name} takes no value ({Shown.Token(value)} given)");
        if (value is null && row.Value == Takes.Required)
            throw new SharpCatException($"option --{name} requires a value: --{name}=<value>");
        row.Apply(cl, value);
    }
}
