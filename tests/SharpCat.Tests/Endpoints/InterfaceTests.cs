using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>INTERFACE on a veth pair in a network namespace of its own: whole frames reach the relay.</summary>
public class InterfaceTests
{
    private const string Script = """
        set -e
        S=$1
        ip link add scveth0 type veth peer name scveth1
        ip link set scveth0 up; ip link set scveth1 up
        out=$(mktemp)
        "$S" -u INTERFACE:scveth1 - > "$out" & r=$!
        idx=$(ip -o link show scveth1 | cut -d: -f1)
        for i in $(seq 500); do awk -v x="$idx" '$5 == x' /proc/net/packet | grep -q . && break; sleep 0.01; done
        python3 -c "
        import socket
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('scveth0', 0))
        s.send(b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x01' + b'\x88\xb5' + b'frame-through-interface')"
        for i in $(seq 500); do grep -q frame-through-interface "$out" && break; sleep 0.01; done
        kill $r
        python3 -c "
        import sys; d = open(sys.argv[1], 'rb').read(); i = d.find(b'frame-through-interface')
        print('ethertype', d[i - 2:i].hex(), 'src', d[i - 8:i - 2].hex())" "$out"
        rm -f "$out"
        """;

    [Fact]
    public async Task AFrameSentOnTheOtherEndArrivesWhole()
    {
        var r = await NetworkNamespace.RunAsync(Script, Binaries.SharpCat);
        Assert.True(r.StdoutText == "ethertype 88b5 src 020000000001\n", r.ToString());
    }

    [Fact]
    public async Task AnInterfaceThatDoesNotExistIsNamed()
    {
        var r = await Run.SharpCatAsync([], "-u", "INTERFACE:no-such-if0", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["E INTERFACE: no interface \"no-such-if0\""], r.LogLines);
    }
}
