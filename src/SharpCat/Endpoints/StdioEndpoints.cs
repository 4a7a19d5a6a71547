using SharpCat.Native;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// STDIO, STDIN, STDOUT, STDERR and FD:n: descriptors the process already has. STDIO reads fd 0
/// and writes fd 1, so its half-close closes fd 1 and the reader of our output sees EOF.
/// </summary>
internal static class StdioEndpoints
{
    public static ValueTask<IChannel> OpenStdio(OpenRequest request, CancellationToken ct)
    {
        bool read = (request.Access & Access.Read) != 0, write = (request.Access & Access.Write) != 0;
        Log.Notice(read && write ? "reading from and writing to stdio" : read ? "using stdin for reading" : "using stdout for writing");
        return Wrap(request, read ? 0 : -1, write ? 1 : -1);
    }

    public static ValueTask<IChannel> OpenStdin(OpenRequest request, CancellationToken ct)
    {
        Log.Notice("using stdin for reading");
        return Wrap(request, 0, -1);
    }

    public static ValueTask<IChannel> OpenStdout(OpenRequest request, CancellationToken ct)
    {
        Log.Notice("using stdout for writing");
        return Wrap(request, -1, 1);
    }

    public static ValueTask<IChannel> OpenStderr(OpenRequest request, CancellationToken ct)
    {
        Log.Notice("using stderr for writing");
        return Wrap(request, -1, 2);
    }

    public static ValueTask<IChannel> OpenFd(OpenRequest request, CancellationToken ct)
    {
        string text = request.Parameters[0];
        if (!Catalog.OptionValueParser.TryParseC(text, out long fd) || fd < 0 || fd > int.MaxValue)
            throw new SharpCatException($"FD: invalid file descriptor \"{text}\"");
        if (!Native.Posix.IsOpen((int)fd)) throw new SharpCatException($"FD:{fd}: file descriptor {fd} is not open");
        Log.Notice($"using file descriptor {fd} for {FileEndpoints.Describe(request.Access)}");
        bool read = (request.Access & Access.Read) != 0, write = (request.Access & Access.Write) != 0;
        return Wrap(request, read ? (int)fd : -1, write ? (int)fd : -1);
    }

    private static readonly HashSet<int> Claimed = [];

    /// <summary>
    /// The first address to use an inherited fd closes it when done (so the reader of our stdout
    /// sees EOF); a second one (<c>sharpcat - -</c>) must not close it again. fd 2 carries our own
    /// log lines and is never closed.
    /// </summary>
    private static bool Claim(int fd)
    {
        lock (Claimed) return fd != 2 && Claimed.Add(fd);
    }

    private static ValueTask<IChannel> Wrap(OpenRequest request, int readFd, int writeFd)
    {
        var options = request.Options;
        FdStream? reader = null, writer = null;
        TermiosData? readTerminal = readFd >= 0 ? Termios.Save(readFd) : null;
        TermiosData? writeTerminal = writeFd >= 0 && writeFd != readFd ? Termios.Save(writeFd) : null;
        foreach (int fd in new[] { readFd, writeFd }.Where(f => f >= 0).Distinct())
        {
            // An inherited fd may be a socket: its socket options apply (and fail on anything else, as in socat).
            SocketOptions.Apply(fd, options, beforeBind: true);
            SocketOptions.Apply(fd, options, beforeBind: false);
            FdOptions.ApplyFdPhase(fd, options);
            FdOptions.ApplyLatePhase(fd, options);
        }
        if (readFd >= 0) reader = new FdStream(readFd, owns: !request.Forked && Claim(readFd), readTerminal);
        if (writeFd >= 0) writer = writeFd == readFd ? reader : new FdStream(writeFd, owns: !request.Forked && Claim(writeFd), writeTerminal);
        var channel = new FdChannel(reader, writer);
        channel.Shutdown = FdOptions.ShutdownMode(options);
        return ValueTask.FromResult<IChannel>(channel);
    }
}
