using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// socat's lock files (<c>-L</c>/<c>-W</c>, <c>lockfile=</c>/<c>waitlock=</c>): the lock is held by
/// the existence of the file, which holds our pid (no newline, mode 0600) and is removed on exit.
/// It is written under a temporary name and linked into place, so a reader never sees it empty.
/// As in socat, a stale lock is not broken: its owner may be alive on another pid namespace.
/// </summary>
internal sealed class LockFile : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly string _path;
    private bool _released;

    private LockFile(string path) => _path = path;

    /// <summary>Takes the lock or fails at once when it is held (<c>-L</c>).</summary>
    public static LockFile Acquire(string path) =>
        TryCreate(path) ?? throw new SharpCatException($"could not obtain lock \"{path}\"");

    /// <summary>Waits until the lock is free, polling each second as socat does, then takes it (<c>-W</c>).</summary>
    public static async Task<LockFile> WaitAsync(string path, CancellationToken ct)
    {
        bool told = false;
        while (true)
        {
            if (TryCreate(path) is { } held) return held;
            if (!told) { Log.Notice($"waiting for lock \"{path}\""); told = true; }
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private static LockFile? TryCreate(string path)
    {
        string temp = $"{path}.{Guid.NewGuid().ToString("N")[..6]}";
        int fd = Posix.Open(temp, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL, 0x180);
        try
        {
            Posix.WriteAll(fd, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString()));
        }
        finally
        {
            Posix.Close(fd);
        }
        try
        {
            if (Libc.Link(temp, path) != 0)
            {
                if (Posix.Errno == Posix.EEXIST) return null;
                throw Posix.Fail($"link(\"{temp}\", \"{path}\")");
            }
        }
        finally
        {
            Libc.Unlink(temp);
        }
        Log.Info($"obtained lock \"{path}\"");
        return new LockFile(path);
    }

    /// <summary>Releases the lock by removing the file.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        Libc.Unlink(_path);
    }
}
