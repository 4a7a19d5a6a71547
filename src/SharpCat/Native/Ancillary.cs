using System.Net;
using System.Runtime.InteropServices;
using SharpCat.Diagnostics;

namespace SharpCat.Native;

/// <summary>
/// recvmsg(2) with a control buffer, for datagram sockets asked for ancillary data (so-timestamp,
/// ip-pktinfo, ip-recvopts, ip-recvttl, ip-recvtos, ipv6-recvpktinfo, ipv6-recvhoplimit,
/// ipv6-recvtclass, …), and what socat's xiodopacketinfo does with each control message: a debug
/// line with its bytes, the notice some types get, an info line per value ("ancillary message:
/// IP_TTL: ttl=64"), and, for a child program, a variable per value (IP_TTL=64).
/// </summary>
internal static unsafe class Ancillary
{
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec { public byte* Base; public nuint Length; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name; public uint NameLength; public IoVec* Iov; public nuint IovLength;
        public byte* Control; public nuint ControlLength; public int Flags;
    }

    private const int MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
    private const int ControlSize = 1024; // socat's ctrlbuff

    /// <summary>
    /// One non-blocking recvmsg: the datagram's real length (MSG_TRUNC) or -errno, and its sender;
    /// its ancillary data is logged.
    /// </summary>
    public static (int Length, EndPoint? From) ReceiveAndLog(int fd, Span<byte> buffer)
    {
        byte* control = stackalloc byte[ControlSize];
        var (length, from, controlLength) = Receive(fd, buffer, 0, control);
        Report(control, controlLength, variables: null);
        return (length, from);
    }

    /// <summary>
    /// Looks at the next datagram without taking it, as socat's RECVFROM addresses do before they
    /// serve a sender: its length (or -errno) and sender; <paramref name="received"/> is told the
    /// sender first (socat's "receiving packet from" comes before the ancillary lines), then the
    /// ancillary data is logged and added to <paramref name="variables"/>.
    /// </summary>
    public static (int Length, EndPoint? From) Peek(int fd, List<KeyValuePair<string, string>> variables,
        Action<EndPoint?> received)
    {
        byte* control = stackalloc byte[ControlSize];
        var (length, from, controlLength) = Receive(fd, Span<byte>.Empty, MSG_PEEK, control);
        if (length < 0) return (length, null);
        received(from);
        Report(control, controlLength, variables);
        return (length, from);
    }

    private static (int Length, EndPoint? From, int ControlLength) Receive(int fd, Span<byte> buffer, int flags, byte* control)
    {
        byte* name = stackalloc byte[128];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var msg = new MsgHdr
            {
                Name = name, NameLength = 128, Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSize,
            };
            nint n = Libc.RecvMsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | flags);
            if (n < 0) return (-Posix.Errno, null, 0);
            return ((int)n, Posix.SockAddr(name, msg.NameLength), (int)msg.ControlLength);
        }
    }

    /// <summary>
    /// Each control message (struct cmsghdr: 8-byte length, level, type, then the data) logged and,
    /// with <paramref name="variables"/>, exported.
    /// </summary>
    private static void Report(byte* control, int length, List<KeyValuePair<string, string>>? variables)
    {
        bool describe = Log.IsEnabled(Severity.Notice) || variables is not null;
        for (int offset = 0; offset + 16 <= length;)
        {
            long messageLength = *(long*)(control + offset);
            int level = *(int*)(control + offset + 8), type = *(int*)(control + offset + 12);
            if (messageLength < 16 || offset + messageLength > length) break;
            var data = new ReadOnlySpan<byte>(control + offset + 16, (int)messageLength - 16);
            Log.Debug($"ancillary message: len={messageLength}, level={level}, type={type}, data={AncillaryDecoders.Dump(data)}");
            if (describe) Describe(AncillaryDecoders.Decode(level, type, data), variables);
            offset += (int)((messageLength + 7) & ~7L);
        }
    }

    private static void Describe(AncillaryMessage message, List<KeyValuePair<string, string>>? variables)
    {
        if (message.Notice is { } notice) Log.Notice(notice);
        foreach (var field in message.Fields)
        {
            Log.Info($"ancillary message: {message.Type}: {field.Name}={field.Value}");
            variables?.Add(new(message.VariableOf(field), field.Value));
        }
    }
}
