using System.Net;
using System.Runtime.InteropServices;
using SharpCat.Catalog;
using SharpCat.Diagnostics;
using SharpCat.Native;
using SharpCat.Relay;

namespace SharpCat.Endpoints;

/// <summary>
/// TUN[:address/bits]: a Linux TUN (or, with tun-type=tap, TAP) interface whose "wire side" is
/// relayed, one packet per read and per write. tun-name names it, tun-device is the clone device,
/// iff-no-pi drops the packet information header, the address and the iff-* flags are set with
/// the usual interface ioctls (iff-up brings it up).
/// </summary>
internal static unsafe class TunEndpoints
{
    private const nuint TUNSETIFF = 0x400454ca, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCSIFADDR = 0x8916, SIOCSIFNETMASK = 0x891c;
    private const ushort IFF_TUN = 0x1, IFF_TAP = 0x2, IFF_NO_PI = 0x1000;

    private static readonly (string Option, short Flag)[] InterfaceFlags =
    [
        ("iff-up", 0x1), ("iff-broadcast", 0x2), ("iff-debug", 0x4), ("iff-loopback", 0x8), ("iff-pointopoint", 0x10),
        ("iff-notrailers", 0x20), ("iff-running", 0x40), ("iff-noarp", 0x80), ("iff-promisc", 0x100), ("iff-allmulti", 0x200),
        ("iff-master", 0x400), ("iff-slave", 0x800), ("iff-multicast", 0x1000), ("iff-portsel", 0x2000), ("iff-automedia", 0x4000),
    ];

    /// <summary>The options this address applies (for the catalog's list of what is implemented).</summary>
    public static IEnumerable<string> Names => InterfaceFlags.Select(f => f.Option).Concat(["tun-device", "tun-name", "tun-type", "iff-no-pi"]);

    [StructLayout(LayoutKind.Explicit, Size = 40)]
    private struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[16];
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public fixed byte Address[16];
    }

    public static ValueTask<IChannel> Open(OpenRequest request, CancellationToken ct)
    {
        var options = request.Options;
        (IPAddress Address, int Bits)? net = request.Parameters.Count == 0 ? null : ParseNet(string.Join(':', request.Parameters));
        string device = options.Text("tun-device") ?? "/dev/net/tun";
        int fd = Posix.Open(device, Posix.O_RDWR | Posix.O_CLOEXEC, 0);
        try
        {
            var ifr = new IfReq();
            string type = options.Text("tun-type") ?? "tun";
            ushort kind = type switch
            {
                "tun" => IFF_TUN,
                "tap" => IFF_TAP,
                _ => throw new SharpCatException($"tun-type={type}: tun or tap"),
            };
            ifr.Flags = (short)(kind | (options.Flag("iff-no-pi") ? IFF_NO_PI : (ushort)0));
            if (options.Text("tun-name") is { } wanted) SetName(ref ifr, wanted);
            if (Libc.Ioctl(fd, TUNSETIFF, (nint)(&ifr)) != 0) throw Posix.Fail($"ioctl({fd}, TUNSETIFF, {{\"{NameOf(ref ifr)}\"}})");
            string name = NameOf(ref ifr);
            Log.Notice($"TUN interface \"{name}\" ({type})");
            Configure(name, net, options);
            var stream = new FdStream(fd, owns: true, pollable: true);
            return ValueTask.FromResult<IChannel>(new FdChannel(stream, stream) { Shutdown = ShutdownMode.None });
        }
        catch
        {
            Posix.Close(fd);
            throw;
        }
    }

    private static (IPAddress, int) ParseNet(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out int bits) || bits is < 0 or > 32)
            throw new SharpCatException($"TUN: \"{text}\" is not an IPv4 address/bits");
        return (address, bits);
    }

    /// <summary>Address, netmask and flags, through an ordinary socket as ifconfig does it.</summary>
    private static void Configure(string name, (IPAddress Address, int Bits)? net, OptionSet options)
    {
        int control = Libc.Socket(2, 2 | 0x80000, 0);
        if (control < 0) throw Posix.Fail("socket(AF_INET, SOCK_DGRAM, 0)");
        try
        {
            if (net is { } n)
            {
                uint mask = n.Bits == 0 ? 0 : uint.MaxValue << (32 - n.Bits);
                SetAddress(control, name, SIOCSIFADDR, n.Address.GetAddressBytes(), "SIOCSIFADDR");
                SetAddress(control, name, SIOCSIFNETMASK, [(byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask], "SIOCSIFNETMASK");
            }
            var ifr = new IfReq();
            SetName(ref ifr, name);
            if (Libc.Ioctl(control, SIOCGIFFLAGS, (nint)(&ifr)) != 0) throw Posix.Fail($"ioctl(SIOCGIFFLAGS, \"{name}\")");
            short flags = ifr.Flags;
            foreach (var (option, flag) in InterfaceFlags)
                if (options.Find(option) is { } o) flags = o.Value is true ? (short)(flags | flag) : (short)(flags & ~flag);
            if (flags != ifr.Flags)
            {
                ifr.Flags = flags;
                if (Libc.Ioctl(control, SIOCSIFFLAGS, (nint)(&ifr)) != 0) throw Posix.Fail($"ioctl(SIOCSIFFLAGS, \"{name}\", 0x{(ushort)flags:x})");
            }
        }
        finally
        {
            Posix.Close(control);
        }
    }

    private static void SetAddress(int control, string name, nuint request, byte[] address, string what)
    {
        var ifr = new IfReq();
        SetName(ref ifr, name);
        ifr.Address[0] = 2; // sockaddr_in: AF_INET, port 0, the address
        for (int i = 0; i < 4; i++) ifr.Address[4 + i] = address[i];
        if (Libc.Ioctl(control, request, (nint)(&ifr)) != 0) throw Posix.Fail($"ioctl({what}, \"{name}\")");
    }

    private static void SetName(ref IfReq ifr, string name)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(name);
        if (bytes.Length > 15) throw new SharpCatException($"tun-name \"{name}\" is longer than 15 characters");
        for (int i = 0; i < bytes.Length; i++) ifr.Name[i] = bytes[i];
    }

    private static string NameOf(ref IfReq ifr)
    {
        fixed (byte* p = ifr.Name) return Marshal.PtrToStringUTF8((nint)p) ?? "";
    }
}
