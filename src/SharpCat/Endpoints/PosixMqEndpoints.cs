using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// socat 1.8's POSIX message queues: POSIXMQ-READ and -RECEIVE read, -SEND and -WRITE write,
/// -BIDIRECTIONAL does what the relay needs (both ways: an echo). One message is one read and one
/// write, boundaries kept. RECEIVE takes one message and ends; with <c>fork</c> every message is
/// its own relay, and SEND with fork starts a relay every <c>interval</c>. The queue is created when missing (<c>o-creat</c> is on, mode 0666 under
/// <c>umask</c>), with <c>posixmq-maxmsg</c>/<c>-msgsize</c>; <c>posixmq-priority</c> is the
/// priority of what is sent; <c>posixmq-flush</c> drops what is queued first.
/// </summary>
internal static class PosixMqEndpoints
{
    private const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const int EAGAIN = 11, ENOENT = 2;

    public static ValueTask<IChannel> Read(OpenRequest r, CancellationToken ct) => OpenAsync(r, Access.Read, oneShot: false, ct);
    public static ValueTask<IChannel> Receive(OpenRequest r, CancellationToken ct) => OpenAsync(r, Access.Read, oneShot: true, ct);
    public static ValueTask<IChannel> Send(OpenRequest r, CancellationToken ct) => OpenAsync(r, Access.Write, oneShot: false, ct);
    public static ValueTask<IChannel> Bidirectional(OpenRequest r, CancellationToken ct) => OpenAsync(r, r.Access, oneShot: false, ct);

    /// <summary>POSIXMQ-RECEIVE with fork: each message that arrives is one relay.</summary>
    public static async ValueTask<IListener> ReceiveFork(OpenRequest request, CancellationToken ct)
    {
        var (mqd, attr) = await OpenQueueAsync(request, Access.Read, ct).ConfigureAwait(false);
        Log.Info("starting POSIX-MQ fork loop");
        return new PosixMqReceiveListener(new PosixMqChannel(mqd, request.Parameters[0], Access.Read, 0, oneShot: false,
            UnlinkOnClose(request)), (int)attr.MsgSize);
    }

    /// <summary>
    /// POSIXMQ-SEND with fork: as socat's parent, a relay as soon as the queue has room, then the next
    /// one after <c>interval</c> (1 s by default), and so on (with max-children, while fewer are live).
    /// </summary>
    public static async ValueTask<IListener> SendFork(OpenRequest request, CancellationToken ct)
    {
        // Opened once, as by socat's parent (unlink-early and flush happen once); each relay has a dup of it.
        var (mqd, _) = await OpenQueueAsync(request, Access.Write, ct).ConfigureAwait(false);
        var interval = TimeSpan.FromSeconds(request.Options.Seconds("interval") ?? 1.0);
        uint priority = (uint)(request.Options.Number("posixmq-priority") ?? 0);
        return new PosixMqSendForkListener(mqd, request.Parameters[0], priority, UnlinkOnClose(request), interval);
    }

    private static async ValueTask<IChannel> OpenAsync(OpenRequest request, Access access, bool oneShot, CancellationToken ct)
    {
        var (mqd, _) = await OpenQueueAsync(request, access, ct).ConfigureAwait(false);
        uint priority = (uint)(request.Options.Number("posixmq-priority") ?? 0);
        return new PosixMqChannel(mqd, request.Parameters[0], access, priority, oneShot, UnlinkOnClose(request));
    }

    private static bool UnlinkOnClose(OpenRequest request) => request.Options.Flag("unlink-close");

    /// <summary>Opens (creating if asked) the queue, retrying as the RETRY options say, as socat retries mq_open.</summary>
    private static ValueTask<(int Mqd, MqAttr Attr)> OpenQueueAsync(OpenRequest request, Access access, CancellationToken ct) =>
        StreamSockets.RetryAsync(request.Options, (request, access),
            static (s, _) => ValueTask.FromResult(OpenQueue(s.request, s.access)), ct);

