using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Native;

/// <summary>What a child program gets: its program file, argv, and how its fds and session are set up.</summary>
internal sealed class SpawnRequest
{
    /// <summary>The program file to execute (already looked up in PATH).</summary>
    public required string Program { get; init; }

    /// <summary>argv, argv[0] included.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Parent fds to appear in the child as the given fd numbers (dup2).</summary>
    public List<(int ParentFd, int ChildFd)> Fds { get; } = [];

    /// <summary>
    /// A terminal the child opens by path onto these fds after <c>setsid</c>: opening it without
    /// O_NOCTTY makes it the child's controlling terminal (what posix_spawn allows instead of TIOCSCTTY).
    /// </summary>
    public (string Path, int[] ChildFds)? ControllingTerminal { get; set; }

    /// <summary>NAME=value entries that replace (or add to) the process's environment in the child.</summary>
    public List<string> Environment { get; } = [];

    /// <summary>The child starts a new session (setsid).</summary>
    public bool NewSession { get; init; }

    /// <summary>The child's working directory (socat 1.8's chdir); null for ours.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>setpgid: the child joins this process group (0: a new group it leads).</summary>
    public int? ProcessGroup { get; init; }
}

/// <summary>
/// Starts child programs with posix_spawn(3) (DESIGN.md §8): the runtime is multi-threaded, so
/// fork() from managed code is never an option. The child gets exactly the fds asked for (all
/// others are closed), default signal dispositions and an empty signal mask (the runtime ignores
/// SIGPIPE and that would be inherited), and the process's real environment.
/// </summary>
internal static unsafe class ChildSpawn
{
    private const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08,
        POSIX_SPAWN_SETSID = 0x80;
    private const int SIGKILL = 9, SIGSTOP = 19, F_DUPFD_CLOEXEC = 1030;
    // Opaque glibc structures, allocated with room to spare: file actions 80 bytes, attributes
    // 336, sigset_t 128.
    private const int ActionsSize = 256, AttributesSize = 1024, SigSetSize = 256;

