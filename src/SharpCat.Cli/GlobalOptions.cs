using System.Globalization;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Cli;

/// <summary>What the command line asks for besides the two addresses.</summary>
internal sealed class CommandLine
{
    public RelayOptions Relay { get; } = new() { AllowProcessReplacement = true };
    public int HelpLevel { get; set; }
    public bool ShowVersion { get; set; }
    public string? LockFile { get; set; }
    public string? WaitLockFile { get; set; }
    public int DebugLevel { get; set; }
    public List<string> Addresses { get; } = [];
}

/// <summary>
/// Parses socat's global options. Values may be attached (<c>-b65536</c>, <c>-lffile</c>) or
/// separate (<c>-b 65536</c>); options end at the first argument that is not one, or at <c>-</c>
/// and <c>-,…</c>/<c>-:…</c> (the STDIO address).
/// </summary>
internal static class GlobalOptions
{
    public static CommandLine Parse(string[] args) => Parse(args, applyLogOptions: true);

    /// <summary>
    /// With <paramref name="applyLogOptions"/> false the <c>-l…</c> options are checked but not
    /// applied: no log file is opened and no process-wide log setting changes (the fuzz tests).
    /// </summary>
    internal static CommandLine Parse(string[] args, bool applyLogOptions)
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
                    if (a.Trim('-', 'h').Length > 0 && a != "-?") throw Unknown(a);
                    cl.HelpLevel = Math.Max(cl.HelpLevel, a == "-?" ? 1 : a.Length - 1);
                    break;
                case 'd':
                    if (a.Trim('-', 'd').Length > 0) throw Unknown(a);
                    cl.DebugLevel += a.Length - 1;
                    break;
                case 'D': Expect(a, "-D"); cl.Relay.AnalyzeFds = true; break;
                case 'l': ParseLogOption(a, Value, applyLogOptions); break;
                case 'v': Expect(a, "-v"); cl.Relay.VerboseText = true; break;
                case 'x': Expect(a, "-x"); cl.Relay.VerboseHex = true; break;
                case 'r': cl.Relay.RawDumpLeftToRight = Value(2); break;
                case 'R': cl.Relay.RawDumpRightToLeft = Value(2); break;
                case 'b': cl.Relay.BufferSize = ParseBufferSize(Value(2)); break;
                case 's': Expect(a, "-s"); cl.Relay.Sloppy = true; break;
                case 't': cl.Relay.CloseTimeout = ParseSeconds("-t", Value(2)); break;
                case 'T': cl.Relay.InactivityTimeout = ParseSeconds("-T", Value(2)); break;
                case 'u' or 'U':
                    Expect(a, a[1] == 'u' ? "-u" : "-U");
                    var wanted = a[1] == 'u' ? RelayDirection.LeftToRight : RelayDirection.RightToLeft;
                    if (cl.Relay.Direction != RelayDirection.Both && cl.Relay.Direction != wanted)
                        throw new SharpCatException("-U and -u must not be combined");
                    cl.Relay.Direction = wanted;
                    break;
                case 'g': Expect(a, "-g"); cl.Relay.CheckOptionGroups = false; break;
                case 'L': cl.LockFile = Value(2); break;
                case 'W': cl.WaitLockFile = Value(2); break;
                case '4': Expect(a, "-4"); cl.Relay.PreferredIpVersion = 4; break;
                case '6': Expect(a, "-6"); cl.Relay.PreferredIpVersion = 6; break;
                default: throw Unknown(a);
            }
        }
        cl.Addresses.AddRange(args.Skip(i));
        return cl;
    }

    private static void ParseLogOption(string a, Func<int, string> value, bool apply)
    {
        if (a.Length < 3) throw UnknownLog(a);
        switch (a[2])
        {
            case 'y' or 'm':
                string? facility = a.Length > 3 ? a[3..] : null;
                if (apply) Log.ToSyslog(facility, mixed: a[2] == 'm');
                else if (facility is not null) SyslogFacilities.Parse(facility);
                break;
            case 'f':
                string path = value(3);
                if (apply) Log.ToFile(path);
                break;
            case 's': if (a != "-ls") throw UnknownLog(a); break;
            case 'p':
                string name = value(3);
                if (apply) Log.ProgramName = name;
                break;
            case 'u': if (a != "-lu") throw UnknownLog(a); if (apply) Log.Microseconds = true; break;
            case 'h': if (a != "-lh") throw UnknownLog(a); if (apply) Log.WithHostName = true; break;
            default: throw UnknownLog(a);
        }
    }

    private static void Expect(string a, string exact)
    {
        if (a != exact) throw Unknown(a);
    }

    private static SharpCatException UnknownLog(string a) => new($"unknown log option \"{a}\"; use option \"-h\" for help");

    private static SharpCatException Unknown(string a) => new($"unknown option \"{a}\"; use option \"-h\" for help");

    private static int ParseBufferSize(string text)
    {
        if (!Catalog.OptionValueParser.TryParseC(text, out long n) || n < 1 || n > 1 << 30)
            throw new SharpCatException($"option -b: invalid buffer size \"{text}\" (1 to {1 << 30} bytes)");
        return (int)n;
    }

    private static TimeSpan ParseSeconds(string flag, string text)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || !double.IsFinite(s) || s > 1e9)
            throw new SharpCatException($"option {flag}: invalid time \"{text}\" (seconds, e.g. 0.5)");
        return TimeSpan.FromSeconds(s);
    }
}
