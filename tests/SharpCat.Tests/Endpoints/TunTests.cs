using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>TUN in a network namespace of its own: the interface is made, addressed and brought up, and its packets relayed.</summary>
public class TunTests
{
    private const string Script = """
        set -e
        S=$1
        ip link set lo up
        out=$(mktemp)
        "$S" -u TUN:10.9.9.1/24,iff-up,iff-no-pi,tun-name=sctun0 - > "$out" & r=$!
        for i in $(seq 500); do ip link show sctun0 2>/dev/null | grep -q ',UP' && break; sleep 0.01; done
        ip -4 addr show sctun0 | grep -o 'inet [0-9./]*'
        python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'through-tun', ('10.9.9.2', 9))"
        for i in $(seq 500); do grep -q through-tun "$out" && break; sleep 0.01; done
        kill $r
        # the UDP packet as the wire side sees it: an IPv4 header (0x45) to 10.9.9.2, protocol 17
        python3 -c "
        import sys; d = open(sys.argv[1], 'rb').read(); i = d.find(b'through-tun')
        h = d[i - 28:i]; print('ipv4', h[0] == 0x45, 'udp', h[9] == 17, 'to', '.'.join(map(str, h[16:20])))" "$out"
        rm -f "$out"
        """;

    [Fact]
    public async Task ATunInterfaceCarriesPacketsToTheRelay()
    {
        var r = await NetworkNamespace.RunAsync(Script, Binaries.SharpCat);
        Assert.True(r.StdoutText == "inet 10.9.9.1/24\nipv4 True udp True to 10.9.9.2\n", r.ToString());
    }

    [Fact]
    public async Task ABadTunAddressIsNamed()
    {
        var r = await Run.SharpCatAsync([], "-u", "TUN:10.9.9.1/40,iff-up", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E TUN: \"10.9.9.1/40\" is not an IPv4 address/bits"], r.LogLines);
    }
}
