using System.Globalization;
using SharpCat.Diagnostics;

namespace SharpCat.Cli;

/// <summary>What the command line asks for besides the two addresses.</summary>
internal sealed class CommandLine
{
    public RelayOptions Relay { get; } = new() { AllowProcessReplacement = true };
    public int HelpLevel { get; set; }
    public bool ShowVersion { get; set; }
    /// <summary>The log option that chose the destination (-lf, -ly, -lm, -ls), once one has.</summary>
    public string? LogDestination { get; set; }
    /// <summary>How many levels below E the log shows: each <c>-d</c> adds one, <c>-d0</c>…<c>-d4</c> (socat 1.8) set it.</summary>
    public int DebugLevel { get; set; }
    /// <summary>A <c>-d</c> in any form was given (socat 1.8's defaults show warnings only without one).</summary>
    public bool DebugLevelGiven { get; set; }
    /// <summary>The <c>-0</c>, <c>-4</c> or <c>-6</c> given, if any: the command line wins over socat's environment variables.</summary>
    public char IpVersionOption { get; set; }
    /// <summary><c>-S</c>: the signals caught to log them before exiting (socat 1.8); null for the default set.</summary>
    public ulong? SignalMask { get; set; }
    /// <summary><c>--defaults=1.8</c>: socat 1.8's changed defaults instead of 1.7.4's (see README).</summary>
    public bool Socat18Defaults { get; set; }
    /// <summary>The <c>-T</c> value as given: what 0 and negatives mean depends on <see cref="Socat18Defaults"/>.</summary>
    public string? InactivityTimeoutText { get; set; }
    /// <summary><c>--experimental</c> (socat 1.8): nothing of SharpCat's is held back behind it.</summary>
    public bool Experimental { get; set; }
    public List<string> Addresses { get; } = [];
    /// <summary>--records: a record per connection when it ends; RecordsAsJson for --records=json.</summary>
    public bool Records { get; set; }
    public bool RecordsAsJson { get; set; }
    /// <summary>--log-format: socat's lines (the default), JSON lines or RFC 5424.</summary>
    public SocatLogFormat LogFormat { get; set; }
    /// <summary>--syslog-socket: where -ly and -lm send, instead of /dev/log.</summary>
    public string? SyslogSocket { get; set; }
    /// <summary>--explain: describe both checked addresses and exit, opening nothing.</summary>
    public bool Explain { get; set; }
    /// <summary>--progress: a pv-like line on stderr while the relay runs, when stderr is a terminal.</summary>
    public bool Progress { get; set; }
    /// <summary>--statistics: socat 1.8's figures at exit and on SIGUSR1.</summary>
    public bool Statistics { get; set; }
    /// <summary>Where <c>--metrics</c> serves Prometheus' scrapes, or null.</summary>
    public System.Net.EndPoint? MetricsEndPoint { get; set; }

    /// <summary>--control: serve toxiproxy's API here instead of relaying two addresses.</summary>
    public System.Net.EndPoint? ControlEndPoint { get; set; }

    /// <summary>--config: the control API's proxies at start (toxiproxy's config file).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>--fault-seed: the seed of the control API's toxicity draws.</summary>
    public ulong? FaultSeed { get; set; }
}

