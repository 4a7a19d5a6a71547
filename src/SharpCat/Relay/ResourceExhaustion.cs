using System.Net.Sockets;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// Failures that mean "not now" rather than "never": the process or system is out of descriptors
/// or memory. A fork listener shares this process's limits with all its relays (socat's children
/// each have their own), so on these it waits for relays to end instead of giving up (DESIGN.md §3).
/// </summary>
internal static class ResourceExhaustion
{
    private const int ENOMEM = 12, ENFILE = 23, EMFILE = 24, ENOBUFS = 105;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The wait after a failure: 50 ms, then twice the previous one, at most 1 s.</summary>
    public static TimeSpan NextBackoff(TimeSpan? previous) =>
        previous is { } p ? TimeSpan.FromTicks(Math.Min(p.Ticks * 2, MaxBackoff.Ticks)) : FirstBackoff;

    public static bool Is(Exception e) => Errno(e) is ENOMEM or ENFILE or EMFILE or ENOBUFS;

    private static int Errno(Exception e) => e switch
    {
        PosixException p => p.Errno,
        SocketException s => s.NativeErrorCode,
        _ => 0,
    };
}
