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
        ValueTask.FromResult(request.Parameters.Count == 0 ? OpenUnnamed(request) : OpenNamed(request, request.Parameters[0]));

    private static IChannel OpenUnnamed(OpenRequest request)
    {
        var (r, w) = Posix.Pipe();
        Log.Notice($"creating pipe ({r}, {w})");
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
        var channel = new FdChannel(new FdStream(r, owns: true), new FdStream(w, owns: true), $"PIPE ({r}, {w})");
        FdOptions.ApplyChannelOptions(channel, request.Options);
        return channel;
    }

    private static IChannel OpenNamed(OpenRequest request, string path)
    {
        var options = request.Options;
        NamedOptions.BeforeOpen(path, options);
        if (!Posix.TryStat(path, out _))
        {
            uint mode = options.Id("perm") ?? 0x1B6;
            int rc = NamedOptions.WithUmask(options, () => Libc.MkFifo(path, mode));
            if (rc != 0) throw Posix.Fail($"mkfifo(\"{path}\", {Posix.Octal(mode)})");
            Log.Info($"created named pipe \"{path}\"");
        }
        var access = request.Access;
        int flags = FileEndpoints.ApplyOpenFlags(FileEndpoints.AccessFlags(access), options, ref access);
        Log.Notice($"opening named pipe \"{path}\" for {FileEndpoints.Describe(access)}");
        int fd = NamedOptions.WithUmask(options, () => Posix.Open(path, flags | Posix.O_CLOEXEC, 0x1B6));
        return FdEndpoint.Finish(fd, path, access, options, $"PIPE \"{path}\"");
    }
}