    /// <summary>Starts the child and returns its pid; a program that cannot be executed fails here.</summary>
    public static int Spawn(SpawnRequest request)
    {
        var strings = new List<nint>();
        var moved = new List<int>();
        void* actions = NativeMemory.AllocZeroed(ActionsSize);
        void* attributes = NativeMemory.AllocZeroed(AttributesSize);
        void* defaults = NativeMemory.AllocZeroed(SigSetSize);
        void* mask = NativeMemory.AllocZeroed(SigSetSize);
        byte** argv = (byte**)NativeMemory.AllocZeroed((nuint)(request.Arguments.Count + 1), (nuint)sizeof(nint));
        try
        {
            for (int i = 0; i < request.Arguments.Count; i++) argv[i] = Utf8(request.Arguments[i], strings);
            byte* program = Utf8(request.Program, strings);
            Check(Libc.SpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(Libc.SpawnAttrInit(attributes), "posix_spawnattr_init");
            try
            {
                AddFileActions(request, SourcesAboveTargets(request, moved), actions, strings);
                short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
                if (request.NewSession) flags |= POSIX_SPAWN_SETSID;
                if (request.ProcessGroup is not null) flags |= POSIX_SPAWN_SETPGROUP;
                Libc.SigFillSet(defaults);
                Libc.SigDelSet(defaults, SIGKILL);
                Libc.SigDelSet(defaults, SIGSTOP);
                Libc.SigEmptySet(mask);
                Check(Libc.SpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");
                Check(Libc.SpawnAttrSetSigDefault(attributes, defaults), "posix_spawnattr_setsigdefault");
                Check(Libc.SpawnAttrSetSigMask(attributes, mask), "posix_spawnattr_setsigmask");
                if (request.ProcessGroup is int pgid) Check(Libc.SpawnAttrSetPGroup(attributes, pgid), "posix_spawnattr_setpgroup");
                byte** envp = Environment(request.Environment, strings);
                // netns: the child starts in the thread's network namespace.
                var (error, pid) = NetworkNamespace.Run(((nint)program, (nint)actions, (nint)attributes, (nint)argv, (nint)envp), static s =>
                {
                    int child;
                    int failed = Libc.PosixSpawn(&child, (byte*)s.Item1, (void*)s.Item2, (void*)s.Item3, (byte**)s.Item4, (byte**)s.Item5);
                    return (failed, child);
                });
                NativeMemory.Free(envp);
                if (error != 0) throw new PosixException($"execve(\"{request.Program}\")", error);
                return pid;
            }
            finally
            {
                Libc.SpawnFileActionsDestroy(actions);
                Libc.SpawnAttrDestroy(attributes);
            }
        }
        finally
        {
            foreach (int fd in moved) Libc.Close(fd);
            foreach (var s in strings) NativeMemory.Free((void*)s);
            NativeMemory.Free(argv);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(defaults);
            NativeMemory.Free(mask);
        }
    }

    /// <summary>
    /// The fd pairs with every parent fd moved (close-on-exec) above the highest child fd, so that no
    /// dup2 in the child overwrites a source still to be copied.
    /// </summary>
    private static List<(int ParentFd, int ChildFd)> SourcesAboveTargets(SpawnRequest request, List<int> moved)
    {
        int top = 2;
        foreach (var (_, childFd) in request.Fds) top = Math.Max(top, childFd);
        if (request.ControllingTerminal is { } tty) top = Math.Max(top, tty.ChildFds.Max());
        var pairs = new List<(int, int)>(request.Fds.Count);
        foreach (var (parentFd, childFd) in request.Fds)
        {
            int source = parentFd;
            if (parentFd <= top)
            {
                source = Libc.Fcntl(parentFd, F_DUPFD_CLOEXEC, top + 1);
                if (source < 0) throw Posix.Fail($"fcntl({parentFd}, F_DUPFD_CLOEXEC, {top + 1})");
                moved.Add(source);
            }
            pairs.Add((source, childFd));
        }
        return pairs;
    }

    private static void AddFileActions(SpawnRequest request, List<(int ParentFd, int ChildFd)> fds, void* actions, List<nint> strings)
    {
        var targets = new HashSet<int>();
        if (request.ControllingTerminal is { } tty)
        {
            // After setsid, the first terminal a session leader opens becomes its controlling one.
            int first = tty.ChildFds[0];
            Check(Libc.SpawnFileActionsAddOpen(actions, first, Utf8(tty.Path, strings), Posix.O_RDWR, 0), "posix_spawn_file_actions_addopen");
            targets.Add(first);
            foreach (int fd in tty.ChildFds.Skip(1))
            {
                Check(Libc.SpawnFileActionsAddDup2(actions, first, fd), "posix_spawn_file_actions_adddup2");
                targets.Add(fd);
            }
        }
        if (request.WorkingDirectory is { } dir)
            Check(Libc.SpawnFileActionsAddChdir(actions, Utf8(dir, strings)), "posix_spawn_file_actions_addchdir_np");
        // The sources are close-on-exec and above every target: they vanish at exec.
        foreach (var (parentFd, childFd) in fds)
        {
            Check(Libc.SpawnFileActionsAddDup2(actions, parentFd, childFd), "posix_spawn_file_actions_adddup2");
            targets.Add(childFd);
        }
        // Nothing else crosses over: fds SharpCat opened without close-on-exec (other relays'
        // files, with fork) must not leak into the program.
        int top = targets.Count == 0 ? 2 : Math.Max(2, targets.Max());
        for (int fd = 3; fd <= top; fd++)
            if (!targets.Contains(fd)) Check(Libc.SpawnFileActionsAddClose(actions, fd), "posix_spawn_file_actions_addclose");
        Check(Libc.SpawnFileActionsAddCloseFrom(actions, top + 1), "posix_spawn_file_actions_addclosefrom_np");
    }

    /// <summary>
    /// The process's own environment (<c>environ</c>) with the overrides applied.
    /// Environment.SetEnvironmentVariable changes only the runtime's copy, which the child must not
    /// see (the CLI sets a runtime setting there).
    /// </summary>
    /// <summary>
    /// execve in place of this process (nofork): returns only on failure, with errno. The other
    /// threads of the runtime simply end with the old image.
    /// </summary>
    public static int ExecInPlace(string program, IReadOnlyList<string> argv, List<string> environment)
    {
        var strings = new List<nint>();
        byte** args = (byte**)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < argv.Count; i++) args[i] = Utf8(argv[i], strings);
        byte** envp = Environment(environment, strings);
        // netns: this thread becomes the whole process, in the address's namespace.
        if (NetworkNamespace.Current is { } netns) NetworkNamespace.EnterOnThisThread(netns);
        Libc.Execve(Utf8(program, strings), args, envp);
        int errno = Posix.Errno;
        foreach (var s in strings) NativeMemory.Free((void*)s);
        NativeMemory.Free(args);
        NativeMemory.Free(envp);
        return errno;
    }

    private static byte** Environment(List<string> overrides, List<nint> strings)
    {
        var libc = NativeLibrary.Load("libc.so.6");
        byte** environ = *(byte***)NativeLibrary.GetExport(libc, "environ");
        var entries = new List<nint>();
        for (byte** e = environ; *e != null; e++)
        {
            string entry = Marshal.PtrToStringUTF8((nint)(*e)) ?? "";
            int eq = entry.IndexOf('=');
            string name = eq < 0 ? entry : entry[..(eq + 1)];
            if (!overrides.Any(o => o.StartsWith(name, StringComparison.Ordinal) && eq >= 0)) entries.Add((nint)(*e));
        }
        foreach (string o in overrides) entries.Add((nint)Utf8(o, strings));
        byte** envp = (byte**)NativeMemory.AllocZeroed((nuint)(entries.Count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < entries.Count; i++) envp[i] = (byte*)entries[i];
        return envp;
    }

    private static byte* Utf8(string s, List<nint> strings)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        strings.Add((nint)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    private static void Check(int error, string call)
    {
        if (error != 0) throw new PosixException(call, error);
    }
}
