using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// PTY: a new pseudo-terminal whose master side is relayed; another program opens the slave side
/// as a terminal or serial line (<c>link=</c> gives it a stable name). The slave stays open here so
/// that programs may open and close it in turn (socat's default, openpty), unless <c>ptmx</c> or
/// <c>wait-slave</c> is given: then, as in socat, the last close of the slave is end of file.
/// </summary>
internal static class PtyEndpoints
{
    private const short POLLHUP = 0x10;

    public static async ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        // ptmx, as socat's: the slave is not held open here (wait-slave needs it opened once to see
        // a program open it: the master reports hang-up until then).
        var (master, slave, slavePath) = Pty.Open(openSlave: !options.Flag("ptmx") || options.Flag("pty-wait-slave"));
        string? link = options.Text("symbolic-link");
        bool linked = false;
        try
        {
            Log.Notice($"PTY is {slavePath}");
            if (link is not null)
            {
                MakeLink(slavePath, link);
                linked = true;
            }
            // Ownership and modes are the slave's, set by its name as socat does: on the master they
            // would change /dev/ptmx itself, the device every program opens to get a pty.
            NamedOptions.SetOwnerAndMode(slavePath, options, "user", "group", "perm");
            NamedOptions.SetOwnerAndMode(slavePath, options, "user-late", "group-late", "perm-late");
            // Terminal settings given on the master are the slave's (Linux keeps one set per pair).
            var channel = FdEndpoint.Finish(master, null, Access.ReadWrite, options, applyPerm: false, applyOwner: false);
            master = -1;
            if (options.Flag("pty-wait-slave"))
            {
                Posix.Close(slave);
                slave = -1;
                await WaitForSlaveAsync(channel.ReadFd, TimeSpan.FromSeconds(options.Seconds("pty-interval") ?? 1.0), ct).ConfigureAwait(false);
            }
            int keptSlave = slave;
            slave = -1;
            channel.OnClose(() =>
            {
                if (keptSlave >= 0) Posix.Close(keptSlave);
                // Only our own link: another relay may have put its own there since.
                if (link is not null && Posix.ReadLink(link) == slavePath) Libc.Unlink(link);
            });
            return channel;
        }
        catch
        {
            if (master >= 0) Posix.Close(master);
            if (slave >= 0) Posix.Close(slave);
            if (linked) Libc.Unlink(link!);
            throw;
        }
    }

    /// <summary>
    /// link= : a symbolic link to the slave. A stale link (from a relay that was killed) is
    /// replaced; any other file in the way is an error rather than silently removed.
    /// </summary>
    private static void MakeLink(string slavePath, string link)
    {
        if (Posix.LTryStat(link, out var st))
        {
            if (st.FileType != Posix.S_IFLNK)
                throw new SharpCatException($"symlink(\"{slavePath}\", \"{link}\"): \"{link}\" exists and is not a symbolic link");
            if (Libc.Unlink(link) != 0) throw Posix.Fail($"unlink(\"{link}\")");
        }
        if (Libc.Symlink(slavePath, link) != 0) throw Posix.Fail($"symlink(\"{slavePath}\", \"{link}\")");
        Log.Info($"symlink(\"{slavePath}\", \"{link}\")");
    }

    /// <summary>wait-slave: polls every pty-interval until a program has the slave open (the master stops reporting hang-up).</summary>
    private static async Task WaitForSlaveAsync(int master, TimeSpan interval, CancellationToken ct)
    {
        while (Posix.PollEvents(master, POLLHUP) is var revents && (revents & POLLHUP) != 0)
            await Task.Delay(interval, ct).ConfigureAwait(false);
    }
}
