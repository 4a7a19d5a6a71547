using System.Text;
using SharpCat.Diagnostics;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// socat's lock files (<c>-L</c>/<c>-W</c>, <c>lockfile=</c>/<c>waitlock=</c>): the lock is held by
/// creating the file exclusively with our pid in it, and released by removing it.
/// </summary>
public sealed class LockFile : IDisposable
{
    private readonly string _path;
    private bool _released;

    private LockFile(string path) => _path = path;

    /// <summary>Takes the lock or fails at once when it is held (<c>-L</c>).</summary>
    public static LockFile Acquire(string path) =>
        TryCreate(path) ?? throw new SharpCatException($"could not obtain lock \"{path}\"");

    /// <summary>Waits until the lock is free, then takes it (<c>-W</c>).</summary>
    public static async Task<LockFile> WaitAsync(string path, CancellationToken ct)
    {
        bool told = false;
        while (true)
        {
            if (TryCreate(path) is { } held) return held;
            if (!told) { Log.Notice($"waiting for lock \"{path}\""); told = true; }
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        }
    }

    private static LockFile? TryCreate(string path)
    {
        int fd = Libc.Open(path, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_CLOEXEC, 0x1A4);
        if (fd < 0)
        {
            int errno = Posix.Errno;
            if (errno == Posix.EEXIST) return null;
            throw new PosixException($"open(\"{path}\", O_CREAT|O_EXCL)", errno);
        }
        try { Posix.WriteAll(fd, Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n")); }
        finally { Posix.Close(fd); }
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
