using System.Text;
using SharpCat.Endpoints;
using SharpCat.Native;

namespace SharpCat.Cli;

/// <summary>
/// <c>-V</c>: version, system, and the feature list in socat's <c>#define WITH_… 1</c> form, so
/// scripts that probe socat's features work. A feature is defined only when it works in this build.
/// </summary>
internal static class VersionText
{
    /// <summary>The socat release whose behaviour is the default here (README, docs/CONFORMANCE.md).</summary>
    public const string CompatibleSocat = "1.7.4.4";

    // socat 1.7.4's feature names, in its order, with 1.8's additions where 1.8 lists them. A name maps to the address keywords it stands
    // for; it is defined when every one of them is implemented. LIBWRAP stands for the tcpwrap
    // options, which work when libwrap.so.0 is installed (found as ld.so finds it, not loaded).
    private static readonly (string Feature, string[] Keywords)[] Features =
    [
        ("STDIO", ["stdio", "stdin", "stdout", "stderr"]), ("FDNUM", ["fd"]), ("FILE", ["open"]), ("CREAT", ["create"]),
        ("GOPEN", ["gopen"]), ("TERMIOS", ["pty"]), ("PIPE", ["pipe"]), ("STALL", ["stall"]), ("TEXT", ["text"]), ("SOCKETPAIR", ["socketpair"]), ("UNIX", ["unix-connect", "unix-listen", "unix-sendto", "unix-recvfrom", "unix-recv", "unix-client"]),
        ("ABSTRACT_UNIXSOCKET", ["abstract-connect", "abstract-listen", "abstract-client", "abstract-sendto", "abstract-recvfrom", "abstract-recv"]), ("IP4", ["tcp4-connect"]), ("IP6", ["tcp6-connect"]),
        ("RAWIP", ["ip-sendto"]), ("GENERICSOCKET", ["socket-connect", "socket-listen", "socket-sendto", "socket-recvfrom", "socket-recv", "socket-datagram"]), ("INTERFACE", ["interface"]), ("TCP", ["tcp-connect", "tcp-listen"]),
        ("UDP", ["udp-connect", "udp-listen"]), ("SCTP", ["sctp-connect"]),
        // socat 1.8's, where its -V lists them; defined when implemented, as SCTP is: the kernel may still lack them.
        ("DCCP", ["dccp-connect", "dccp-listen"]), ("UDPLITE", ["udplite-connect", "udplite-listen"]), ("LISTEN", ["tcp-listen"]),
        ("POSIXMQ", ["posixmq-read", "posixmq-receive", "posixmq-send", "posixmq-write", "posixmq-bidirectional"]), ("SOCKS4", ["socks4"]),
        ("SOCKS4A", ["socks4a"]), ("VSOCK", ["vsock-connect"]), ("PROXY", ["proxy"]), ("SYSTEM", ["system"]), ("SHELL", ["shell"]), ("EXEC", ["exec"]),
        ("READLINE", []), ("TUN", ["tun"]), ("PTY", ["pty"]), ("OPENSSL", ["openssl", "openssl-listen", "openssl-dtls-client", "openssl-dtls-server"]), ("FIPS", []), ("LIBWRAP", []),
        ("SYCLS", ["pty"]), ("FILAN", []), ("RETRY", ["tcp-connect"]),
        // SharpCat's own: the WebSocket addresses (WS-*, WS-UNIX-*, and WSS-* over OPENSSL).
        ("WEBSOCKET", ["ws-connect", "ws-listen", "wss-connect", "wss-listen", "ws-unix-connect", "ws-unix-listen", "ws-proxy", "ws-socks5", "wss-proxy", "wss-socks5"]),
    ];

    public static string Build()
    {
        var (sys, release, version, machine) = Posix.Uname();
        var sb = new StringBuilder();
        sb.Append("sharpcat - a socat-compatible relay, written in C#\n");
        // The socat version this one answers for is named too: scripts (socat's test.sh among
        // them) read the last version on this line to decide what the program can do.
        sb.Append($"sharpcat version {BuildInfo.Version} (socat {CompatibleSocat} compatible) on {BuildInfo.Time}\n");
        sb.Append($"   running on {sys} version {version}, release {release}, machine {machine}\n");
        sb.Append("features:\n");
        foreach (var (feature, keywords) in Features)
        {
            if (feature == "LIBWRAP")
            {
                sb.Append(LibWrap.FindFailure is { } why ? $"  #undef WITH_LIBWRAP /* {why} */\n" : "  #define WITH_LIBWRAP 1\n");
                continue;
            }
            bool works = keywords.Length > 0 && keywords.All(EndpointRegistry.IsImplemented);
            sb.Append(works ? $"  #define WITH_{feature} 1\n" : $"  #undef WITH_{feature}\n");
        }
        // socat 1.8's feature names for what is not an address: netns= and --statistics.
        sb.Append("  #define WITH_NAMESPACES 1\n  #define WITH_STATS 1\n");
        // SharpCat's own: the fault-… options, and --control (toxiproxy's HTTP API).
        sb.Append($"  #define WITH_FAULTS 1\n  #define WITH_TOXIPROXY_API 1 /* {Control.ToxiproxyApi.ApiVersion} */\n");
        sb.Append("  #define WITH_MSGLEVEL 0 /*debug*/\n");
        return sb.ToString();
    }
}
