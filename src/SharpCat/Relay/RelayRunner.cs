using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Grammar;

namespace SharpCat.Relay;

/// <summary>The two addresses of a relay, checked against the catalog and this build, before anything is opened.</summary>
internal sealed record RelayPlan(
    (ResolvedAddress Read, ResolvedAddress? Write) Left, (ResolvedAddress Read, ResolvedAddress? Write) Right,
    Access LeftAccess, Access RightAccess, int ForkSide, RelayOptions Options);

/// <summary>
/// Runs one relay between two addresses, in-process: what <c>sharpcat ADDRESS1 ADDRESS2</c> does,
/// behind <see cref="RelayHost"/>.
/// </summary>
internal static class RelayRunner
{
    /// <summary>Checks both addresses; nothing is opened.</summary>
    /// <exception cref="SharpCatException">An address is invalid or not supported by this build.</exception>
    public static RelayPlan Prepare(EndpointSpec left, EndpointSpec right, RelayOptions options)
    {
        // Every address is checked before anything is opened: a bad second address must not leave
        // the first one's files behind.
        var l = Check(left, options);
        var r = Check(right, options);
        var (leftAccess, rightAccess) = options.Direction switch
        {
            RelayDirection.LeftToRight => (Access.Read, Access.Write),
            RelayDirection.RightToLeft => (Access.Write, Access.Read),
            _ => (Access.ReadWrite, Access.ReadWrite),
        };
        NoFork.Check(l, r, options);
        return new RelayPlan(l, r, leftAccess, rightAccess, ForkSide(l, r), options);
    }

    /// <summary>
    /// Runs a checked relay in <paramref name="context"/>. <paramref name="stop"/> closes listeners
    /// and ends what is still opening; live relays of a fork go on until <paramref name="force"/>.
    /// A single relay that transfers is cut by <paramref name="stop"/> too (as socat's is by a
    /// signal) unless <paramref name="drainSingle"/>.
    /// </summary>
    public static async Task RunAsync(RelayPlan plan, RelayContext context, CancellationToken stop, CancellationToken force, bool drainSingle)
    {
        var (l, r, leftAccess, rightAccess, side, options) = plan;
        Stream? rawL2R = null, rawR2L = null;
        Capture.PcapNgWriter? capture = null;
        LockFile? globalLock = null;
        try
        {
            if (options.GlobalLockFile is { } lockPath)
                globalLock = options.WaitForLock ? await LockFile.WaitAsync(lockPath, stop).ConfigureAwait(false) : LockFile.Acquire(lockPath);
            rawL2R = OpenRawDump("-r", options.RawDumpLeftToRight);
            rawR2L = OpenRawDump("-R", options.RawDumpRightToLeft);
            if (options.CaptureFile is { } capturePath) capture = Capture.PcapNgWriter.Open(capturePath);
            var dumps = new RawDumps(rawL2R, rawR2L, capture);
            if (side > 0)
                await RunForkingAsync(side == 1 ? l : r, side == 1 ? r : l, side, leftAccess, rightAccess, context, dumps, stop, force).ConfigureAwait(false);
            else
                await RunOnceAsync(l, r, leftAccess, rightAccess, context, dumps, stop, drainSingle ? force : stop).ConfigureAwait(false);
        }
        catch (AcceptTimeoutException e)
        {
            Log.Warn(e.Message);
        }
        finally
        {
            rawL2R?.Dispose();
            rawR2L?.Dispose();
            capture?.Dispose();
            globalLock?.Dispose();
        }
    }

