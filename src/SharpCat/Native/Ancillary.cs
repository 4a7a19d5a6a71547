using System.Net;
using System.Runtime.InteropServices;
using SharpCat.Diagnostics;

namespace SharpCat.Native;

/// <summary>
/// recvmsg(2) with a control buffer, for datagram sockets asked for ancillary data (ip-pktinfo,
/// ip-recvttl, ip-recvtos, ipv6-recvpktinfo, ipv6-recvhoplimit, ipv6-recvtclass, …): the data is
/// logged as socat logs it ("N Ancillary message: ttl=64", with the details at info level).
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

    private const int MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
    private const int IPPROTO_IP = 0, IPPROTO_IPV6 = 41;
    private const int IP_TOS = 1, IP_TTL = 2, IP_PKTINFO = 8, IP_RECVERR = 11;
    private const int IPV6_PKTINFO = 50, IPV6_HOPLIMIT = 52, IPV6_TCLASS = 67;

    /// <summary>One non-blocking recvmsg: the datagram's real length (MSG_TRUNC) or -errno, and its sender; its ancillary data is logged.</summary>
    public static (int Length, EndPoint? From) ReceiveAndLog(int fd, Span<byte> buffer)
    {
        byte* name = stackalloc byte[128];
        byte* control = stackalloc byte[512];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var msg = new MsgHdr { Name = name, NameLength = 128, Iov = &iov, IovLength = 1, Control = control, ControlLength = 512 };
            nint n = Libc.RecvMsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0) return (-Posix.Errno, null);
            Log(control, (int)msg.ControlLength);
            return ((int)n, Posix.SockAddr(name, msg.NameLength));
        }
    }

    private static void Log(byte* control, int length)
    {
        int offset = 0;
        while (offset + 16 <= length)
        {
            long cmsgLength = *(long*)(control + offset);
            int level = *(int*)(control + offset + 8), type = *(int*)(control + offset + 12);
            if (cmsgLength < 16 || offset + cmsgLength > length) break;
            byte* data = control + offset + 16;
            Describe(level, type, data, (int)cmsgLength - 16);
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

    private static string InterfaceName(int index)
    {
        byte* name = stackalloc byte[16];
        return Libc.IfIndexToName((uint)index, name) == null ? index.ToString() : Marshal.PtrToStringUTF8((nint)name) ?? index.ToString();
    }
}
