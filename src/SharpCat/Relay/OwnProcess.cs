using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// PROCESS options on an address that starts no program: as in socat, they act on this process,
/// once the address is open (socat's PH_LATE). Only <c>setsid</c> is done; the resolver refuses the others there.
/// </summary>
internal static class OwnProcess
{
    public static void Apply(ResolvedAddress address)
    {
        if (AddressCatalog.AcceptedGroups(address.Kind).HasFlag(OptionGroups.Process) || !address.Options.Flag("setsid")) return;
        if (Posix.SetSid()) return;
        // A process group leader cannot start a session: socat then joins its parent's group,
        // which makes it no leader, and tries once more.
        Log.Warn($"setsid(): {Posix.StrError(Posix.Errno)}");
        int pid = Environment.ProcessId, parent = Libc.GetPpid();
        if (Libc.SetPgid(pid, parent) < 0) Log.Warn($"setpgid({pid}, {parent}): {Posix.StrError(Posix.Errno)}");
        else if (!Posix.SetSid()) Log.Error($"setsid(): {Posix.StrError(Posix.Errno)}");
    }
}
