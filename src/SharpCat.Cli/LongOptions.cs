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

    private sealed record Row(string Name, Takes Value, Action<CommandLine, string?> Apply, string Help, string ValueName = "<value>");

    private static readonly Row[] Table =
    [
        new("propagate-reset", Takes.Nothing, (cl, _) => cl.Relay.PropagateReset = true,
            "a peer's reset resets the other side too (socat sends a clean end of file)"),
        new("records", Takes.Optional, (cl, v) =>
            {
                cl.Records = true;
                cl.RecordsAsJson = OneOf("records", v ?? "text", ["text", "json"]) == "json";
            },
            "a record of each connection when it ends (addresses, bytes, how each way ended); =json for JSON lines"),
        new("explain", Takes.Nothing, (cl, _) => cl.Explain = true,
            "print what each address will do (type, parameters, every option with its group and phase) and exit, opening nothing"),
        new("progress", Takes.Nothing, (cl, _) => cl.Progress = true,
            "when stderr is a terminal, a line with the bytes moved each way, the rate, and the share done and time left where the size is known (like pv)"),
        new("defaults", Takes.Required, (cl, v) => cl.Socat18Defaults = OneOf("defaults", v!, ["1.7.4", "1.8"]) == "1.8",
            "1.8: socat 1.8's defaults (warnings shown, SO_REUSEADDR on TCP listeners, -T 0 is 0 s); 1.7.4 (the default): 1.7.4's", "<version>"),
        new("experimental", Takes.Nothing, (cl, _) => cl.Experimental = true,
            "socat 1.8's switch for its experimental features; everything of this build works without it"),
        new("statistics", Takes.Nothing, (cl, _) => cl.Statistics = true,
            "at exit and on SIGUSR1, log the writes and bytes each way (socat 1.8's --statistics)"),
        new("log-format", Takes.Required, (cl, v) =>
                cl.LogFormat = OneOf("log-format", v!, ["socat", "json", "rfc5424"]) switch
                {
                    "json" => SocatLogFormat.Json,
                    "rfc5424" => SocatLogFormat.Rfc5424,
                    _ => SocatLogFormat.Socat,
                },
            "socat (the default), json (every line a JSON object) or rfc5424 (syslog messages with structured data)"),
        new("syslog-socket", Takes.Required, (cl, path) => cl.SyslogSocket = path,
            "the syslog daemon's socket for -ly and -lm (default /dev/log)", "<path>"),
        new("metrics", Takes.Required, (cl, v) => cl.MetricsEndPoint = Http.HttpServer.ParseAddress(v!, "--metrics"),
            "serve Prometheus metrics at http://host:port/metrics (host 127.0.0.1 unless given)", "[<host>:]<port>"),
        new("control", Takes.Required, (cl, v) => cl.ControlEndPoint = Http.HttpServer.ParseAddress(v!, "--control"),
            "no addresses: serve toxiproxy's HTTP API (proxies and toxics, each proxy a relay) at http://host:port (host 127.0.0.1 unless given)", "[<host>:]<port>"),
        new("config", Takes.Required, (cl, file) => cl.ConfigFile = file,
            "with --control: make the proxies of this toxiproxy config file (a JSON array of proxies) at start", "<file>"),
        new("fault-seed", Takes.Required, (cl, v) => cl.FaultSeed = ulong.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong seed)
                ? seed : throw new SharpCatException($"option --fault-seed: {Shown.Token(v!)} is not a number"),
            "with --control: the seed of the toxics' draws (toxicity), so that a run can be replayed", "<number>"),
        new("pcap", Takes.Required, (cl, file) => cl.Relay.CaptureFile = file,
            "write what the relay moves to this pcapng file, one TCP conversation per connection (Wireshark)", "<file>"),
    ];

    private static string OneOf(string name, string value, string[] allowed) =>
        allowed.Contains(value) ? value
            : throw new SharpCatException($"option --{name}: {Shown.Token(value)} is not one of {string.Join(", ", allowed)}");

    /// <summary>The help lines, one per option.</summary>
    public static IEnumerable<(string Usage, string Help)> Usage =>
        Table.Select(r => (r.Value switch
        {
            Takes.Nothing => $"--{r.Name}",
            Takes.Optional => $"--{r.Name}[={r.ValueName}]",
            _ => $"--{r.Name}={r.ValueName}",
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
            throw new SharpCatException($"option --{name} requires a value: --{name}={row.ValueName}");
        row.Apply(cl, value);
    }
}
