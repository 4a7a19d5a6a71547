using System.Text;
using SharpCat.Catalog;
using SharpCat.Endpoints;

namespace SharpCat.Cli;

/// <summary>
/// <c>-h</c>, <c>-hh</c>, <c>-hhh</c>: usage, the address types with their option groups, then
/// (<c>-hh</c>) the options with group, phase and type, and (<c>-hhh</c>) every alias as well.
/// The layout follows socat's so that its users find their way; the words are ours.
/// </summary>
internal static class HelpText
{
    private const string Usage = """
        sharpcat - relays data between two addresses, socat-compatible
        Usage:
        sharpcat [options] <bi-address> <bi-address>
           options:
              -V     print the version and the feature list to stdout, and exit
              -h|-?  print this help: options and address types
              -hh    like -h, and list the common address options
              -hhh   like -hh, and list every address option and alias
              -d[ddd]         more log messages (up to 4 times: warnings, notices, info, debug)
              -D     describe the file descriptors before the transfer starts
              -ly[facility]  log to syslog, with this facility (daemon by default)
              -lf<logfile>   log to this file
              -ls            log to stderr (the default)
              -lm[facility]  log to stderr while starting, then to syslog
              -lp<progname>  program name in log lines
              -lu            microseconds in log timestamps
              -lh            host name in log lines
              -v     dump the transferred data as text to stderr
              -x     dump the transferred data as hex to stderr
              -r <file>      copy the data moving from left to right into this file
              -R <file>      copy the data moving from right to left into this file
              -b<size_t>     data buffer size (8192)
              -s     sloppy: log errors of options and go on
              -t<timeout>    after one side's EOF, seconds the other may stay silent before it is closed (0.5)
              -T<timeout>    end the relay after this many seconds without data
              -u     one direction only: left to right
              -U     one direction only: right to left
              -g     do not check option groups
              -L <lockfile>  take this lock file, or fail if it is held
              -W <lockfile>  take this lock file, waiting while it is held
              -4     prefer IPv4 when an address does not say
              -6     prefer IPv6 when an address does not say
        {LongOptions}
           bi-address:
              <single-address>!!<single-address>    read from the first, write to the second
              <single-address>
           single-address:
              <address-head>[,<opts>]
           address-head (types marked * are not in this build yet):

        """;

    public static string Build(int level)
    {
        // The long options come from their table, at the column the short ones use.
        string longOptions = string.Join("\n", LongOptions.Usage.Select(u => $"      {u.Usage}  {u.Help}"));
        var sb = new StringBuilder(Usage.Replace("\r", "").Replace("{LongOptions}", longOptions));
        foreach (var kind in AddressCatalog.AllKinds.OrderBy(k => k.Keyword, StringComparer.Ordinal))
        {
            string mark = EndpointRegistry.IsImplemented(kind.Keyword) ? " " : "*";
            sb.Append($"     {mark}{kind.Usage}\tgroups={AddressResolver.GroupNames(kind.Groups)}\n");
            if (level >= 3)
                foreach (string alias in AddressCatalog.AliasesOf(kind.Keyword))
                    sb.Append($"         {alias} is an alias name for {kind.Keyword}\n");
        }
        sb.Append("         <num> is a short form for fd:<num>\n");
        sb.Append("         <filename> (with a '/') is a short form for gopen:<filename>\n");
        if (level < 2) return sb.ToString();
        // As socat lists only the options it was built with: scripts read the list to learn what
        // is there (socat's test.sh greps `-???` for an option's name, and reads the lines after
        // "opt:"), so an option this build lacks is not named anywhere in it, only counted.
        var all = OptionCatalog.Options.Concat(OptionCatalog.ExtraOptions).OrderBy(o => o.Name, StringComparer.Ordinal).ToList();
        int missing = all.Count(o => !OptionCatalog.IsImplemented(o));
        sb.Append("   opts:\n      <opt>{,<opts>}:\n");
        if (missing > 0) sb.Append($"   ({missing} options of socat's catalog are not in this build and are not listed; using one is an error)\n");
        sb.Append("   opt:\n");
        // One sorted list of names, the aliases (-hhh) among them, as socat prints it.
        var present = all.Where(OptionCatalog.IsImplemented).ToList();
        var lines = present.Select(o => (o.Name, Line: $"{o.Name}\tgroups={AddressResolver.GroupNames(o.Groups)}\tphase={o.Phase.ToString().ToUpperInvariant()}\ttype={TypeName(o.Type)}"));
        if (level >= 3)
        {
            var names = present.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            lines = lines.Concat(OptionCatalog.Aliases.Concat(OptionCatalog.ExtraAliases).Where(a => names.Contains(a.Name)).Select(a => (Name: a.Alias, Line: $"{a.Alias} is an alias for {a.Name}")));
        }
        foreach (var (_, line) in lines.OrderBy(l => l.Name, StringComparer.Ordinal)) sb.Append("      ").Append(line).Append('\n');
        return sb.ToString();
    }

    private static string TypeName(OptionType t) => t switch
    {
        OptionType.IntArray3 => "INT[3]",
        OptionType.StringNull => "STRING-NULL",
        _ => t.ToString().ToUpperInvariant().Replace('_', ':'),
    };
}