    private static async Task RunOnceAsync((ResolvedAddress, ResolvedAddress?) l, (ResolvedAddress, ResolvedAddress?) r,
        Access leftAccess, Access rightAccess, RelayContext context, RawDumps dumps, CancellationToken ct, CancellationToken transferStop)
    {
        var options = context.Options;
        var locks = new List<LockFile>();
        OpenedEndpoint? a = null, b = null;
        try
        {
            a = await OpenAsync(l, leftAccess, options, locks, 1, ct).ConfigureAwait(false);
            if (r.Item1.Options.Flag("nofork"))
            {
                int status = await NoFork.RunAsync(r.Item1, a.Channel, ct).ConfigureAwait(false);
                Log.Notice($"exit({status})");
                Environment.Exit(status); // socat's process ends with its shell's status
            }
            b = await OpenAsync(r, rightAccess, options, locks, 2, ct, a.Channel).ConfigureAwait(false);
            long id = context.NextConnectionId();
            using var scope = ConnectionScope.Open(context, id);
            await TransferAsync(id, a, b, context, dumps, transferStop).ConfigureAwait(false);
        }
        catch (SharpCatException) when (b is null)
        {
            context.Metrics?.OpenFailed();
            throw;
        }
        finally
        {
            if (a is not null) await a.Channel.DisposeAsync().ConfigureAwait(false);
            if (b is not null) await b.Channel.DisposeAsync().ConfigureAwait(false);
            foreach (var lk in locks) lk.Dispose();
        }
    }

    private static Task TransferAsync(long id, OpenedEndpoint a, OpenedEndpoint b, RelayContext context, RawDumps dumps, CancellationToken ct) =>
        a.WriteBehaviour.Faults is null && b.WriteBehaviour.Faults is null && context.Options.Faults is null
            ? TransferPlainAsync(id, a, b, context, dumps, ct)
            : TransferWithFaultsAsync(id, a, b, context, dumps, ct);

