using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>How a child program ended.</summary>
internal readonly record struct ChildExit(int Pid, int? ExitCode, int? Signal)
{
    /// <summary>socat's wording: "exited with status 3" or "exited on signal 15".</summary>
    public override string ToString() => ExitCode is int code ? $"exited with status {code}" : $"exited on signal {Signal}";
}

/// <summary>
/// Reaps the children SharpCat starts: on SIGCHLD it asks waitpid(WNOHANG) about each child it
/// knows, never about others (a library host may have children of its own). A child that ended
/// before it was registered is caught by the check right after registering.
/// </summary>
internal static unsafe class ChildReaper
{
    private static readonly ConcurrentDictionary<int, TaskCompletionSource<ChildExit>> Children = new();
    private static readonly Lock Gate = new();
    private static PosixSignalRegistration? _registration;
    private const int WNOHANG = 1;

    /// <summary>Completes when the child ends, with its status.</summary>
    public static Task<ChildExit> Watch(int pid)
    {
        if (!OperatingSystem.IsWindows())
            lock (Gate) _registration ??= PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => ReapAll());
        var done = new TaskCompletionSource<ChildExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        Children[pid] = done;
        TryReap(pid);
        return done.Task;
    }

    /// <summary>Sends a signal to a child that is still running.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Children.ContainsKey(pid)) Libc.Kill(pid, signal);
    }

    private static void ReapAll()
    {
        foreach (int pid in Children.Keys) TryReap(pid);
    }

    private static void TryReap(int pid)
    {
        int status;
        int r = Libc.WaitPid(pid, &status, WNOHANG);
        if (r != pid || !Children.TryRemove(pid, out var done)) return;
        int signal = status & 0x7f;
        done.TrySetResult(signal == 0 ? new ChildExit(pid, (status >> 8) & 0xff, null) : new ChildExit(pid, null, signal));
    }
}
