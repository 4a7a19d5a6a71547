using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// socat's TCP wrappers options: <c>tcpwrap[=name]</c>, <c>tcpwrap-etc=dir</c>, <c>allow-table</c>
/// and <c>deny-table</c>. Any of them has libwrap judge each peer (a step of <see cref="PeerCheck"/>)
/// by the rules for the daemon name: the name given, else the <c>-lp</c> name, else <c>socat</c>,
/// the name socat has unless renamed, so that rules written for socat apply unchanged. The tables
/// are /etc/hosts.allow and /etc/hosts.deny unless named, or found in <c>tcpwrap-etc</c>'s directory.
/// </summary>
internal sealed class TcpWrappers
{
    private static readonly string[] OptionNames = ["tcpwrappers", "tcpwrap-etc", "tcpwrap-hosts-allow-table", "tcpwrap-hosts-deny-table"];

    private readonly string _daemon;
    private readonly string? _allowTable, _denyTable;
    // The same, NUL-terminated for libwrap, made once per address.
    private readonly byte[] _daemonText;
    private readonly byte[]? _allowText, _denyText;

    private TcpWrappers(string daemon, string? allowTable, string? denyTable)
    {
        (_daemon, _allowTable, _denyTable) = (daemon, allowTable, denyTable);
        _daemonText = Terminated(daemon)!;
        (_allowText, _denyText) = (Terminated(allowTable), Terminated(denyTable));
    }

    /// <summary>The address's libwrap check; null when no tcpwrap option is given.</summary>
    public static TcpWrappers? For(OptionSet options)
    {
        if (FirstOption(options) is null) return null;
        string? etc = options.Text("tcpwrap-etc");
        return new TcpWrappers(
            options.Text("tcpwrappers") ?? RelayContext.Current?.Options.TcpWrappersName ?? "socat",
            options.Text("tcpwrap-hosts-allow-table") ?? (etc is null ? null : $"{etc}/hosts.allow"),
            options.Text("tcpwrap-hosts-deny-table") ?? (etc is null ? null : $"{etc}/hosts.deny"));
    }

    /// <summary>
    /// With the address, before anything is opened (DESIGN.md §4b): a tcpwrap option on a system
    /// where libwrap cannot be loaded is an error, never a check skipped.
    /// </summary>
    public static void Check(ResolvedAddress address)
    {
        if (FirstOption(address.Options) is { } option && LibWrap.LoadFailure is { } why)
            throw new SharpCatException($"{address.Name}: option \"{option.Spelling}\" needs TCP wrappers, and {why}: install libwrap0");
    }

    private static ResolvedOption? FirstOption(OptionSet options)
    {
        foreach (var option in options.Items)
            if (Array.IndexOf(OptionNames, option.Def.Name) >= 0) return option;
        return null;
    }

    /// <summary>
    /// libwrap's verdict on <paramref name="peer"/>, which reached <paramref name="socket"/>;
    /// <paramref name="requestSocket"/> is the one libwrap is given as the request's file, on which
    /// the rules' options (banners, keepalive, twist…) act. Blocks while libwrap works.
    /// </summary>
    public bool Permits(IPEndPoint peer, Socket socket, Socket requestSocket)
    {
        Span<byte> client = stackalloc byte[28], server = stackalloc byte[128];
        int clientLength = Posix.WriteSockAddr(peer, client);
        try
        {
            Posix.GetSockName((int)socket.Handle, server);
        }
        catch (PosixException e)
        {
            // No server address: refused, as socat refuses a check with an address missing.
            Log.Warn(e.Message);
            return false;
        }
        if (_allowTable is not null) Log.Debug($"hosts_allow_table = \"{_allowTable}\"");
        if (_denyTable is not null) Log.Debug($"hosts_deny_table = \"{_denyTable}\"");
        bool permitted = LibWrap.HostsAccess((int)requestSocket.Handle, client[..clientLength], server, _daemonText, _allowText, _denyText);
        Log.Debug($"hosts_access(daemon \"{_daemon}\", client {SocketAddressing.Format(peer)}) -> {(permitted ? 1 : 0)}");
        return permitted;
    }

    private static byte[]? Terminated(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text + '\0');
}
