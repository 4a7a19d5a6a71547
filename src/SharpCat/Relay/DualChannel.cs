namespace SharpCat.Relay;

/// <summary>The <c>read!!write</c> form: reads from one channel and writes to another.</summary>
internal sealed class DualChannel(IChannel reader, IChannel writer) : IChannel
{
    public bool IsDatagram => reader.IsDatagram;

    public bool CanRead => reader.CanRead;

    public bool CanWrite => writer.CanWrite;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct) => reader.ReadAsync(buffer, ct);

    public ValueTask WaitReadableAsync(CancellationToken ct) => reader.WaitReadableAsync(ct);

    public ValueTask WaitWritableAsync(CancellationToken ct) => writer.WaitWritableAsync(ct);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => writer.WriteAsync(data, ct);

    public ValueTask ShutdownWriteAsync() => writer.ShutdownWriteAsync();

    public int ReadFd => reader.ReadFd;

    public int WriteFd => writer.WriteFd;

    public bool WasReset => reader.WasReset;

    public void AbortOnClose() => writer.AbortOnClose();

    public string Describe() => FdChannel.FdPair(ReadFd, WriteFd);

    public IReadOnlyList<KeyValuePair<string, string>>? Variables => reader.Variables ?? writer.Variables;

    public ValueTask WaitForPeerAsync(CancellationToken ct) => reader.WaitForPeerAsync(ct);

    /// <summary>Either half may be a process (<c>EXEC:a!!EXEC:b</c>): when both have ended, a failure of either fails the relay.</summary>
    public Task? Completion => (reader.Completion, writer.Completion) switch
    {
        (null, null) => null,
        (Task r, null) => r,
        (null, Task w) => w,
        (Task r, Task w) => Task.WhenAll(r, w),
    };

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync().ConfigureAwait(false);
        await writer.DisposeAsync().ConfigureAwait(false);
    }
}
