using System.Collections.Concurrent;

namespace SharpCat.Native;

/// <summary>
/// The sighup/sigint/sigquit options of EXEC and SYSTEM: a program's signal handler asks here
/// whether a signal it received belongs to a child (socat's "socatsignalpass") rather than to
/// the relay.
/// </summary>
internal static class ChildSignals
{
    private static readonly ConcurrentDictionary<(int Pid, int Signal), bool> Passed = new();

    internal static void PassTo(int pid, int signal) => Passed[(pid, signal)] = true;

    internal static void Forget(int pid)
    {
        foreach (var key in Passed.Keys)
            if (key.Pid == pid) Passed.TryRemove(key, out _);
    }

    /// <summary>Sends <paramref name="signal"/> to every child that asked for it; false when none did.</summary>
    public static bool Pass(int signal)
    {
        bool any = false;
        foreach (var (pid, s) in Passed.Keys)
        {
            if (s != signal) continue;
            Libc.Kill(pid, signal);
            any = true;
        }
        return any;
    }
}
