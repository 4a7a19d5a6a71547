using System.Net;
using System.Runtime.InteropServices;

namespace SharpCat.Native;

/// <summary>
/// getaddrinfo(3) itself, for the lookups whose flags socat 1.8 lets a user set (ai-addrconfig,
/// ai-passive, ai-v4mapped, ai-all): .NET's resolver takes no flags. Blocking, so callers run it
/// off the relay's threads.
/// </summary>
internal static unsafe class AddrInfo
{
    public const int AI_PASSIVE = 0x01, AI_V4MAPPED = 0x08, AI_ALL = 0x10, AI_ADDRCONFIG = 0x20;

    /// <summary>The addresses for a host (null: the wildcard or loopback, as AI_PASSIVE says), in getaddrinfo's order.</summary>
    /// <param name="host">The name or address; null for none.</param>
    /// <param name="linuxFamily">AF_UNSPEC 0, AF_INET 2, AF_INET6 10.</param>
    /// <param name="socketType">The hints' socket type.</param>
    /// <param name="protocol">The hints' protocol.</param>
    /// <param name="flags">The AI_* flags.</param>
    public static List<IPAddress> Resolve(string? host, int linuxFamily, int socketType, int protocol, int flags)
    {
        // struct addrinfo (x86_64 and aarch64): flags, family, socktype, protocol, addrlen, addr at 24, next at 40.
        byte* hints = stackalloc byte[48];
        new Span<byte>(hints, 48).Clear();
        ((int*)hints)[0] = flags;
        ((int*)hints)[1] = linuxFamily;
        ((int*)hints)[2] = socketType;
        ((int*)hints)[3] = protocol;
        void* result = null;
        int rc = Libc.GetAddrInfo(host, null, hints, &result);
        if (rc != 0)
        {
            string why = rc == -11 /* EAI_SYSTEM */ ? Posix.StrError(Marshal.GetLastSystemError()) : Marshal.PtrToStringUTF8(Libc.GaiStrError(rc)) ?? $"error {rc}";
            throw new SharpCatException($"getaddrinfo(\"{host ?? "NULL"}\", \"NULL\", {{0x{flags:x2},{linuxFamily},{socketType},{protocol}}}, {{}}): {why}");
        }
        var found = new List<IPAddress>();
        try
        {
            for (byte* ai = (byte*)result; ai != null; ai = *(byte**)(ai + 40))
            {
                byte* sa = *(byte**)(ai + 24);
                if (sa == null) continue;
                ushort family = *(ushort*)sa;
                if (family == 2) found.Add(new IPAddress(new ReadOnlySpan<byte>(sa + 4, 4)));
                else if (family == 10) found.Add(new IPAddress(new ReadOnlySpan<byte>(sa + 8, 16), *(uint*)(sa + 24)));
            }
        }
        finally
        {
            Libc.FreeAddrInfo(result);
        }
        return found;
    }
}
