using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Native;

namespace SharpCat.Endpoints;

/// <summary>
/// How an IP address looks its names up when socat 1.8's resolver options are on it: getaddrinfo
/// itself with socat 1.8's flags (the ai-* options), and with <c>res-retrans</c>, <c>res-retry</c>,
/// <c>res-nsaddr</c> or the res-* flags (usevc, igntc, recurse, defnames, stayopen, dnsrch) the
/// resolver state socat writes for the address's open phase
/// (<see cref="ResolverState"/>). Without any of them there is no lookup of this kind and .NET's
/// resolver answers as before.
/// </summary>
/// <param name="Flags">getaddrinfo's AI_* flags.</param>
/// <param name="Resolver">What goes into the resolver state, or null for none of the res-* options.</param>
internal sealed record NameLookup(int Flags, ResolverState.Settings? Resolver)
{
    private static readonly (string Name, int Bit)[] AiOptions =
        [("ai-addrconfig", AddrInfo.AI_ADDRCONFIG), ("ai-passive", AddrInfo.AI_PASSIVE), ("ai-v4mapped", AddrInfo.AI_V4MAPPED), ("ai-all", AddrInfo.AI_ALL)];

    /// <summary>
    /// The lookup an address's options ask for, or null: AI_ADDRCONFIG when no family is asked for,
    /// AI_PASSIVE for a local (bind, listen) address, then each ai-* option sets or clears its flag;
    /// the res-* options as given.
    /// </summary>
    public static NameLookup? Of(OptionSet options, AddressFamily family, bool passive)
    {
        bool ai = options.Has("ai-addrconfig") || options.Has("ai-passive") || options.Has("ai-v4mapped") || options.Has("ai-all");
        var resolver = ResolverOf(options);
        if (!ai && resolver is null) return null;
        int flags = (family == AddressFamily.Unspecified ? AddrInfo.AI_ADDRCONFIG : 0) | (passive ? AddrInfo.AI_PASSIVE : 0);
        foreach (var (name, bit) in AiOptions)
            if (options.Find(name)?.Value is bool on) flags = on ? flags | bit : flags & ~bit;
        return new NameLookup(flags, resolver);
    }

    private static ResolverState.Settings? ResolverOf(OptionSet options)
    {
        long? retrans = options.Number("res-retrans"), retry = options.Number("res-retry");
        var server = options.Find("res-nsaddr") is { Value: string text } o ? ParseNameServer(o.Spelling, text) : null;
        ulong set = 0, clear = 0;
        foreach (var (name, bit) in ResolverState.OptionBits)
            if (options.Find(name)?.Value is bool on)
            {
                if (on) set |= bit;
                else clear |= bit;
            }
        return retrans is null && retry is null && server is null && set == 0 && clear == 0 ? null
            : new((int?)retrans, (int?)retry, server, set, clear);
    }

    /// <summary>
    /// res-nsaddr's value: an IPv4 address with an optional port (a number or a UDP service name;
    /// none or 0 is DNS's 53, as socat fills it in). glibc's <c>nsaddr_list</c> holds IPv4 only.
    /// </summary>
    public static IPEndPoint ParseNameServer(string spelling, string text)
    {
        int colon = text.IndexOf(':');
        string host = colon < 0 ? text : text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']') || host.Contains(']') || text.Count(c => c == ':') > 1)
            throw Bad(spelling, text, "the resolver's name server list (_res.nsaddr_list) holds IPv4 addresses only");
        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetwork || host.Count(c => c == '.') != 3)
            throw Bad(spelling, text, "not an IPv4 address (a.b.c.d, with an optional :port)");
        int port;
        try
        {
            port = colon < 0 ? 0 : SocketAddressing.Port(text[(colon + 1)..], "udp");
        }
        catch (SharpCatException e)
        {
            throw Bad(spelling, text, e.Message);
        }
        return new IPEndPoint(address, port == 0 ? 53 : port);
    }

    private static SharpCatException Bad(string spelling, string text, string why) =>
        new($"option {Diagnostics.Shown.Token(spelling)}: invalid value {Diagnostics.Shown.Token(text)}: {why}");
}
