using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// EXEC (a program and its arguments, see <see cref="CommandLineSplitter"/>), SYSTEM (a command for
/// /bin/sh -c) and socat 1.8's SHELL (the same for $SHELL, or <c>shell=</c>, which the program also
/// gets as SHELL): the child is started with posix_spawn and connected by a socketpair
/// (default), two pipes (<c>pipes</c>) or a pseudo-terminal (<c>pty</c>).
/// </summary>
internal static class ExecEndpoints
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

    /// <summary>sighup, sigint, sigquit: that signal, sent to SharpCat, goes to the child instead of ending the relay.</summary>
    private static readonly (string Option, int Signal)[] PassedSignals = [("sighup", 1), ("sigint", 2), ("sigquit", 3)];

    public static ValueTask<IChannel> OpenExec(OpenRequest request, CancellationToken ct) =>
        ValueTask.FromResult(Start(request, shell: false));

    public static ValueTask<IChannel> OpenSystem(OpenRequest request, CancellationToken ct) =>
        ValueTask.FromResult(Start(request, shell: true));

    /// <summary>The program and argv of an EXEC or SYSTEM address (login's "-" included).</summary>
    public static (string Program, string[] Argv) CommandOf(ResolvedAddress address)
    {
        string text = address.Spec.Parameters[0];
        if (address.Kind.Keyword is "system" or "shell")
        {
            if (address.Options.Flag("dash")) throw new SharpCatException($"{address.Kind.Keyword.ToUpperInvariant()}: option login (dash) applies to EXEC only");
            if (ShellOf(address) is not { } shell) return ("/bin/sh", ["sh", "-c", text]);
            return (shell, [shell[(shell.LastIndexOf('/') + 1)..], "-c", text]);
        }
        var argv = CommandLineSplitter.Split(text).ToArray();
        string program = argv[0];
        if (address.Options.Flag("dash")) argv[0] = "-" + argv[0];
        return (program, argv);
    }

    /// <summary>
    /// SHELL's shell: <c>shell=</c>, else the SHELL variable; socat's errors when there is none or it
    /// is not a path. Null for the other addresses.
    /// </summary>
    internal static string? ShellOf(ResolvedAddress address)
    {
        if (address.Kind.Keyword != "shell") return null;
        string? shell = address.Options.Text("shell") ?? Environment.GetEnvironmentVariable("SHELL");
        if (shell is null) throw new SharpCatException("SHELL variable undefined");
        if (!shell.Contains('/')) throw new SharpCatException($"SHELL \"{shell}\" variable does not specify a path (has no '/')");
        return shell;
    }

    /// <summary>execvp's lookup, in <c>path=</c> when given; a missing program is socat's execvp error.</summary>
    public static string FindProgram(ResolvedAddress address, string program, string[] argv) =>
        ProgramLookup.Find(program, address.Options.Text("path") ?? Environment.GetEnvironmentVariable("PATH"))
            ?? throw new PosixException(ExecvpCall(program, argv), Posix.ENOENT);

    /// <summary>This library's version, as SOCAT_VERSION tells it (the program's -V shows the same).</summary>
    private static readonly string Version = typeof(ExecEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// The variables a program gets beyond this process's environment: <c>path=</c>, and what socat
    /// tells its children, under socat's names so that scripts written for socat work unchanged
    /// (<c>SOCAT_PID</c>, <c>SOCAT_PPID</c>, <c>SOCAT_VERSION</c>, and the first address's
    /// <see cref="IChannel.Variables"/>).
    /// </summary>
    internal static List<string> ChildEnvironment(OptionSet options, IChannel? openedBefore)
    {
        var environment = new List<string>();
        if (options.Text("path") is { } path) environment.Add($"PATH={path}");
        environment.Add($"SOCAT_PID={Environment.ProcessId}");
        environment.Add($"SOCAT_PPID={Environment.ProcessId}");
        environment.Add($"SOCAT_VERSION={Version}");
        if (openedBefore?.Variables is { } told)
            foreach (var (name, value) in told) environment.Add($"SOCAT_{name}={value}");
        return environment;
    }

    /// <summary>
    /// chdir (socat 1.8): the child's working directory, checked here so that a missing one fails
    /// with socat's message rather than as the program's execve.
    /// </summary>
    internal static string? WorkingDirectory(OptionSet options)
    {
        if (options.Text("chdir") is not { } dir) return null;
        if (!Directory.Exists(dir)) throw new PosixException($"chdir(\"{dir}\")", File.Exists(dir) ? Posix.ENOTDIR : Posix.ENOENT);
        return dir;
    }

    private static IChannel Start(OpenRequest request, bool shell)
    {
        var options = request.Options;
        var (program, argv) = CommandOf(request.Address);
        string shown = shell ? request.Parameters[0] : program;
        string? path = options.Text("path");
        var environment = ChildEnvironment(options, request.OpenedBefore);
        if (ShellOf(request.Address) is { } shellPath) environment.Add($"SHELL={shellPath}");
        // With chroot the program is looked up inside the new root, by the helper.
        bool credentials = CredentialHelper.Needed(options);
        string file = credentials && options.Has("chroot") ? program : FindProgram(request.Address, program, argv);
        string[] spawnArgv = argv;
        if (credentials) (file, spawnArgv) = CredentialHelper.Wrap(options, file, argv, path, environment);
        bool usePty = options.Flag("pty");
        bool usePipes = options.Flag("pipes") && !usePty;
        bool ctty = options.Flag("tiocsctty");
        if (ctty && !usePty) throw new SharpCatException("option ctty (tiocsctty) needs option pty");
        int stdinFd = (int)(options.Number("fdin") ?? 0), stdoutFd = (int)(options.Number("fdout") ?? 1);
        bool stderr = options.Flag("stderr");
        // A one-way relay connects only the side it uses; the other stays SharpCat's own stdin or
        // stdout, as in socat.
        bool reads = (request.Access & Access.Read) != 0, writes = (request.Access & Access.Write) != 0;
        int[] inputs = writes ? [stdinFd] : [];
        int[] outputs = !reads ? [] : stderr ? [stdoutFd, 2] : [stdoutFd];
        int[] connected = inputs.Concat(outputs).Distinct().ToArray();
        string how = reads && writes ? "reading and writing" : reads ? "reading" : "writing";
        Log.Notice($"forking off child, using {(usePty ? "pty" : usePipes ? "pipes" : "socket")} for {how}");

        var spawn = new SpawnRequest
        {
            Program = file, Arguments = spawnArgv, NewSession = options.Flag("setsid") || ctty, WorkingDirectory = WorkingDirectory(options),
            ProcessGroup = options.Number("setpgid") is long pgid ? (int)pgid : null,
        };
        spawn.Environment.AddRange(environment);
        var childFds = new List<int>();
        IChannel? channel = null;
        try
        {
            if (usePty)
            {
                var (master, slave, slavePath) = Pty.Open();
                childFds.Add(slave);
                // On Linux the master's terminal settings are the slave's: they are in place before
                // the program reads its first byte. (ctty is the child's, not a LATE option here.)
                var stream = new FdStream(master, owns: true);
                // A pty cannot be half-closed, and closing the master hangs up the program's terminal
                // while it may still have output to give (a write-only EXEC's stdout is ours): as in
                // socat, whose pty child ends with close and kill, an EOF to it does nothing by default.
                var shutdown = FdOptions.ShutdownMode(options) is var given && given == ShutdownMode.Default ? ShutdownMode.None : given;
                channel = new FdChannel(reads ? stream : null, writes ? stream : null) { Shutdown = shutdown };
                // Ownership and mode are the slave's, by name: fchown/fchmod on a master changes
                // /dev/ptmx itself, for every program on the machine.
                FdOptions.ApplyFdPhase(master, options, applyPerm: false, applyOwner: false);
                NamedOptions.SetOwnerAndMode(slavePath, options, "user", "group", "perm");
                if (ctty) spawn.ControllingTerminal = (slavePath, connected);
                else foreach (int fd in connected) spawn.Fds.Add((slave, fd));
            }
            else if (usePipes)
            {
                FdStream? reader = null, writer = null;
                try
                {
                    if (writes)
                    {
                        var (childIn, parentOut) = Posix.Pipe();
                        childFds.Add(childIn);
                        writer = new FdStream(parentOut, owns: true);
                        FdOptions.ApplyFdPhase(parentOut, options);
                        spawn.Fds.Add((childIn, stdinFd));
                    }
                    if (reads)
                    {
                        var (parentIn, childOut) = Posix.Pipe();
                        childFds.Add(childOut);
                        reader = new FdStream(parentIn, owns: true);
                        FdOptions.ApplyFdPhase(parentIn, options);
                        foreach (int fd in outputs) spawn.Fds.Add((childOut, fd));
                    }
                }
                catch
                {
                    reader?.Dispose();
                    writer?.Dispose();
                    throw;
                }
                channel = new FdChannel(reader, writer) { Shutdown = FdOptions.ShutdownMode(options) };
            }
            else
            {
                var (parentEnd, childEnd) = SocketPair();
                childFds.Add(childEnd);
                var socket = new Socket(new SafeSocketHandle(parentEnd, ownsHandle: true));
                try { channel = StreamSockets.Wrap(socket, options); }
                catch { socket.Dispose(); throw; }
                foreach (int fd in connected) spawn.Fds.Add((childEnd, fd));
            }
            int pid;
            // umask (socat 1.8: the process's, inherited by the child) for the moment of the spawn.
            try { pid = NamedOptions.WithUmask(options, () => ChildSpawn.Spawn(spawn)); }
            catch (PosixException e) when (e.Call.StartsWith("execve", StringComparison.Ordinal))
            {
                throw new PosixException(ExecvpCall(program, argv), e.Errno);
            }
            Log.Notice($"forked off child process {pid}");
            foreach (var (option, signal) in PassedSignals)
                if (options.Has(option)) ChildSignals.PassTo(pid, signal);
            if (shell) Log.Info($"executing shell command \"{shown}\"");
            else Log.Notice($"execvp'ing \"{shown}\"");
            return new ChildChannel(channel, pid, ChildReaper.Watch(pid), shell ? shown : null);
        }
        catch
        {
            channel?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        finally
        {
            // The child has its copies (or never started): the parent keeps only its own ends.
            foreach (int fd in childFds) Posix.Close(fd);
        }
    }

    /// <summary>socat's wording of a failed exec: the program, then up to three words of argv and "..." after three.</summary>
    public static string ExecvpCall(string program, string[] argv) =>
        $"execvp(\"{program}\", {string.Join(", ", argv.Take(3).Select(a => $"\"{a}\""))}{(argv.Length >= 3 ? ", ..." : "")})";

    private static (int Parent, int Child) SocketPair()
    {
        unsafe
        {
            int* fds = stackalloc int[2];
            if (Libc.SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw Posix.Fail("socketpair(AF_UNIX, SOCK_STREAM, 0)");
            return (fds[0], fds[1]);
        }
    }
}

/// <summary>execvp's search: a name with a slash is used as it is, others are looked up in PATH.</summary>
internal static class ProgramLookup
{
    private const int X_OK = 1;

    public static string? Find(string program, string? searchPath)
    {
        if (program.Contains('/')) return program;
        foreach (string dir in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, program);
            if (Posix.TryStat(candidate, out var st) && st.FileType == Posix.S_IFREG && Libc.Access(candidate, X_OK) == 0)
                return candidate;
        }
        return null;
    }
}
