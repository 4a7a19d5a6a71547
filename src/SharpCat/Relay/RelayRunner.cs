using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Endpoints;
using SharpCat.Grammar;

namespace SharpCat.Relay;

/// <summary>
/// Runs one relay between two addresses, in-process: the library equivalent of
/// <c>sharpcat ADDRESS1 ADDRESS2</c>.
/// </summary>
/// <example>
/// <code>await RelayRunner.RunAsync("OPEN:/tmp/in", "CREATE:/tmp/out", new RelayOptions(), ct);</code>
/// </example>
public static class RelayRunner
{
    /// <summary>Parses, checks, opens and relays two address strings.</summary>
    /// <exception cref="SharpCatException">An address is malformed or cannot be opened, or I/O failed.</exception>
    public static Task RunAsync(string left, string right, RelayOptions? options = null, CancellationToken ct = default) =>
        RunAsync(EndpointSpec.Parse(left), EndpointSpec.Parse(right), options, ct);

    /// <summary>Checks, opens and relays two parsed addresses.</summary>
    /// <exception cref="SharpCatException">An address is invalid or cannot be opened, or I/O failed.</exception>
    public static async Task RunAsync(EndpointSpec left, EndpointSpec right, RelayOptions? options = null, CancellationToken ct = default)
    {
        options ??= new RelayOptions();
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
        var locks = new List<LockFile>();
        OpenedEndpoint? a = null, b = null;
        Stream? rawL2R = null, rawR2L = null;
        try
        {
            rawL2R = OpenRawDump("-r", options.RawDumpLeftToRight);
            rawR2L = OpenRawDump("-R", options.RawDumpRightToLeft);
            a = await OpenAsync(l, leftAccess, options, locks, 1, ct).ConfigureAwait(false);
            b = await OpenAsync(r, rightAccess, options, locks, 2, ct).ConfigureAwait(false);
            if (options.AnalyzeFds) FdAnalysis.Write(DistinctFds(a.Channel, b.Channel), options.DumpFd);
            Log.StartPhaseOver();
            Log.Notice($"starting data transfer loop with FDs {a.Channel.Describe()} and {b.Channel.Describe()}");
            var session = new RelaySession(a, b, options, rawL2R, rawR2L);
            await session.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (a is not null) await a.Channel.DisposeAsync().ConfigureAwait(false);
            if (b is not null) await b.Channel.DisposeAsync().ConfigureAwait(false);
            rawL2R?.Dispose();
            rawR2L?.Dispose();
            foreach (var lk in locks) lk.Dispose();
        }
    }

    private static IEnumerable<int> DistinctFds(params IChannel[] channels) =>
        channels.SelectMany(c => new[] { c.ReadFd, c.WriteFd }).Where(fd => fd >= 0).Distinct().Order();

    private static (ResolvedAddress Read, ResolvedAddress? Write) Check(EndpointSpec spec, RelayOptions options) =>
        (AddressResolver.Resolve(spec.Primary, options.CheckOptionGroups, options.Sloppy),
         spec.WriteSide is null ? null : AddressResolver.Resolve(spec.WriteSide, options.CheckOptionGroups, options.Sloppy));

    private static async Task<OpenedEndpoint> OpenAsync((ResolvedAddress Read, ResolvedAddress? Write) spec, Access access,
        RelayOptions options, List<LockFile> locks, int index, CancellationToken ct)
    {
        // A one-way relay opens only the half of a dual address it uses, as socat does.
        var single = spec.Write is null ? spec.Read : access == Access.Read ? spec.Read : access == Access.Write ? spec.Write : null;
        if (single is not null)
        {
            var channel = await OpenSingleAsync(single, access, options, locks, ct).ConfigureAwait(false);
            var behaviour = AddressBehaviour.From(single.Options);
            return new OpenedEndpoint(channel, behaviour, behaviour, $"socket {index}");
        }
        IChannel? reader = null;
        try
        {
            reader = await OpenSingleAsync(spec.Read, Access.Read, options, locks, ct).ConfigureAwait(false);
            var writer = await OpenSingleAsync(spec.Write!, Access.Write, options, locks, ct).ConfigureAwait(false);
            return new OpenedEndpoint(new DualChannel(reader, writer),
                AddressBehaviour.From(spec.Read.Options), AddressBehaviour.From(spec.Write!.Options), $"socket {index}");
        }
        catch
        {
            if (reader is not null) await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<IChannel> OpenSingleAsync(ResolvedAddress address, Access access, RelayOptions options,
        List<LockFile> locks, CancellationToken ct)
    {
        if (address.Options.Text("lockfile") is { } lockPath) locks.Add(LockFile.Acquire(lockPath));
        if (address.Options.Text("waitlock") is { } waitPath) locks.Add(await LockFile.WaitAsync(waitPath, ct).ConfigureAwait(false));
        var open = EndpointRegistry.Opener(address.Kind.Keyword);
        // Off the caller's thread: opening a FIFO blocks in open(2) until its peer appears.
        return await Task.Run(() => open(new OpenRequest(address, access, options), ct).AsTask(), ct).ConfigureAwait(false);
    }

    private static FileStream? OpenRawDump(string flag, string? path)
    {
        if (path is null) return null;
        int fd = Native.Libc.Open(path, Native.Posix.O_WRONLY | Native.Posix.O_CREAT | Native.Posix.O_APPEND | Native.Posix.O_CLOEXEC, 0x1B4);
        if (fd < 0) throw new SharpCatException($"option {flag} \"{path}\": {Native.Posix.StrError(Native.Posix.Errno)}");
        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }
}