/// <summary>
/// Parses socat's global options. Values may be attached (<c>-b65536</c>, <c>-lffile</c>) or
/// separate (<c>-b 65536</c>); options end at the first argument that is not one, or at <c>-</c>
/// and <c>-,…</c>/<c>-:…</c> (the STDIO address).
/// </summary>
internal static class GlobalOptions
{
    /// <summary>
    /// Parses the command line; the <c>-l…</c> options configure <paramref name="logging"/> as they
    /// come (a log file named before a bad option receives its message, as in socat). Without a
    /// provider they are checked only: no log file is opened (the fuzz tests).
    /// </summary>
    internal static CommandLine Parse(string[] args, SocatLoggerProvider? logging)
    {
        var cl = new CommandLine();
        int i = 0;
        while (i < args.Length && args[i].Length > 1 && args[i][0] == '-' && args[i][1] is not (',' or ':' or '!'))
        {
            string a = args[i++];
            string Value(int skip)
            {
                if (a.Length > skip) return a[skip..];
                if (i < args.Length) return args[i++];
                throw new SharpCatException($"option \"{a}\" requires an argument; use option \"-h\" for help");
            }
            switch (a[1])
            {
                case 'V': Expect(a, "-V"); cl.ShowVersion = true; break;
                case 'h' or '?':
                    // socat reads ? as h: -??, -h? and -??? are -hh, -hh and -hhh (socat's test.sh
                    // probes for an option with -???; an unquoted -??? that matches no file name
                    // reaches us as written).
                    for (int at = 2; at < a.Length; at++)
                        if (a[at] is not ('h' or '?')) throw Unexpected(a, at);
                    cl.HelpLevel = Math.Max(cl.HelpLevel, Math.Min(a.Length - 1, 3));
                    break;
                case 'd':
                    cl.DebugLevelGiven = true;
                    // socat 1.8: -d0 … -d4 set the level (0: errors only, 4: debug); -d, -dd… add to it.
                    if (a.Length > 2 && (char.IsAsciiDigit(a[2]) || a[2] == '-'))
                    {
                        if (a.Length != 3 || a[2] is < '0' or > '4')
                            throw new SharpCatException($"unknown option {Shown.Token(a)}: after -d comes more d's or one level 0 to 4 (-d0 errors only … -d4 debug); use option \"-h\" for help");
                        cl.DebugLevel = a[2] - '0';
                        break;
                    }
                    ExpectRepeated(a);
                    cl.DebugLevel += a.Length - 1;
                    break;
                case 'D': Expect(a, "-D"); cl.Relay.AnalyzeFds = true; break;
                case 'l':
                    if (a.Length > 2 && a[2] is 'f' or 'y' or 'm' or 's')
                    {
                        // socat switches to the last one, after the first was opened (a log file
                        // created for nothing); checked before this one opens anything.
                        if (cl.LogDestination is { } first && !(first == "-ls" && a == "-ls"))
                            throw new SharpCatException($"option \"{a}\": only one log destination (-lf, -ly, -lm, -ls) allowed, \"{first}\" was given before");
                        cl.LogDestination = a;
                    }
                    ParseLogOption(a, Value, logging, cl);
                    break;
                case 'v': Expect(a, "-v"); cl.Relay.VerboseText = true; break;
                case 'x': Expect(a, "-x"); cl.Relay.VerboseHex = true; break;
                case 'r': cl.Relay.RawDumpLeftToRight = Value(2); break;
                case 'R': cl.Relay.RawDumpRightToLeft = Value(2); break;
                case 'b': cl.Relay.BufferSize = ParseBufferSize(Value(2)); break;
                case 's': Expect(a, "-s"); cl.Relay.Sloppy = true; break;
                case 't': cl.Relay.CloseTimeout = ParseSeconds("-t", Value(2)); break;
                case 'T':
                    cl.InactivityTimeoutText = Value(2);
                    // Checked now, so that a bad value is reported where socat reports it.
                    InactivityTimeout(cl.InactivityTimeoutText, socat18: true);
                    break;
                case 'u' or 'U':
                    Expect(a, a[1] == 'u' ? "-u" : "-U");
                    var wanted = a[1] == 'u' ? RelayDirection.LeftToRight : RelayDirection.RightToLeft;
                    if (cl.Relay.Direction != RelayDirection.Both && cl.Relay.Direction != wanted)
                        throw new SharpCatException("-U and -u must not be combined");
                    cl.Relay.Direction = wanted;
                    break;
                case 'g': Expect(a, "-g"); cl.Relay.CheckOptionGroups = false; break;
                case 'L' or 'W':
                    // As socat: one lock, taken one way.
                    if (cl.Relay.GlobalLockFile is not null) throw new SharpCatException("only one -L and -W option allowed");
                    cl.Relay.GlobalLockFile = Value(2);
                    cl.Relay.WaitForLock = a[1] == 'W';
                    break;
                case '0' or '4' or '6':
                    Expect(a, "-" + a[1]);
                    // socat silently keeps the last; a script that says two has a mistake in it.
                    if (cl.IpVersionOption != 0 && cl.IpVersionOption != a[1])
                        throw new SharpCatException($"-{cl.IpVersionOption} and {a} must not be combined");
                    cl.IpVersionOption = a[1];
                    // -0 (socat 1.8): no preference; a listener that names no version serves both.
                    cl.Relay.PreferredIpVersion = a[1] - '0';
                    cl.Relay.ListenIpVersion = a[1] - '0';
                    cl.Relay.ListenOnBothIpVersions = a[1] == '0';
                    break;
                case 'S': cl.SignalMask = SignalMask.Parse(Value(2)); break;
                case '-': LongOptions.Apply(a, cl); break;
                default: throw Unknown(a);
            }
        }
        cl.Addresses.AddRange(args.Skip(i));
        // What --defaults changes, wherever on the command line it came.
        if (cl.InactivityTimeoutText is { } total) cl.Relay.InactivityTimeout = InactivityTimeout(total, cl.Socat18Defaults);
        cl.Relay.ReuseAddressOnTcpListeners = cl.Socat18Defaults;
        return cl;
    }

