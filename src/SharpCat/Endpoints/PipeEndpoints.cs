using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// PIPE: without a parameter an unnamed pipe whose output comes back as input (an echo);
/// with a file name a FIFO, created when missing, opened like a file.
/// </summary>
internal static class PipeEndpoints
{
    public static ValueTask<IChannel> OpenPipe(OpenRequest request, CancellationToken ct) =>
        request.Parameters.Count == 0 ? ValueTask.FromResult(OpenUnnamed(request)) : FileEndpoints.OffThread(() => OpenNamed(request, request.Parameters[0]), ct);

    private static IChannel OpenUnnamed(OpenRequest request)
    {
        var (r, w) = Posix.Pipe(Posix.O_NONBLOCK);
        Log.Notice("writing to and reading from unnamed pipe");
        try
        {
            FdOptions.ApplyFdPhase(r, request.Options);
            FdOptions.ApplyFdPhase(w, request.Options);
            FdOptions.ApplyLatePhase(r, request.Options);
            FdOptions.ApplyLatePhase(w, request.Options);
        }
        catch
        {
            Posix.Close(r);
            Posix.Close(w);
            throw;
        }
        var channel = new FdChannel(FdStream.OwnPipeEnd(r), FdStream.OwnPipeEnd(w));
        channel.Shutdown = FdOptions.ShutdownMode(request.Options);
        return channel;
    }

    private static IChannel OpenNamed(OpenRequest request, string path)
    {
        var options = request.Options;
        NamedOptions.BeforeOpen(path, options);
        var access = request.Access;
        int flags = FileEndpoints.ApplyOpenFlags(FileEndpoints.AccessFlags(access), options, ref access);
        bool created = false;
        if (!Posix.TryStat(path, out _))
        {
            uint mode = options.Id("perm") ?? 0x1B6;
            int rc = NamedOptions.WithUmask(options, () => Libc.MkFifo(path, mode));
            if (rc != 0) throw Posix.Fail($"mkfifo(\"{path}\", {Posix.Octal(mode)})");
            created = true;
            Log.Notice($"created named pipe \"{path}\" for {FileEndpoints.Describe(access)}");
            // As socat: a new FIFO gets its owner by name at once, not after open(2), which waits
            // for the other end and would leave it root's to whoever is meant to open it.
            try { NamedOptions.SetOwnerAndMode(path, options, "user", "group", perm: null); }
            catch
            {
                Libc.Unlink(path);
                throw;
            }
        }
        else
        {
            Log.Notice($"opening {NamedOptions.FileTypeName(path)} \"{path}\" for {FileEndpoints.Describe(access)}");
        }
        int fd;
        try
        {
            fd = Posix.Open(path, flags, 0x1B6);
        }
        catch when (created)
        {
            Libc.Unlink(path);
            throw;
        }
        var channel = FdEndpoint.Finish(fd, path, access, options, applyPerm: false);
        // A FIFO we made is ours to remove, as socat does at exit.
        if (created) channel.OnClose(() => NamedOptions.UnlinkIfPresent(path));
        return channel;
    }
}
