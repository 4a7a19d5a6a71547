using System.Net;
using System.Runtime.InteropServices;
using SharpCat.Diagnostics;

namespace SharpCat.Native;

/// <summary>
/// recvmsg(2) with a control buffer, for datagram sockets asked for ancillary data (ip-pktinfo,
/// ip-recvttl, ip-recvtos, ipv6-recvpktinfo, ipv6-recvhoplimit, ipv6-recvtclass, …): the data is
/// logged as socat logs it ("N Ancillary message: ttl=64", with the details at info level), and
/// can be had as the variables socat gives a child program (IP_TTL=64).
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
    private const int IPPROTO_IP = 0, IPPROTO_IPV6 = 41;
    private const int IP_TOS = 1, IP_TTL = 2, IP_PKTINFO = 8, IP_RECVERR = 11;
    private const int IPV6_PKTINFO = 50, IPV6_HOPLIMIT = 52, IPV6_TCLASS = 67;

    /// <summary>One non-blocking recvmsg: the datagram's real length (MSG_TRUNC) or -errno, and its sender; its ancillary data is logged.</summary>
    public static (int Length, EndPoint? From) ReceiveAndLog(int fd, Span<byte> buffer) => Receive(fd, buffer, 0, null);

    /// <summary>
    /// Looks at the next datagram without taking it: its length (or -errno), sender, and the
    /// variables of its ancillary data (nothing logged: the read that takes it logs).
    /// </summary>
    public static (int Length, EndPoint? From) Peek(int fd, List<KeyValuePair<string, string>> variables) =>
        Receive(fd, Span<byte>.Empty, MSG_PEEK, variables);

    private static (int Length, EndPoint? From) Receive(int fd, Span<byte> buffer, int flags, List<KeyValuePair<string, string>>? variables)
    {
        byte* name = stackalloc byte[128];
        byte* control = stackalloc byte[512];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var msg = new MsgHdr { Name = name, NameLength = 128, Iov = &iov, IovLength = 1, Control = control, ControlLength = 512 };
            nint n = Libc.RecvMsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | flags);
            if (n < 0) return (-Posix.Errno, null);
            Walk(control, (int)msg.ControlLength, variables);
            return ((int)n, Posix.SockAddr(name, msg.NameLength));
        }
    }

    /// <summary>Each control message: logged, or (with <paramref name="variables"/>) turned into variables.</summary>
    private static void Walk(byte* control, int length, List<KeyValuePair<string, string>>? variables)
    {
        int offset = 0;
        while (offset + 16 <= length)
        {
            long cmsgLength = *(long*)(control + offset);
            int level = *(int*)(control + offset + 8), type = *(int*)(control + offset + 12);
            if (cmsgLength < 16 || offset + cmsgLength > length) break;
            byte* data = control + offset + 16;
            if (variables is null) Describe(level, type, data, (int)cmsgLength - 16);
            else Export(level, type, data, (int)cmsgLength - 16, variables);
            offset += (int)((cmsgLength + 7) & ~7L);
        }
    }

    private static void Describe(int level, int type, byte* data, int length)
    {
        switch ((level, type))
        {
            case (IPPROTO_IP, IP_PKTINFO) when length >= 12:
            {
                string ifName = InterfaceName(*(int*)data);
                var local = new IPAddress(new ReadOnlySpan<byte>(data + 4, 4));
                var destination = new IPAddress(new ReadOnlySpan<byte>(data + 8, 4));
                Diagnostics.Log.Notice($"Ancillary message: interface \"{ifName}\", locaddr={local}, dstaddr={destination}");
                Diagnostics.Log.Info($"ancillary message: IP_PKTINFO: if={ifName}");
                Diagnostics.Log.Info($"ancillary message: IP_PKTINFO: locaddr={local}");
                Diagnostics.Log.Info($"ancillary message: IP_PKTINFO: dstaddr={destination}");
                break;
            }
            case (IPPROTO_IP, IP_TTL) when length >= 4:
                Diagnostics.Log.Notice($"Ancillary message: ttl={*(int*)data}");
                Diagnostics.Log.Info($"ancillary message: IP_TTL: ttl={*(int*)data}");
                break;
            case (IPPROTO_IP, IP_TOS) when length >= 1:
                Diagnostics.Log.Notice($"Ancillary message: tos={data[0]}");
                Diagnostics.Log.Info($"ancillary message: IP_TOS: tos={data[0]}");
                break;
            case (IPPROTO_IPV6, IPV6_PKTINFO) when length >= 20:
            {
                var destination = new IPAddress(new ReadOnlySpan<byte>(data, 16));
                string ifName = InterfaceName(*(int*)(data + 16));
                Diagnostics.Log.Notice($"Ancillary message: interface \"{ifName}\", dstaddr={destination}");
                Diagnostics.Log.Info($"ancillary message: IPV6_PKTINFO: if={ifName}, dstaddr={destination}");
                break;
            }
            case (IPPROTO_IPV6, IPV6_HOPLIMIT) when length >= 4:
                Diagnostics.Log.Notice($"Ancillary message: hoplimit={*(int*)data}");
                break;
            case (IPPROTO_IPV6, IPV6_TCLASS) when length >= 4:
                Diagnostics.Log.Notice($"Ancillary message: tclass={*(int*)data}");
                break;
            case (IPPROTO_IP, IP_RECVERR):
                Diagnostics.Log.Notice("Ancillary message: IP_RECVERR");
                break;
            default:
                Diagnostics.Log.Info($"ancillary message: level {level}, type {type}, {length} bytes");
                break;
        }
    }

    /// <summary>socat's names and forms for the environment (SOCAT_IP_TTL=64, SOCAT_IPV6_TCLASS=x00000000).</summary>
    private static void Export(int level, int type, byte* data, int length, List<KeyValuePair<string, string>> variables)
    {
        switch ((level, type))
        {
            case (IPPROTO_IP, IP_PKTINFO) when length >= 12:
                variables.Add(new("IP_IF", InterfaceName(*(int*)data)));
                variables.Add(new("IP_LOCADDR", new IPAddress(new ReadOnlySpan<byte>(data + 4, 4)).ToString()));
                variables.Add(new("IP_DSTADDR", new IPAddress(new ReadOnlySpan<byte>(data + 8, 4)).ToString()));
                break;
            case (IPPROTO_IP, IP_TTL) when length >= 4:
                variables.Add(new("IP_TTL", (*(int*)data).ToString()));
                break;
            case (IPPROTO_IP, IP_TOS) when length >= 1:
                variables.Add(new("IP_TOS", data[0].ToString()));
                break;
            case (IPPROTO_IPV6, IPV6_PKTINFO) when length >= 20:
                variables.Add(new("IPV6_DSTADDR", Endpoints.SocketAddressing.AddressText(new IPAddress(new ReadOnlySpan<byte>(data, 16)))));
                variables.Add(new("IPV6_IF", InterfaceName(*(int*)(data + 16))));
                break;
            case (IPPROTO_IPV6, IPV6_HOPLIMIT) when length >= 4:
                variables.Add(new("IPV6_HOPLIMIT", (*(int*)data).ToString()));
                break;
            case (IPPROTO_IPV6, IPV6_TCLASS) when length >= 4:
                variables.Add(new("IPV6_TCLASS", $"x{*(int*)data:x8}"));
                break;
        }
    }

    private static string InterfaceName(int index)
    {
        byte* name = stackalloc byte[16];
        return Libc.IfIndexToName((uint)index, name) == null ? index.ToString() : Marshal.PtrToStringUTF8((nint)name) ?? index.ToString();
    }
}