    /// <summary>
    /// -T: socat 1.7.4 takes 0 for no timeout (and fails on a negative one at its first poll);
    /// socat 1.8 (since 1.8.0.1) takes 0 as 0 seconds and a negative value for none.
    /// </summary>
    private static TimeSpan? InactivityTimeout(string text, bool socat18)
    {
        bool negative = socat18 && text.StartsWith('-');
        var seconds = ParseSeconds("-T", negative ? text[1..] : text);
        if (negative) return null;
        return seconds == TimeSpan.Zero && !socat18 ? null : seconds;
    }

    private static void ParseLogOption(string a, Func<int, string> value, SocatLoggerProvider? logging, CommandLine cl)
    {
        if (a.Length < 3) throw UnknownLog(a);
        switch (a[2])
        {
            case 'y' or 'm':
                string? facility = a.Length > 3 ? a[3..] : null;
                if (logging is not null) logging.WriteToSyslog(facility, mixed: a[2] == 'm');
                else if (facility is not null) SyslogFacilities.Parse(facility);
                break;
            case 'f':
                string path = value(3);
                logging?.WriteToFile(path);
                break;
            case 's': if (a != "-ls") throw UnknownLog(a); break;
            case 'p':
                string name = value(3);
                if (logging is not null) logging.ProgramName = name;
                // socat's program name is also the daemon name of its TCP wrappers' rules.
                cl.Relay.TcpWrappersName = name;
                break;
            case 'u': if (a != "-lu") throw UnknownLog(a); if (logging is not null) logging.Microseconds = true; break;
            case 'h': if (a != "-lh") throw UnknownLog(a); if (logging is not null) logging.WithHostName = true; break;
            default: throw UnknownLog(a);
        }
    }

    private static void Expect(string a, string exact)
    {
        if (a == exact) return;
        throw a.StartsWith(exact, StringComparison.Ordinal) ? Unexpected(a, exact.Length) : Unknown(a);
    }

    /// <summary>-d, -dd, -ddd…: the letter again and nothing else.</summary>
    private static void ExpectRepeated(string a)
    {
        int end = 2;
        while (end < a.Length && a[end] == a[1]) end++;
        if (end < a.Length) throw Unexpected(a, end);
    }

    private static SharpCatException UnknownLog(string a) => new($"unknown log option {Shown.Token(a)}; use option \"-h\" for help");

    private static SharpCatException Unknown(string a) => new($"unknown option {Shown.Token(a)}; use option \"-h\" for help");

    // socat says only "unknown option": say which part is wrong (-dx, -d3, -vv).
    private static SharpCatException Unexpected(string a, int valid) =>
        new($"unknown option {Shown.Token(a)}: unexpected text {Shown.Token(a[valid..])} after {a[..valid]}; use option \"-h\" for help");

    private static int ParseBufferSize(string text)
    {
        const int Max = 1 << 30;
        // A number too large for a long is still a size that is too big, as socat says it
        // (in its words, which its tests look for).
        bool digits = text.Length > 0 && text.All(char.IsAsciiDigit);
        if ((!Catalog.OptionValueParser.TryParseC(text, out long n) && digits) || n > Max)
            throw new SharpCatException($"buffer size option (-b) to big - {text} (max is {Max})");
        if (n < 1 || !Catalog.OptionValueParser.TryParseC(text, out _))
            throw new SharpCatException($"option -b: invalid buffer size \"{text}\" (1 to {Max} bytes)");
        return (int)n;
    }

    private static TimeSpan ParseSeconds(string flag, string text)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || !double.IsFinite(s) || s > 1e9)
            throw new SharpCatException($"option {flag}: invalid time \"{text}\" (seconds, e.g. 0.5)");
        return TimeSpan.FromSeconds(s);
    }
}
