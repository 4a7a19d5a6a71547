using System.Net.Sockets;
using SharpCat.Diagnostics;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// UDP-, IP-, UNIX-, ABSTRACT- and SOCKET-RECVFROM with fork: every datagram gets a relay of its
/// own, answered through the one shared socket. Each goes through socat's recvfrom loop: "receiving packet from", its
/// ancillary data (logged, and told to the child program with the sender), the checks of the
/// sender, "permitting packet from".
/// </summary>
internal sealed class RecvFromForkListener(OpenRequest request, Socket socket, PeerCheck? check, bool stripIpv4Header) : IListener
{
    /// <summary>What closing the listener also does (a UNIX socket's file is removed).</summary>
    public Action? OnClose { get; init; }

    public async ValueTask<IChannel> AcceptAsync(CancellationToken ct)
    {
        int fd = (int)socket.Handle;
        while (true)
        {
            // A zero-byte peek waits for a datagram and leaves it queued.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, ct).ConfigureAwait(false);
            var ancillary = new List<KeyValuePair<string, string>>();
            var (length, from) = DatagramChannel.PeekSender(fd, ancillary);
            if (length == -Native.Posix.EAGAIN) continue;
            if (length < 0) throw new Native.PosixException($"recvmsg({fd}, MSG_PEEK)", -length);
            if (from is null || (check is not null && !await check.PermitsAsync(from, socket).ConfigureAwait(false)))
            {
                Native.Posix.ReceiveFrom(fd, Span<byte>.Empty); // taken and dropped
                continue;
            }
            Log.Info($"permitting packet from {SocketAddressing.Format(from)}");
            var datagram = new byte[request.Relay.BufferSize];
            (length, _) = Native.Posix.ReceiveFrom(fd, datagram);
            if (length < 0) throw new Native.PosixException($"recvfrom({fd}, {datagram.Length})", -length);
            length = Math.Min(length, datagram.Length);
            if (stripIpv4Header) length = DatagramChannel.WithoutIpv4Header(datagram, length);
            var variables = SocketAddressing.PassiveVariables(from, null, SocketAddressing.HasPorts(socket));
            variables.AddRange(ancillary);
            return new ReceivedDatagramChannel(socket, from, datagram.AsMemory(0, length)) { Variables = variables };
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        OnClose?.Invoke();
        return ValueTask.CompletedTask;
    }
}
