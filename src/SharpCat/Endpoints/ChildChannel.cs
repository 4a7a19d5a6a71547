using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// The parent's end of a child program (EXEC, SYSTEM): the socketpair, pipes or pty master the
/// relay reads and writes, and the child itself. A child that ends with a non-zero status or on a
/// signal fails the relay, as socat's "waitpid(): child N exited with status S" does, once the
/// output it left behind has been relayed.
/// </summary>
internal sealed class ChildChannel : IChannel
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly string? _shellCommand;

    // shellCommand: for SYSTEM, the command, whose end is reported as socat's system(3) reports it.
    public ChildChannel(IChannel inner, int pid, Task<ChildExit> exited, string? shellCommand)
    {
        _shellCommand = shellCommand;
        Inner = inner;
        Pid = pid;
        Exited = exited;
        exited.ContinueWith(static (t, state) => ((ChildChannel)state!).OnExit(t.Result), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public IChannel Inner { get; }

    public int Pid { get; }

    /// <summary>Completes when the child has ended.</summary>
    public Task<ChildExit> Exited { get; }

    public Task Completion => _completion.Task;

    private void OnExit(ChildExit exit)
    {
        if (_shellCommand is not null)
        {
            // socat runs SYSTEM through system(3) in a child of its own, which exits with
            // system's status >> 8: a shell killed by a signal counts as success there.
            int status = exit.ExitCode is int code ? code << 8 : exit.Signal!.Value;
            if (status != 0) Log.Warn($"system(\"{_shellCommand}\") returned with status {status}");
            if (exit.Signal is not null) exit = exit with { ExitCode = 0, Signal = null };
        }
        if (exit.ExitCode == 0)
        {
            Log.Notice($"child process {exit.Pid} {exit}");
            _completion.TrySetResult();
            return;
        }
        _completion.TrySetException(new SharpCatException($"waitpid(): child {exit.Pid} {exit}"));
        // Observed here: a relay that already ended does not look at it.
        _ = _completion.Task.Exception;
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct) => Inner.ReadAsync(buffer, ct);

    public ValueTask WaitReadableAsync(CancellationToken ct) => Inner.WaitReadableAsync(ct);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => Inner.WriteAsync(data, ct);

    public ValueTask ShutdownWriteAsync() => Inner.ShutdownWriteAsync();

    public bool IsDatagram => Inner.IsDatagram;

    public bool CanRead => Inner.CanRead;

    public bool CanWrite => Inner.CanWrite;

    public int ReadFd => Inner.ReadFd;

    public int WriteFd => Inner.WriteFd;

    public string Describe() => Inner.Describe();

    /// <summary>
    /// Closes the parent's end; a child still running then gets SIGTERM, as socat sends its
    /// children when it ends (the relay is over, and nobody reads what the child would write).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync().ConfigureAwait(false);
        ChildSignals.Forget(Pid);
        if (!Exited.IsCompleted) ChildReaper.Signal(Pid, SIGTERM);
    }

    private const int SIGTERM = 15;
}
