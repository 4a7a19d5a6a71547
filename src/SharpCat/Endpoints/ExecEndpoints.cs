using System.Net.Sockets;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// EXEC (a program and its arguments, split at spaces), SYSTEM and its later spelling SHELL (a
/// command for /bin/sh -c): the child is started with posix_spawn and connected by a socketpair
/// (default), two pipes (<c>pipes</c>) or a pseudo-terminal (<c>pty</c>).
/// </summary>
internal static class ExecEndpoints
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

    public static ValueTask<IChannel> OpenExec(OpenRequest request, CancellationToken ct)
    {
        string commandLine = request.Parameters[0];
        var argv = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (argv.Length == 0) throw new SharpCatException("EXEC: empty command line");
        return ValueTask.FromResult(Start(request, argv[0], argv, commandLine));
    }

    public static ValueTask<IChannel> OpenSystem(OpenRequest request, CancellationToken ct)
    {
        string command = request.Parameters[0];
        return ValueTask.FromResult(Start(request, "/bin/sh", ["sh", "-c", command], command));
    }

    private static IChannel Start(OpenRequest request, string program, string[] argv, string shown)
    {
        var options = request.Options;
        string? path = options.Text("path");
        string file = ProgramLookup.Find(program, path ?? Environment.GetEnvironmentVariable("PATH"))
            ?? throw new PosixException($"execvp(\"{program}\", \"{argv[0]}\")", Posix.ENOENT);
        if (options.Flag("dash")) argv[0] = "-" + Path.GetFileName(argv[0]);
        bool usePty = options.Flag("pty");
        bool usePipes = options.Flag("pipes") && !usePty;
        bool ctty = options.Flag("tiocsctty");
        if (ctty && !usePty) throw new SharpCatException("option ctty (tiocsctty) needs option pty");
        int stdinFd = (int)(options.Number("fdin") ?? 0), stdoutFd = (int)(options.Number("fdout") ?? 1);
        bool stderr = options.Flag("stderr");
        Log.Notice($"forking off child, using {(usePty ? "pty" : usePipes ? "pipes" : "socket")} for reading and writing");

        var outputs = (stderr ? new[] { stdinFd, stdoutFd, 2 } : new[] { stdinFd, stdoutFd }).Distinct().ToArray();
        var spawn = new SpawnRequest
        {
            Program = file, Arguments = argv, NewSession = options.Flag("setsid") || ctty, NewProcessGroup = options.Has("setpgid"),
        };
        if (path is not null) spawn.Environment.Add($"PATH={path}");
        var childFds = new List<int>();
        IChannel? channel = null;
        try
        {
            if (usePty)
            {
                var (master, slave, slavePath) = Pty.Open();
                childFds.Add(slave);
                // On Linux the master's terminal settings are the slave's: they are in place before
                // the program reads its first byte.
                channel = FdEndpoint.Finish(master, null, Access.ReadWrite, options, applyPerm: true);
                if (ctty) spawn.ControllingTerminal = (slavePath, outputs);
                else foreach (int fd in outputs) spawn.Fds.Add((slave, fd));
            }
            else if (usePipes)
            {
                var (childIn, parentOut) = Posix.Pipe();
                childFds.Add(childIn);
                var writer = new FdStream(parentOut, owns: true);
                int childOut, parentIn;
                try { (parentIn, childOut) = Posix.Pipe(); }
                catch { writer.Dispose(); throw; }
                childFds.Add(childOut);
                channel = new FdChannel(new FdStream(parentIn, owns: true), writer) { Shutdown = FdOptions.ShutdownMode(options) };
                FdOptions.ApplyFdPhase(parentIn, options);
                FdOptions.ApplyFdPhase(parentOut, options);
                spawn.Fds.Add((childIn, stdinFd));
                foreach (int fd in outputs.Skip(1)) spawn.Fds.Add((childOut, fd));
            }
            else
            {
                var (parentEnd, childEnd) = SocketPair();
                childFds.Add(childEnd);
                var socket = new Socket(new SafeSocketHandle(parentEnd, ownsHandle: true));
                try { channel = StreamSockets.Wrap(socket, options); }
                catch { socket.Dispose(); throw; }
                foreach (int fd in outputs) spawn.Fds.Add((childEnd, fd));
            }
            int pid = ChildSpawn.Spawn(spawn);
            Log.Notice($"forked off child process {pid}");
            Log.Info($"execvp'ing \"{shown}\"");
            return new ChildChannel(channel, pid, ChildReaper.Watch(pid));
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
