namespace SharpCat.Relay;

/// <summary>How an address ends its writing half when the other direction reaches EOF (the shut-* options).</summary>
internal enum ShutdownMode
{
    /// <summary>socat's default: shutdown(2) on sockets, close on a separate write fd, nothing otherwise.</summary>
    Default,
    /// <summary><c>shut-none</c>: do nothing.</summary>
    None,
    /// <summary><c>shut-down</c>: shutdown(SHUT_WR).</summary>
    Down,
    /// <summary><c>shut-close</c>: close the fd.</summary>
    Close,
    /// <summary><c>shut-null</c>: write an empty message.</summary>
    Null,
}

/// <summary>
/// A channel over one or two file descriptors (read and write may differ, as for STDIO with
/// fds 0 and 1). Extra clean-up (unlink-close, lock files) runs when it is disposed.
/// </summary>
internal sealed class FdChannel : IChannel
{
    private readonly FdStream? _reader;
    private FdStream? _writer;
    private readonly List<Action> _onClose = [];

    public FdChannel(FdStream? reader, FdStream? writer)
    {
        _reader = reader;
        _writer = writer;
        ReadFd = reader?.Fd ?? -1;
        WriteFd = writer?.Fd ?? -1;
        CanWrite = writer is not null;
    }

    public ShutdownMode Shutdown { get; set; }

    public bool IsDatagram => false;

    public bool CanRead => _reader is not null;

    public bool CanWrite { get; }

    public void OnClose(Action action) => _onClose.Add(action);

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct) =>
        _reader is null ? ValueTask.FromResult(0) : _reader.ReadAsync(buffer, ct);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) =>
        _writer is null ? ValueTask.CompletedTask : _writer.WriteAsync(data, ct);

    public async ValueTask ShutdownWriteAsync()
    {
        var w = _writer;
        if (w is null) return;
        switch (Shutdown)
        {
            case ShutdownMode.None:
                break;
            case ShutdownMode.Down:
                w.TryShutdownWrite();
                break;
            case ShutdownMode.Null:
                await w.WriteAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                break;
            case ShutdownMode.Close:
                CloseWriter();
                break;
            default:
                if (!w.TryShutdownWrite() && !ReferenceEquals(w, _reader)) CloseWriter();
                break;
        }
    }

    private void CloseWriter()
    {
        var w = _writer;
        _writer = null;
        if (w is not null && !ReferenceEquals(w, _reader)) w.Dispose();
    }

    public int ReadFd { get; }

    /// <summary>The file type bits (S_IFIFO, S_IFREG, …) of the fd read from; 0 when write-only.</summary>
    public uint ReadFileType => _reader?.FileType ?? 0;

    /// <summary>The file type bits of the fd written to; 0 when read-only.</summary>
    public uint WriteFileType => _writer?.FileType ?? 0;

    public int WriteFd { get; }

    public string Describe() => FdPair(ReadFd, WriteFd);

    /// <summary>socat's "[read,write]" notation; a one-way channel repeats its single fd.</summary>
    internal static string FdPair(int read, int write) => $"[{(read >= 0 ? read : write)},{(write >= 0 ? write : read)}]";

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        if (_writer is not null && !ReferenceEquals(_writer, _reader)) _writer.Dispose();
        _writer = null;
        foreach (var a in _onClose) a();
        return ValueTask.CompletedTask;
    }
}
