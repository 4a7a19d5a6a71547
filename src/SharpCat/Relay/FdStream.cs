using System.Net.Sockets;
using SharpCat.Native;

namespace SharpCat.Relay;

/// <summary>
/// One kernel file descriptor with the right I/O strategy for its kind. Pipes, FIFOs, sockets
/// and ttys are wrapped as a <see cref="Socket"/> so that reads and writes go through .NET's
/// epoll engine without blocking a thread (DESIGN.md §8); regular files and devices that do not
/// support polling (/dev/null, /dev/zero) never block on readiness and are read directly.
/// The polled path works on a dup of the fd: epoll refuses the same fd twice, and the same fd
/// can serve two addresses (<c>sharpcat - -</c>).
/// </summary>
internal sealed class FdStream : IDisposable
{
    private readonly Socket? _async;
    private readonly int _ioFd;
    private readonly bool _owns;
    // What the fd's flags were before O_NONBLOCK; -1 when nothing is to be put back.
    private readonly int _originalFlags = -1;
    private readonly TermiosData? _terminalSettings;
    private bool _closed;

    public int Fd { get; }

    /// <summary>The fd is a socket (shutdown(2) half-closes it).</summary>
    public bool IsSocket { get; }

    /// <summary>The fd is a terminal.</summary>
    public bool IsTty { get; }

    /// <summary>The file type bits of fstat(2).</summary>
    public uint FileType { get; }

    /// <param name="fd">The descriptor.</param>
    /// <param name="owns">Close it on dispose.</param>
    /// <param name="terminalSettings">
    /// A terminal's settings from before the address's options changed them: put back on dispose,
    /// as socat restores every tty it opened.
    /// </param>
    /// <param name="pollable">A character device known to support poll(2) (a TUN/TAP fd): read it without blocking a thread.</param>
    public FdStream(int fd, bool owns, TermiosData? terminalSettings = null, bool pollable = false)
    {
        Fd = fd;
        _owns = owns;
        _terminalSettings = terminalSettings;
        var st = Posix.FStat(fd);
        FileType = st.FileType;
        IsSocket = FileType == Posix.S_IFSOCK;
        IsTty = Libc.IsATty(fd) == 1;
        _originalFlags = Posix.GetFl(fd);
        _ioFd = fd;
        if (FileType is Posix.S_IFIFO or Posix.S_IFSOCK || IsTty || pollable)
        {
            _ioFd = Libc.Dup(fd);
            if (_ioFd < 0) throw Posix.Fail($"dup({fd})");
            _async = new Socket(new SafeSocketHandle(_ioFd, ownsHandle: true));
            Posix.SetFl(_ioFd, _originalFlags | Posix.O_NONBLOCK);
        }
    }

    /// <summary>
    /// An end of a pipe this process made non-blocking and shares with no other address (PIPE):
    /// its kind is known and no flags are to be put back, so it costs no fstat, dup or fcntl.
    /// </summary>
    public static FdStream OwnPipeEnd(int fd) => new(fd);

    private FdStream(int fd)
    {
        Fd = _ioFd = fd;
        _owns = true;
        FileType = Posix.S_IFIFO;
        _async = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
    }

    /// <summary>
    /// Reads what is there with one read(2) on the non-blocking fd; only when nothing is there
    /// does it go through the socket engine, which waits for readiness. Bulk transfers thus cost
    /// a syscall per chunk and nothing more.
    /// </summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_async is null) return ValueTask.FromResult(Posix.Read(Fd, buffer.Span));
        int n = Posix.TryRead(_ioFd, buffer.Span);
        if (n >= 0) return ValueTask.FromResult(n);
        if (n == -Posix.EIO && IsTty) return ValueTask.FromResult(0); // a pty whose other side closed: EOF
        if (n != -Posix.EAGAIN) throw new PosixException($"read({Fd}, {buffer.Length})", -n);
        return ReadWhenReadyAsync(buffer, ct);
    }

    private async ValueTask<int> ReadWhenReadyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            return await _async!.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            // The socket engine does not always carry errno through (EIO comes out as "unknown
            // socket error"): ask the fd again for the real one.
            int n = Posix.TryRead(_ioFd, buffer.Span);
            if (n >= 0) return n;
            if (n == -Posix.EIO && IsTty) return 0; // a pty whose other side closed reports EIO: that is end of file
            throw new PosixException($"read({Fd}, {buffer.Length})", n == -Posix.EAGAIN ? e.NativeErrorCode : -n);
        }
    }

    /// <summary>Writes with write(2) while the kernel takes it; waits through the socket engine only when it does not.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_async is null)
        {
            Posix.WriteAll(Fd, data.Span);
            return ValueTask.CompletedTask;
        }
        while (!data.IsEmpty)
        {
            int n = Posix.TryWrite(_ioFd, data.Span);
            if (n < 0) return WriteWhenReadyAsync(data, ct);
            data = data[n..];
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteWhenReadyAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int n = await _async!.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false);
                data = data[n..];
            }
        }
        catch (SocketException e)
        {
            throw new PosixException($"write({Fd}, {data.Length})", e.NativeErrorCode);
        }
    }

    /// <summary>shutdown(fd, SHUT_WR) on a socket; false when the fd is not a socket.</summary>
    public bool TryShutdownWrite()
    {
        if (!IsSocket || _closed) return false;
        if (Libc.Shutdown(_ioFd, Posix.SHUT_WR) != 0 && Posix.Errno != 107 /* ENOTCONN */)
            throw Posix.Fail($"shutdown({Fd}, SHUT_WR)");
        return true;
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        _async?.Dispose();
        // The epoll engine leaves the open file description O_NONBLOCK; it may be shared with
        // the shell that started us (stdio), so put the flags back before letting go.
        if (_async is not null && _originalFlags >= 0) try { Posix.SetFl(Fd, _originalFlags); } catch (PosixException) { }
        if (_terminalSettings is { } t) try { Termios.Set(Fd, t); } catch (PosixException) { }
        if (_owns) Posix.Close(Fd);
    }
}