    /// <summary>A transfer with faults (an address's options, or the relay's <see cref="RelayFaults"/>): they wrap its channels for this connection only.</summary>
    private static async Task TransferWithFaultsAsync(long id, OpenedEndpoint a, OpenedEndpoint b, RelayContext context, RawDumps dumps, CancellationToken ct)
    {
        var live = context.Options.Faults;
        var faultyA = Faults.FaultChannel.Wrap(a.Channel, a.WriteBehaviour.Faults, live, id, 1, a.Name);
        var faultyB = Faults.FaultChannel.Wrap(b.Channel, b.WriteBehaviour.Faults, live, id, 2, b.Name);
        try
        {
            await TransferPlainAsync(id, a with { Channel = faultyA }, b with { Channel = faultyB }, context, dumps, ct).ConfigureAwait(false);
        }
        finally
        {
            if (faultyA != a.Channel) await faultyA.DisposeAsync().ConfigureAwait(false);
            if (faultyB != b.Channel) await faultyB.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Task TransferPlainAsync(long id, OpenedEndpoint a, OpenedEndpoint b, RelayContext context, RawDumps dumps, CancellationToken ct)
    {
        if (context.Options.AnalyzeFds) FdAnalysis.Write(DistinctFds(a.Channel, b.Channel), context.Options.DumpFd);
        // The event comes before the first line of the transfer: a host that logs to stderr until
        // then (-lm) has switched to syslog for it.
        var record = context.RecordsConnections ? new RelayConnection(id, DateTimeOffset.UtcNow, a.Describe(), b.Describe()) : null;
        var capture = dumps.Capture is { } writer ? Capture.CaptureConversation.Start(writer, id, a, b) : null;
        var session = new RelaySession(a, b, context, record, dumps, capture);
        context.ConnectionOpened(record);
        Log.Notice($"starting data transfer loop with FDs {a.Channel.Describe()} and {b.Channel.Describe()}");
        return session.RunAsync(ct);
    }

    /// <summary>1 or 2 when that address has <c>fork</c> (it listens, or connects in a loop); 0 for a single relay.</summary>
    private static int ForkSide((ResolvedAddress Read, ResolvedAddress? Write) l, (ResolvedAddress Read, ResolvedAddress? Write) r)
    {
        foreach (var (spec, side) in new[] { (l, 1), (r, 2) })
        {
            foreach (var address in new[] { spec.Read, spec.Write })
            {
                if (address is null || !address.Options.Flag("fork")) continue;
                if (spec.Write is not null)
                    throw new SharpCatException($"{address.Name}: fork is not supported in one half of a \"!!\" address");
                return side;
            }
        }
        return 0;
    }

    /// <summary>
    /// fork, in one process (DESIGN.md §3): each accepted connection opens the other address and
    /// relays concurrently, at most <c>max-children</c> at a time (further connections wait in the
    /// backlog). Cancelling <paramref name="ct"/> closes the listener and lets the live relays
    /// finish; <paramref name="force"/> cuts them.
    /// </summary>
    private static async Task RunForkingAsync((ResolvedAddress Read, ResolvedAddress? Write) listen, (ResolvedAddress Read, ResolvedAddress? Write) other,
        int listenSide, Access leftAccess, Access rightAccess, RelayContext context, RawDumps dumps, CancellationToken ct, CancellationToken force)
    {
        var options = context.Options;
        var listenAddress = listen.Read;
        var (listenAccess, otherAccess) = listenSide == 1 ? (leftAccess, rightAccess) : (rightAccess, leftAccess);
        // A first address before the forking one is socat's parent's: opened once, before the
        // listener, and used by every relay (a file with o-trunc is emptied once, a connection is made once).
        await using var shared = listenSide == 2 ? await OpenSharedAsync(other, otherAccess, options, ct).ConfigureAwait(false) : null;
        var request = new OpenRequest(listenAddress, listenAccess, options);
        var listener = EndpointRegistry.Listens(listenAddress.Kind.Keyword)
            ? await EndpointRegistry.Listener(listenAddress.Kind.Keyword)(request, ct).ConfigureAwait(false)
            : new ConnectLoop(request, EndpointRegistry.Opener(listenAddress.Kind.Keyword));
        SharpCatException? failure = null;
        int max = (int)(listenAddress.Options.Number("max-children") ?? 0);
        using var slots = max > 0 ? new SemaphoreSlim(max) : null;
        var children = new ConcurrentDictionary<long, Task>();
        var behaviour = AddressBehaviour.From(listenAddress.Options);
        int shutup = (int)(listenAddress.Options.Number("children-shutup") ?? 0);
        TimeSpan? backoff = null;
        Fork? fork = null;
        try
        {
            while (true)
            {
                if (slots is not null && !slots.Wait(0))
                {
                    Log.Notice("maxchildren are active, waiting");
                    await slots.WaitAsync(ct).ConfigureAwait(false);
                }
                IChannel connection;
                try
                {
                    connection = await listener.AcceptAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (ResourceExhaustion.Is(e))
                {
                    // Out of descriptors or memory: the live relays keep theirs, and the client
                    // waits in the backlog until some end (DESIGN.md §3).
                    slots?.Release();
                    if (backoff is null)
                    {
                        Log.Warn($"{e.Message}: {children.Count} relay(s) live; accepting again when resources free up");
                        context.Metrics?.ResourcesExhausted();
                    }
                    backoff = ResourceExhaustion.NextBackoff(backoff);
                    await Task.Delay(backoff.Value, ct).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    slots?.Release();
                    throw;
                }
                if (backoff is not null) Log.Notice("accepting again");
                backoff = null;
                long id = context.NextConnectionId();
                var accepted = new OpenedEndpoint(connection, behaviour, behaviour, SocketName(listenSide), listenAddress.Spec.Text);
                // The child runs on this thread up to its first wait (the connect), then on its own,
                // and may be done before it is stored: a placeholder goes in first, and a child
                // that already removed it is not stored.
                children[id] = Task.CompletedTask;
                fork ??= new Fork(other, shared, listenSide, otherAccess, context, dumps, children, slots, shutup, ct, force);
                var child = RunChildAsync(id, accepted, fork);
                children.TryUpdate(id, child, Task.CompletedTask);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (AcceptTimeoutException e)
        {
            Log.Warn(e.Message);
        }
        catch (SharpCatException e)
        {
            // The listener (or the connect loop) failed for good: the live relays still finish.
            failure = e;
        }
        finally
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
        if (!children.IsEmpty) Log.Notice($"listener closed, waiting for {children.Count} relay(s) to finish");
        await Task.WhenAll(children.Values).ConfigureAwait(false);
        if (failure is not null) throw failure;
    }

    /// <summary>What every child of one forking relay shares: one object per relay, not copies in each idle connection's state.</summary>
    private sealed record Fork((ResolvedAddress, ResolvedAddress?) Other, SharedChannel.Owner? Shared, int ListenSide, Access OtherAccess,
        RelayContext Context, RawDumps Dumps, ConcurrentDictionary<long, Task> Children, SemaphoreSlim? Slots, int Shutup,
        CancellationToken Stop, CancellationToken Force);

    /// <summary>
    /// One accepted connection's relay. <see cref="Fork.Stop"/> (the listener's end, the first
    /// signal) ends it only while it is still opening its other address (a second listener, a
    /// connect that retries): nothing has moved yet, and socat's parent process, which a script
    /// waits for, is gone by then. Once it transfers, only <see cref="Fork.Force"/> (a forced stop) cuts it.
    /// </summary>
    private static async Task RunChildAsync(long id, OpenedEndpoint accepted, Fork fork)
    {
        // children-shutup (socat 1.8): this relay, socat's forked child, logs that many levels lower.
        if (fork.Shutup > 0) Log.Shutup = fork.Shutup;
        List<LockFile>? locks = null;
        OpenedEndpoint? peer = null;
        using var scope = ConnectionScope.Open(fork.Context, id);
        try
        {
            if (fork.Shared is not null) peer = fork.Shared.ForRelay();
            else
            {
                Log.Notice($"relay {id}: opening the second address");
                (peer, locks) = await OpenPeerAsync(id, accepted, fork).ConfigureAwait(false);
            }
            var (a, b) = fork.ListenSide == 1 ? (accepted, peer) : (peer, accepted);
            await TransferAsync(id, a, b, fork.Context, fork.Dumps, fork.Force).ConfigureAwait(false);
            Log.Notice($"relay {id} finished");
        }
        catch (OperationCanceledException) when (fork.Force.IsCancellationRequested || fork.Stop.IsCancellationRequested)
        {
        }
        catch (SharpCatException e)
        {
            // One failing relay ends only itself; the listener goes on.
            Log.Error($"relay {id}: {e.Message}");
            if (peer is null) fork.Context.Metrics?.OpenFailed();
        }
        finally
        {
            await accepted.Channel.DisposeAsync().ConfigureAwait(false);
            if (peer is not null) await peer.Channel.DisposeAsync().ConfigureAwait(false);
            if (locks is not null) foreach (var lk in locks) lk.Dispose();
            fork.Children.TryRemove(id, out _);
            fork.Slots?.Release();
        }
    }

    /// <summary>
    /// Opens a child's other address (on its own: what the opening needs is not kept while the
    /// connection idles). <see cref="Fork.Stop"/> (the listener's end, the first signal) ends
    /// it too: nothing has moved yet. The lock files it holds come with it (null when none);
    /// when it fails, it has released them.
    /// </summary>
    private static async Task<(OpenedEndpoint, List<LockFile>?)> OpenPeerAsync(long id, OpenedEndpoint accepted, Fork fork)
    {
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(fork.Stop, fork.Force);
        var locks = new List<LockFile>();
        TimeSpan? backoff = null;
        while (true)
        {
            try
            {
                var peer = await OpenAsync(fork.Other, fork.OtherAccess, fork.Context.Options, locks, 2, opening.Token, accepted.Channel, forked: true).ConfigureAwait(false);
                if (backoff is not null) Log.Notice($"relay {id}: opened after waiting for resources");
                return (peer, locks.Count > 0 ? locks : null);
            }
            catch (Exception e) when (ResourceExhaustion.Is(e))
            {
                // Out of descriptors or memory after the accept: the client has sent data that
                // only this connection holds, so it waits for live relays to end, as the
                // listener does, rather than being dropped (DESIGN.md §3).
                if (backoff is null)
                {
                    Log.Warn($"relay {id}: {e.Message}: opening again when resources free up");
                    fork.Context.Metrics?.ResourcesExhausted();
                }
                foreach (var lk in locks) lk.Dispose();
                locks.Clear();
                backoff = ResourceExhaustion.NextBackoff(backoff);
                await Task.Delay(backoff.Value, opening.Token).ConfigureAwait(false);
            }
            catch
            {
                foreach (var lk in locks) lk.Dispose();
                throw;
            }
        }
    }

    private static async Task<SharedChannel.Owner> OpenSharedAsync((ResolvedAddress, ResolvedAddress?) first, Access access, RelayOptions options, CancellationToken ct)
    {
        var locks = new List<LockFile>();
        try
        {
            return new SharedChannel.Owner(await OpenAsync(first, access, options, locks, 1, ct).ConfigureAwait(false), locks);
        }
        catch
        {
            foreach (var l in locks) l.Dispose();
            throw;
        }
    }

    /// <summary>socat's name for each address in log lines.</summary>
    private static string SocketName(int index) => index == 1 ? "socket 1" : "socket 2";

    private static IEnumerable<int> DistinctFds(params IChannel[] channels) =>
        channels.SelectMany(c => new[] { c.ReadFd, c.WriteFd }).Where(fd => fd >= 0).Distinct().Order();

    private static (ResolvedAddress Read, ResolvedAddress? Write) Check(EndpointSpec spec, RelayOptions options)
    {
        var read = AddressResolver.Resolve(spec.Primary, options.CheckOptionGroups, options.Sloppy);
        var write = spec.WriteSide is null ? null : AddressResolver.Resolve(spec.WriteSide, options.CheckOptionGroups, options.Sloppy);
        EndpointRegistry.Validate(read);
        if (write is not null) EndpointRegistry.Validate(write);
        return (read, write);
    }

    // Pooled: one of these runs per connection; with fork, its box would be garbage each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<OpenedEndpoint> OpenAsync((ResolvedAddress Read, ResolvedAddress? Write) spec, Access access,
        RelayOptions options, List<LockFile> locks, int index, CancellationToken ct, IChannel? openedBefore = null, bool forked = false)
    {
        // A one-way relay opens only the half of a dual address it uses, as socat does.
        var single = spec.Write is null ? spec.Read : access == Access.Read ? spec.Read : access == Access.Write ? spec.Write : null;
        if (single is not null)
        {
            var channel = await OpenSingleAsync(single, access, options, locks, ct, openedBefore, forked).ConfigureAwait(false);
            var behaviour = AddressBehaviour.From(single.Options);
            return new OpenedEndpoint(channel, behaviour, behaviour, SocketName(index), single.Spec.Text);
        }
        IChannel? reader = null;
        try
        {
            reader = await OpenSingleAsync(spec.Read, Access.Read, options, locks, ct, openedBefore, forked).ConfigureAwait(false);
            var writer = await OpenSingleAsync(spec.Write!, Access.Write, options, locks, ct, openedBefore, forked).ConfigureAwait(false);
            return new OpenedEndpoint(new DualChannel(reader, writer),
                AddressBehaviour.From(spec.Read.Options), AddressBehaviour.From(spec.Write!.Options), SocketName(index),
                $"{spec.Read.Spec.Text}!!{spec.Write.Spec.Text}");
        }
        catch
        {
            if (reader is not null) await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<IChannel> OpenSingleAsync(ResolvedAddress address, Access access, RelayOptions options,
        List<LockFile> locks, CancellationToken ct, IChannel? openedBefore, bool forked = false)
    {
        if (address.Options.Text("lockfile") is { } lockPath) locks.Add(LockFile.Acquire(lockPath));
        if (address.Options.Text("waitlock") is { } waitPath) locks.Add(await LockFile.WaitAsync(waitPath, ct).ConfigureAwait(false));
        // Openers that may block (open(2) of a FIFO) leave the caller's thread themselves.
        var channel = await EndpointRegistry.Opener(address.Kind.Keyword)(new OpenRequest(address, access, options) { OpenedBefore = openedBefore, Forked = forked }, ct).ConfigureAwait(false);
        try
        {
            await channel.WaitForPeerAsync(ct).ConfigureAwait(false);
            OwnProcess.Apply(address);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return channel;
    }

    private static FileStream? OpenRawDump(string flag, string? path)
    {
        if (path is null) return null;
        int fd = Native.Libc.Open(path, Native.Posix.O_WRONLY | Native.Posix.O_CREAT | Native.Posix.O_APPEND | Native.Posix.O_CLOEXEC, 0x1B4);
        if (fd < 0) throw new SharpCatException($"option {flag} \"{path}\": {Native.Posix.StrError(Native.Posix.Errno)}");
        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }
}
