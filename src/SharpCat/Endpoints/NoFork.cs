using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// <c>nofork</c> on EXEC or SYSTEM as the second address: no relay at all. Once the first address
/// is open, its fds become the program's stdin and stdout. EXEC's program replaces this process
/// (execve), so its exit status is the exit status; SYSTEM's shell runs as socat's system(3) runs
/// it, a child this process waits for and whose status it exits with.
/// </summary>
internal static class NoFork
{
    // Ways of connecting a child that mean nothing when the program gets the first address's fds:
    // socat takes and ignores them; here each is a warning. (setsid is not among them: with nofork
    // it is this process that starts a session, as in socat.)
    private static readonly string[] Unused = ["pty", "pipes", "stderr", "fdin", "fdout", "setpgid", "tiocsctty",
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
        foreach (string name in Unused)
            if (exec.Options.Has(name)) Log.Warn($"{exec.Name}: option {name} has no effect with nofork: the program gets the first address's fds");
        if (!options.AllowProcessReplacement)
            throw new SharpCatException($"{exec.Name}: nofork replaces the running process; only the sharpcat program does that");
    }

    /// <summary>Runs the program on the channel's fds; returns only with the exit status of a SYSTEM shell.</summary>
    public static async Task<int> RunAsync(ResolvedAddress exec, IChannel first, CancellationToken ct)
    {
        if (exec.Kind.Keyword is not ("system" or "shell"))
        {
            Exec(exec, first);
            return 1; // not reached: Exec replaces this process or throws
        }
        var (program, argv) = ExecEndpoints.CommandOf(exec);
        Prepare(exec, first);
        var spawn = new SpawnRequest { Program = program, Arguments = argv, WorkingDirectory = ExecEndpoints.WorkingDirectory(exec.Options) };
        if (first.ReadFd >= 0) spawn.Fds.Add((first.ReadFd, 0));
        if (first.WriteFd >= 0) spawn.Fds.Add((first.WriteFd, 1));
        spawn.Environment.AddRange(ExecEndpoints.ChildEnvironment(exec.Options, first));
        if (ExecEndpoints.ShellOf(exec) is { } shell) spawn.Environment.Add($"SHELL={shell}");
        Log.Info($"executing shell command \"{exec.Spec.Parameters[0]}\"");
        var exit = await ChildReaper.Watch(NamedOptions.WithUmask(exec.Options, () => ChildSpawn.Spawn(spawn))).WaitAsync(ct).ConfigureAwait(false);
        // system(3)'s status, as socat reports it and exits with (its high byte).
        int status = exit.Signal is int signal ? signal : (exit.ExitCode ?? 0) << 8;
        if (status != 0) Log.Warn($"system(\"{exec.Spec.Parameters[0]}\") returned with status {status}");
        return status >> 8;
    }

    /// <summary>Puts the channel's fds on 0 and 1 and executes the program in place of this process.</summary>
    private static void Exec(ResolvedAddress exec, IChannel first)
    {
        var (program, argv) = ExecEndpoints.CommandOf(exec);
        string file = ExecEndpoints.FindProgram(exec, program, argv);
        Prepare(exec, first);
        if (first.ReadFd >= 0) Posix.Dup2(first.ReadFd, 0);
        if (first.WriteFd >= 0) Posix.Dup2(first.WriteFd, 1);
        Log.Notice($"execvp'ing \"{program}\"");
        var environment = ExecEndpoints.ChildEnvironment(exec.Options, first);
        // This process becomes the program: chdir and umask (socat 1.8) are simply ours now.
        if (ExecEndpoints.WorkingDirectory(exec.Options) is { } dir && Libc.Chdir(dir) != 0) throw Posix.Fail($"chdir(\"{dir}\")");
        if (exec.Options.Id("umask") is uint mask) Libc.Umask(mask);
        int errno = ChildSpawn.ExecInPlace(file, argv, environment);
        throw new PosixException(ExecEndpoints.ExecvpCall(program, argv), errno);
    }

    /// <summary>What both ways do first: blocking fds, as socat's are and programs expect, and setsid for this process.</summary>
    private static void Prepare(ResolvedAddress exec, IChannel first)
    {
        foreach (int fd in new[] { first.ReadFd, first.WriteFd })
            if (fd >= 0) Posix.SetFl(fd, Posix.GetFl(fd) & ~Posix.O_NONBLOCK);
        if (exec.Options.Flag("setsid") && !Posix.SetSid()) Log.Warn($"setsid(): {Posix.StrError(Posix.Errno)}");
    }
}
