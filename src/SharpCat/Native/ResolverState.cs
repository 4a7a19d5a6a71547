using System.Net;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>
/// getaddrinfo(3) with socat 1.8's <c>res-retrans</c>, <c>res-retry</c> and <c>res-nsaddr</c>
/// written into the resolver state, as socat does for the open phase of an address. glibc keeps
/// that state (<c>_res</c>, <c>struct __res_state</c>) per thread, and its DNS module reads the
/// fields as they are once a program has changed them (it reloads resolv.conf only while they still
/// match what it loaded). So the lookup runs on a thread of its own that patches its own copy: no
/// other lookup of the process, .NET's included, sees the change, and the copy goes with the thread.
/// </summary>
internal static unsafe partial class ResolverState
{
    private const string Lib = "libc";

    // struct __res_state on glibc's LP64 ABI (x86_64, aarch64): retrans at 0, retry at 4, options
    // (unsigned long) at 8, nscount at 16, nsaddr_list (3 x struct sockaddr_in) at 20.
    private const int RetransOffset = 0, RetryOffset = 4, OptionsOffset = 8, NsCountOffset = 16, NsAddrOffset = 20;
    private const ulong RES_INIT = 1;

    [LibraryImport(Lib, EntryPoint = "__res_state")]
    private static partial byte* ResStatePointer();

    [LibraryImport(Lib, EntryPoint = "__res_init")]
    private static partial int ResInit();

    /// <summary>What to write into the resolver state; a null field leaves the system's value.</summary>
    /// <param name="Retrans">_res.retrans: seconds to wait for an answer (glibc doubles it for each further server).</param>
    /// <param name="Retry">_res.retry: how many rounds over the servers before the lookup fails.</param>
    /// <param name="NameServer">_res.nsaddr_list[0], the only server (nscount 1); IPv4 only, as that field is.</param>
    /// <param name="SetOptions">RES_* bits to set in _res.options.</param>
    /// <param name="ClearOptions">RES_* bits to clear there.</param>
    internal sealed record Settings(int? Retrans, int? Retry, IPEndPoint? NameServer, ulong SetOptions = 0, ulong ClearOptions = 0);

    /// <summary>The _res.options bits of socat's res-* flag options (resolv.h).</summary>
    public static readonly (string Option, ulong Bit)[] OptionBits =
    [
        ("res-usevc", 0x8), ("res-igntc", 0x20), ("res-recurse", 0x40), ("res-defnames", 0x80), ("res-stayopen", 0x100), ("res-dnsrch", 0x200),
    ];

    /// <summary>
    /// The addresses for <paramref name="host"/> as <see cref="AddrInfo.Resolve"/> finds them, with
    /// <paramref name="settings"/> in the resolver state of the (dedicated) thread that asks.
    /// </summary>
    public static Task<List<IPAddress>> ResolveAsync(string host, int linuxFamily, int socketType, int protocol, int flags, Settings settings, CancellationToken ct)
    {
        var done = new TaskCompletionSource<List<IPAddress>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Apply(settings);
                done.SetResult(AddrInfo.Resolve(host, linuxFamily, socketType, protocol, flags));
            }
            catch (Exception e)
            {
                done.SetException(ExceptionDispatchInfo.Capture(e).SourceException);
            }
        }, 256 * 1024) { IsBackground = true, Name = "res " + host };
        thread.UnsafeStart();
        // A cancelled open stops waiting; the thread finishes its lookup (getaddrinfo cannot be
        // interrupted) and its answer is dropped.
        return done.Task.WaitAsync(ct);
    }

    /// <summary>
    /// Patches this thread's resolver state, which is initialised first from resolv.conf as socat
    /// does. Not restored: the state is the thread's own, and glibc frees it when the thread ends.
    /// </summary>
    private static void Apply(Settings settings)
    {
        byte* res = ResStatePointer();
        if ((*(ulong*)(res + OptionsOffset) & RES_INIT) == 0 && ResInit() < 0)
            throw new SharpCatException("res_init() failed");
        ref ulong options = ref *(ulong*)(res + OptionsOffset);
        options = (options | settings.SetOptions) & ~settings.ClearOptions;
        if (settings.Retrans is int retrans) *(int*)(res + RetransOffset) = retrans;
        if (settings.Retry is int retry) *(int*)(res + RetryOffset) = retry;
        if (settings.NameServer is { } server)
        {
            *(int*)(res + NsCountOffset) = 1;
            // struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero.
            byte* sin = res + NsAddrOffset;
            new Span<byte>(sin, 16).Clear();
            *(ushort*)sin = 2; // AF_INET
            *(ushort*)(sin + 2) = (ushort)IPAddress.HostToNetworkOrder((short)server.Port);
            server.Address.TryWriteBytes(new Span<byte>(sin + 4, 4), out _);
        }
    }
}
