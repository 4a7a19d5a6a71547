using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>
/// TCP wrappers: the hosts.allow / hosts.deny verdict of libwrap.so.0 (tcp_wrappers 7.6, which
/// socat links), asked the way socat's tcpwrap options ask it: request_init with the socket, the
/// client's and the server's socket addresses and the daemon name; sock_methods, so that libwrap
/// looks names up itself, only when a rule needs one; then hosts_access. The library is loaded on
/// first use only. Its table paths, its verbosity and its match state are process-wide variables,
/// so one check runs at a time.
/// </summary>
internal static unsafe class LibWrap
{
    private const string Library = "libwrap.so.0";

    // tcpd.h's request keys.
    private const int RQ_FILE = 1, RQ_DAEMON = 2, RQ_CLIENT_SIN = 6, RQ_SERVER_SIN = 9;

    // struct request_info on LP64 (tcpd.h): int fd; char user[128], daemon[128], pid[10]; two struct
    // host_info (name[128], addr[128], sin, unit, request: 280 bytes) from offset 272; then the
    // sink, hostname and hostaddr functions. 872 bytes (request_init copies 109 quadwords); room
    // to spare, so that a build with a larger one fails the layout check, not the stack.
    private const int RequestSize = 1024;
    private const int ClientRequestOffset = 272 + 272, ServerRequestOffset = 552 + 272;
    private const int HostnameOffset = 840, HostaddrOffset = 848;

    // What socat sets: libwrap's syslog priority for its own refusal and permission lines (libwrap
    // leaves them to the program: its definitions are weak), and every match logged at debug level.
    private const int Severity = 10, Verbose = 32767;

    private static readonly Lock Gate = new();
    private static bool _loadTried;
    private static string? _loadFailure;

    // request_init and request_set are variadic. Every argument here is an int or a pointer, in the
    // six integer registers, where a variadic callee reads them as any other (x86-64 and arm64 SysV);
    // the count of vector registers that x86-64 passes in al only decides which registers its
    // prologue saves.
    private static delegate* unmanaged<byte*, int, int, int, byte*, int, byte*> _requestInit;
    private static delegate* unmanaged<byte*, int, byte*, int, byte*, int, byte*> _requestSet;
    private static nint _sockHostname, _sockHostaddr;
    private static delegate* unmanaged<byte*, int> _hostsAccess;
    private static byte** _hostsAllowTable, _hostsDenyTable;

    /// <summary>Null when libwrap is loaded (it is then, from the first call on), else why it cannot be.</summary>
    public static string? LoadFailure
    {
        get
        {
            lock (Gate)
            {
                if (!_loadTried) Load();
                return _loadFailure;
            }
        }
    }

    /// <summary>
    /// For <c>-V</c>: null when libwrap.so.0 is there to be loaded, else why not. Loads nothing
    /// (<see cref="SharedLibraryProbe"/>); once a tcpwrap option has loaded it, the load's verdict.
    /// </summary>
    public static string? FindFailure
    {
        get
        {
            lock (Gate)
            {
                if (_loadTried) return _loadFailure;
            }
            return SharedLibraryProbe.CanFind(Library) ? null : $"{Library} could not be loaded";
        }
    }

    private static void Load()
    {
        _loadTried = true;
        nint library;
        try
        {
            library = NativeLibrary.Load(Library);
        }
        catch (DllNotFoundException e)
        {
            // The runtime's message lists every path it probed: a detail for -d -d -d -d.
            Diagnostics.Log.Debug(e.Message);
            _loadFailure = $"{Library} could not be loaded";
            return;
        }
        if (!NativeLibrary.TryGetExport(library, "request_init", out nint requestInit)
            || !NativeLibrary.TryGetExport(library, "request_set", out nint requestSet)
            || !NativeLibrary.TryGetExport(library, "sock_hostname", out _sockHostname)
            || !NativeLibrary.TryGetExport(library, "sock_hostaddr", out _sockHostaddr)
            || !NativeLibrary.TryGetExport(library, "hosts_access", out nint hostsAccess)
            || !NativeLibrary.TryGetExport(library, "hosts_allow_table", out nint allowTable)
            || !NativeLibrary.TryGetExport(library, "hosts_deny_table", out nint denyTable)
            || !NativeLibrary.TryGetExport(library, "hosts_access_verbose", out nint verbose))
        {
            _loadFailure = $"{Library} lacks a symbol of tcp_wrappers 7.6";
            return;
        }
        _requestInit = (delegate* unmanaged<byte*, int, int, int, byte*, int, byte*>)requestInit;
        _requestSet = (delegate* unmanaged<byte*, int, byte*, int, byte*, int, byte*>)requestSet;
        _hostsAccess = (delegate* unmanaged<byte*, int>)hostsAccess;
        _hostsAllowTable = (byte**)allowTable;
        _hostsDenyTable = (byte**)denyTable;
        // sock_methods is a macro that writes two fields: check that they are where they are
        // assumed to be, by the two back pointers request_init sets.
        byte* request = stackalloc byte[RequestSize];
        _requestInit(request, 0, 0, 0, null, 0);
        if (*(byte**)(request + ClientRequestOffset) != request || *(byte**)(request + ServerRequestOffset) != request)
        {
            _loadFailure = $"{Library} has a struct request_info of another layout than tcp_wrappers 7.6's";
            return;
        }
        *(int*)verbose = Verbose;
        foreach (string name in (ReadOnlySpan<string>)["allow_severity", "deny_severity"])
            if (NativeLibrary.TryGetExport(library, name, out nint severity)) *(int*)severity = Severity;
    }

    /// <summary>
    /// Whether libwrap lets <paramref name="client"/> reach <paramref name="server"/> (socket
    /// addresses in their kernel form) for <paramref name="daemon"/>. <paramref name="fd"/> is the
    /// request's socket, on which the rules' options (banners, keepalive, twist…) act. The tables,
    /// when given, stand in for /etc/hosts.allow and /etc/hosts.deny for this check only. Strings are
    /// UTF-8 with their terminating NUL. Blocks while libwrap reads the tables and, for a rule that
    /// names hosts, looks the client up.
    /// </summary>
    /// <exception cref="SharpCatException">libwrap cannot be loaded (the address check says so first).</exception>
    public static bool HostsAccess(int fd, ReadOnlySpan<byte> client, ReadOnlySpan<byte> server, ReadOnlySpan<byte> daemon,
        byte[]? allowTable, byte[]? denyTable)
    {
        byte* request = stackalloc byte[RequestSize];
        fixed (byte* clientAddress = client, serverAddress = server, daemonName = daemon, allow = allowTable, deny = denyTable)
        {
            lock (Gate)
            {
                if (!_loadTried) Load();
                if (_loadFailure is { } why) throw new SharpCatException(why);
                byte* savedAllow = *_hostsAllowTable, savedDeny = *_hostsDenyTable;
                if (allow != null) *_hostsAllowTable = allow;
                if (deny != null) *_hostsDenyTable = deny;
                try
                {
                    _requestInit(request, RQ_FILE, fd, RQ_CLIENT_SIN, clientAddress, 0);
                    _requestSet(request, RQ_SERVER_SIN, serverAddress, RQ_DAEMON, daemonName, 0);
                    *(nint*)(request + HostnameOffset) = _sockHostname; // sock_methods
                    *(nint*)(request + HostaddrOffset) = _sockHostaddr;
                    return _hostsAccess(request) != 0;
                }
                finally
                {
                    *_hostsAllowTable = savedAllow;
                    *_hostsDenyTable = savedDeny;
                }
            }
        }
    }
}
