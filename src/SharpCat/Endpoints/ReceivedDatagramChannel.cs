using System.Net;
using System.Net.Sockets;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// One datagram taken by a RECVFROM fork listener (<see cref="RecvFromForkListener"/>): read once,
/// then end of file; replies go to its sender.
/// </summary>
internal sealed class ReceivedDatagramChannel(Socket shared, EndPoint sender, ReadOnlyMemory<byte> datagram) : IChannel
{
    private bool _read;

    public bool IsDatagram => true;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_read) return ValueTask.FromResult(0);
        _read = true;
        int n = Math.Min(buffer.Length, datagram.Length);
        datagram.Span[..n].CopyTo(buffer.Span);
        return ValueTask.FromResult(n);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await shared.SendToAsync(data, SocketFlags.None, sender, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new Native.PosixException($"sendto({(int)shared.Handle}, {data.Length})", e.NativeErrorCode);
        }
    }

    public ValueTask ShutdownWriteAsync() => ValueTask.CompletedTask;

    public IReadOnlyList<KeyValuePair<string, string>>? Variables { get; init; }

    public string Describe() => FdChannel.FdPair((int)shared.Handle, (int)shared.Handle);

    /// <summary>The datagram's sender, which this relay answers.</summary>
    public EndPoint? RemoteEndPoint => sender;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
