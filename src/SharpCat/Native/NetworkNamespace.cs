using SharpCat.Diagnostics;

namespace SharpCat.Native;

/// <summary>
/// socat 1.8's <c>netns=NAME</c>: the address is opened inside the network namespace
/// <c>/run/netns/NAME</c> (as <c>ip netns add</c> makes them). A socket belongs to the namespace
/// it was created in, and a child program to the one of the thread that started it; setns(2)
/// changes only the calling thread. So the sockets and children of such an address are made on a
/// short-lived thread of their own that entered the namespace (and ends with it), while every
/// other thread, and every other relay of the process, stays where it was; the bind, connect,
/// listen and I/O that follow may run on any thread. Which namespace the opening code is in flows
/// with its async calls (<see cref="Enter"/>).
/// </summary>
internal static class NetworkNamespace
{
    private const int CLONE_NEWNET = 0x40000000, O_RDONLY = 0, O_CLOEXEC = 0x80000;

    private static readonly AsyncLocal<string?> current = new();

    /// <summary>The namespace the address being opened asks for, or null for the process's own.</summary>
    public static string? Current => current.Value;

    /// <summary>Where ip-netns(8) keeps a named namespace, as socat opens it.</summary>
    public static string PathOf(string name) => $"/run/netns/{name}";

    /// <summary>
    /// Checks a name before anything is opened: one path component, and the namespace exists
    /// (socat's message when it does not).
    /// </summary>
    public static void Check(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\0'))
            throw new SharpCatException($"netns: invalid namespace name \"{name}\" (a name under /run/netns, as ip netns add gives)");
        int fd = Libc.Open(PathOf(name), O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw Posix.Fail($"open({PathOf(name)}, O_RDONLY|O_CLOEXEC)");
        Libc.Close(fd);
    }

    /// <summary>Makes <paramref name="name"/> the namespace of what the calling async flow opens, until it returns.</summary>
    public static void Enter(string? name) => current.Value = name;

    /// <summary>
    /// Runs <paramref name="make"/> (a socket(2), a posix_spawn) in the current namespace: at once
    /// when there is none, else on a thread of its own that entered it first.
    /// </summary>
    public static T Run<TState, T>(TState state, Func<TState, T> make)
    {
        if (current.Value is not { } name) return make(state);
        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                EnterOnThisThread(name);
                result = make(state);
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
        }, 256 * 1024) { IsBackground = true, Name = "netns " + name };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>
    /// setns(2) on the calling thread only; for a thread that ends afterwards, or that is about to
    /// become the whole process (execve in place).
    /// </summary>
    public static void EnterOnThisThread(string name)
    {
        string path = PathOf(name);
        Log.Info($"switching to net namespace \"{name}\"");
        int fd = Libc.Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw Posix.Fail($"open({path}, O_RDONLY|O_CLOEXEC)");
        try
        {
            if (Libc.Setns(fd, CLONE_NEWNET) != 0) throw Posix.Fail($"setns({fd}, CLONE_NEWNET)");
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
