using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// <c>nofork</c> on EXEC or SYSTEM as the second address: no relay at all. Once the first address
/// is open, its fds become the program's stdin and stdout and the program replaces this process
/// (execve), so its exit status is the exit status.
/// </summary>
internal static class NoFork
{
    // Ways of connecting a child that have no meaning when there is no child.
    // (setsid is not among them: with nofork it is this process that starts a session, as in socat.)
    private static readonly string[] Conflicting = ["pty", "pipes", "stderr", "fdin", "fdout", "setpgid", "tiocsctty",
        "sighup", "sigint", "sigquit"];

    /// <summary>Refuses nofork where socat does (first address, dual address) and where it cannot work here.</summary>
    public static void Check((ResolvedAddress Read, ResolvedAddress? Write) left, (ResolvedAddress Read, ResolvedAddress? Write) right, RelayOptions options)
    {
        foreach (var address in new[] { left.Read, left.Write, right.Write })
            if (address is not null && address.Options.Flag("nofork")) throw new SharpCatException("option nofork is not allowed here");
        var exec = right.Read;
        if (!exec.Options.Flag("nofork")) return;
        if (left.Read.Options.Flag("fork"))
            throw new SharpCatException($"{exec.Name}: nofork cannot be combined with fork: sharpcat serves every connection from one process");
        foreach (string name in Conflicting)
            if (exec.Options.Has(name)) throw new SharpCatException($"{exec.Name}: option {name} cannot be used with nofork (there is no child)");
        if (!options.AllowProcessReplacement)
            throw new SharpCatException($"{exec.Name}: nofork replaces the running process; only the sharpcat program does that");
    }

    /// <summary>Puts the channel's fds on 0 and 1 and executes the program in place of this process.</summary>
    public static void Exec(ResolvedAddress exec, IChannel first)
    {
        var (program, argv) = ExecEndpoints.CommandOf(exec);
        string file = ExecEndpoints.FindProgram(exec, program, argv);
        // The program expects ordinary blocking fds, as socat's are.
        foreach (int fd in new[] { first.ReadFd, first.WriteFd })
            if (fd >= 0) Posix.SetFl(fd, Posix.GetFl(fd) & ~Posix.O_NONBLOCK);
        if (first.ReadFd >= 0) Posix.Dup2(first.ReadFd, 0);
        if (first.WriteFd >= 0) Posix.Dup2(first.WriteFd, 1);
        if (exec.Options.Flag("setsid") && !Posix.SetSid()) Log.Warn($"setsid(): {Posix.StrError(Posix.Errno)}");
        Log.Notice($"execvp'ing \"{program}\"");
        var environment = ExecEndpoints.ChildEnvironment(exec.Options, first);
        int errno = ChildSpawn.ExecInPlace(file, argv, environment);
        throw new PosixException(ExecEndpoints.ExecvpCall(program, argv), errno);
    }
}