    private static (int Mqd, MqAttr Attr) OpenQueue(OpenRequest request, Access access)
    {
        var options = request.Options;
        string name = request.Parameters[0];
        if (options.Flag("posixmq-flush")) Flush(name);
        if (options.Flag("unlink-early") && Libc.MqUnlink(name) != 0)
            Log.Info($"mq_unlink(\"{name}\"): {Posix.StrError(Posix.Errno)}");
        int flags = O_CLOEXEC | O_NONBLOCK | access switch { Access.Read => O_RDONLY, Access.Write => O_WRONLY, _ => O_RDWR };
        if (options.Flag("o-create", fallback: true)) flags |= O_CREAT;
        if (options.Flag("o-excl")) flags |= O_EXCL;
        uint mode = options.Id("perm") ?? 0x1B6;
        long? maxMsg = options.Number("posixmq-maxmsg"), msgSize = options.Number("posixmq-msgsize");
        MqAttr requested = default;
        bool sized = maxMsg is not null || msgSize is not null;
        if (sized)
        {
            // Giving one needs the other too: the missing one is the system's default, as socat means it.
            requested.MaxMsg = maxMsg ?? Default("/proc/sys/fs/mqueue/msg_default", 10);
            requested.MsgSize = msgSize ?? Default("/proc/sys/fs/mqueue/msgsize_default", 8192);
        }
        MqAttr? wanted = sized ? requested : null;
        int mqd = NamedOptions.WithUmask(options, () => MqOpen(name, flags, mode, wanted));
        if (mqd < 0)
        {
            string attrText = sized ? $"{{flags=0, maxmsg={requested.MaxMsg}, msgsize={requested.MsgSize}, curmsgs=0}}" : "NULL";
            throw new SharpCatException($"{request.Address.Name}: mq_open(\"{name}\", {Posix.Octal((uint)flags)}, {Posix.Octal(mode)}, {attrText}): {Posix.StrError(Posix.Errno)}");
        }
        try
        {
            var attr = Posix.MqGetAttr(mqd, name);
            Log.Info($"POSIXMQ queue \"{name}\" attrs: {{ flags={attr.Flags & ~O_NONBLOCK}, maxmsg={attr.MaxMsg}, msgsize={attr.MsgSize}, curmsgs={attr.CurMsgs} }}");
            if (sized && attr.MaxMsg != requested.MaxMsg) Log.Warn($"mq_open(): requested maxmsg={requested.MaxMsg}, but result is {attr.MaxMsg}");
            if (sized && attr.MsgSize != requested.MsgSize) Log.Warn($"mq_open(): requested msgsize={requested.MsgSize}, but result is {attr.MsgSize}");
            FdOptions.ApplyFdPhase(mqd, options, applyPerm: false);
            FdOptions.ApplyLatePhase(mqd, options);
            return (mqd, attr);
        }
        catch
        {
            Libc.MqClose(mqd);
            throw;
        }
    }

    private static unsafe int MqOpen(string name, int flags, uint mode, MqAttr? attr)
    {
        MqAttr copy = attr ?? default;
        return Libc.MqOpen(name, flags, mode, attr is null ? null : &copy);
    }

    private static long Default(string path, long fallback)
    {
        try { return long.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            Log.Warn($"open(\"{path}\", O_RDONLY, 0): {e.Message}");
            return fallback;
        }
    }

    /// <summary><c>posixmq-flush</c>: drops every message queued now (a missing queue has none).</summary>
    private static void Flush(string name)
    {
        Log.Info($"flushing POSIXMQ queue \"{name}\"");
        int mqd = MqOpen(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0, null);
        if (mqd < 0)
        {
            if (Posix.Errno == ENOENT)
            {
                Log.Info("this queue does not exist, no need to flush it");
                return;
            }
            throw new SharpCatException($"mq_open(\"{name}\", ...): {Posix.StrError(Posix.Errno)}");
        }
        try
        {
            var attr = Posix.MqGetAttr(mqd, name);
            byte[] buffer = new byte[attr.MsgSize];
            long messages = 0, bytes = 0;
            while (true)
            {
                int n = Posix.MqReceive(mqd, buffer, out _);
                if (n == -EAGAIN || n == 0) break;
                if (n < 0) throw new SharpCatException($"flushing POSIXMQ \"{name}\" failed: {Posix.StrError(-n)}");
                messages++;
                bytes += n;
            }
            Log.Info($"flushed {bytes} bytes in {messages} packets from queue \"{name}\"");
        }
        finally
        {
            Libc.MqClose(mqd);
        }
    }

    // What a queue uses of its groups: the rest (file options, open flags other than creat and excl,
    // the by-path NAMED options) means nothing to a queue, so it is refused rather than ignored.
    private static readonly HashSet<string> Usable = new(StringComparer.Ordinal)
    {
        "o-create", "o-excl", "perm", "umask", "unlink-early", "unlink-close", "user", "group", "user-late", "group-late",
        "cloexec", "fork", "max-children", "retry", "forever", "interval",
        "posixmq-priority", "posixmq-flush", "posixmq-maxmsg", "posixmq-msgsize",
    };

    /// <summary>The options, before anything is opened.</summary>
    public static void Check(ResolvedAddress address)
    {
        bool reads = address.Kind.Keyword is "posixmq-read" or "posixmq-receive";
        foreach (var o in address.Options.All)
        {
            string option = o.Def.Name;
            if ((o.Def.Groups & (OptionGroups.Appl | OptionGroups.Process)) != 0) continue;
            if (option == "o-nonblock")
                throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" is not supported: sharpcat never blocks on a queue and waits for it with poll, as socat does before each transfer");
            if (option == "posixmq-priority" && reads)
                throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" sets the priority of messages sent; a reader always gets the highest priority first");
            if (!Usable.Contains(option) && (o.Def.Groups & OptionGroups.Fd) == 0)
                throw new SharpCatException($"{address.Name}: option \"{o.Spelling}\" cannot be used on a message queue");
        }
    }
}
