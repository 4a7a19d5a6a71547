using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// A multicast send/receive pair, in a network namespace of its own (only its loopback, made
/// multicast-capable there), for sharpcat and socat alike; and bad multicast options.
/// </summary>
public class MulticastTests
{
    private const string Script = """
        set -e
        R=$1; S=$2; M=${3:-127.0.0.1}
        ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo
        out=$(mktemp)
        "$R" -u UDP-RECV:5000,ip-add-membership=239.1.2.3:$M - > "$out" & r=$!
        for i in $(seq 500); do grep -q 030201EF /proc/net/igmp && break; sleep 0.01; done
        echo multicast-hello | "$S" -u - UDP-SENDTO:239.1.2.3:5000,ip-multicast-if=127.0.0.1,ip-multicast-loop=1
        for i in $(seq 500); do [ -s "$out" ] && break; sleep 0.01; done
        kill $r; cat "$out"; rm -f "$out"
        """;

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task AGroupMemberReceivesWhatIsSentToTheGroup(bool sharpcatReceives, bool sharpcatSends)
    {
        string receiver = sharpcatReceives ? Binaries.SharpCat : Binaries.Socat!, sender = sharpcatSends ? Binaries.SharpCat : Binaries.Socat!;
        var r = await NetworkNamespace.RunAsync(Script, receiver, sender);
        Assert.True(r.StdoutText == "multicast-hello\n", r.ToString());
    }

    private const string RawScript = """
        set -e
        R=$1; S=$2
        ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo
        out=$(mktemp)
        "$R" -u IP4-RECV:200,reuseaddr,ip-add-membership=224.255.255.254:127.1.0.1 - > "$out" & r=$!
        for i in $(seq 500); do grep -q FEFFFFE0 /proc/net/igmp && break; sleep 0.01; done
        echo raw-multicast | "$S" -u - IP4-SENDTO:224.255.255.254:200,bind=127.1.0.1,ip-multicast-if=127.0.0.1
        for i in $(seq 500); do [ -s "$out" ] && break; sleep 0.01; done
        kill $r; cat "$out"; rm -f "$out"
        """;

    /// <summary>
    /// ip-add-membership on raw IP (IP4-RECV) joins the group as on UDP (socat's test.sh
    /// IP4MULTICAST_UNIDIR; it was accepted there and not applied).
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task RawIpJoinsTheGroupToo(bool sharpcatReceives, bool sharpcatSends)
    {
        string receiver = sharpcatReceives ? Binaries.SharpCat : Binaries.Socat!, sender = sharpcatSends ? Binaries.SharpCat : Binaries.Socat!;
        var r = await NetworkNamespace.RunAsync(RawScript, receiver, sender);
        Assert.True(r.StdoutText.EndsWith("raw-multicast\n", StringComparison.Ordinal), r.ToString());
    }

    private const string SourceScript = """
        set -e
        ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo
        out=$(mktemp)
        "$1" -u UDP-RECV:5000,ip-add-source-membership=232.1.2.3:127.0.0.1:127.0.0.2 - > "$out" & r=$!
        for i in $(seq 500); do grep -q 030201E8 /proc/net/igmp && break; sleep 0.01; done
        echo from-other-source | socat -u - UDP-SENDTO:232.1.2.3:5000,bind=127.0.0.3,ip-multicast-if=127.0.0.1
        echo from-the-source | socat -u - UDP-SENDTO:232.1.2.3:5000,bind=127.0.0.2,ip-multicast-if=127.0.0.1
        for i in $(seq 500); do [ -s "$out" ] && break; sleep 0.01; done
        kill $r; cat "$out"; rm -f "$out"
        """;

    /// <summary>Every interface form of ip-add-membership, under sharpcat and under socat.</summary>
    [Theory]
    [InlineData("lo")]
    [InlineData("1")]
    [InlineData("127.0.0.1:lo")]
    [InlineData("127.0.0.1:1")]
    public async Task EveryMembershipFormJoins(string iface)
    {
        foreach (string receiver in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            var r = await NetworkNamespace.RunAsync(Script, receiver, Binaries.Socat!, iface);
            Assert.True(r.StdoutText == "multicast-hello\n", $"{receiver} with {iface}: {r}");
        }
    }

    // IPv6 multicast does not loop back on lo here: the sender sends out of one end of a veth pair
    // (addresses without duplicate detection, so that they are usable at once) to the other.
    private const string Ipv6Script = """
        set -e
        sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip link set lo up; ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up
        out=$(mktemp)
        "$1" -u UDP6-RECV:5000,$2=[ff15::1234]:v1 - > "$out" & r=$!
        for i in $(seq 500); do grep -q ff150000000000000000000000001234 /proc/net/igmp6 && break; sleep 0.01; done
        idx=$(ip -o link show v0 | cut -d: -f1)
        echo v6-multicast | socat -u - UDP6-SENDTO:[ff15::1234]:5000,setsockopt-int=41:17:$idx
        for i in $(seq 500); do [ -s "$out" ] && break; sleep 0.01; done
        kill $r; cat "$out"; rm -f "$out"
        """;

    [Theory]
    [InlineData(true, "ipv6-join-group")]
    [InlineData(true, "ip-add-membership")]
    [InlineData(false, "ipv6-join-group")]
    public async Task AnIpv6GroupMemberReceivesWhatIsSentToTheGroup(bool sharpcat, string option)
    {
        var r = await NetworkNamespace.RunAsync(Ipv6Script, sharpcat ? Binaries.SharpCat : Binaries.Socat!, option);
        Assert.True(r.StdoutText == "v6-multicast\n", r.ToString());
    }

    [Fact]
    public async Task ASourceMembershipReceivesOnlyThatSource()
    {
        // The datagram from the other source is sent first: had it passed, it would be in the output.
        var r = await NetworkNamespace.RunAsync(SourceScript, Binaries.SharpCat);
        Assert.True(r.StdoutText == "from-the-source\n", r.ToString());
    }

    [Theory]
    [InlineData("ip-add-source-membership=239.1.2.3:127.0.0.1", "E ip-add-source-membership=\"239.1.2.3:127.0.0.1\": use group:interface-address:source-address (IPv4)")]
    [InlineData("ip-add-source-membership=10.1.2.3:127.0.0.1:127.0.0.2", "E ip-add-source-membership: \"10.1.2.3\" is not a multicast address")]
    [InlineData("ip-add-membership=10.1.2.3:127.0.0.1", "E ip-add-membership: \"10.1.2.3\" is not a multicast address")]
    [InlineData("ip-add-membership=239.1.2.3:no-such-interface0", "E ip-add-membership: no interface \"no-such-interface0\"")]
    [InlineData("ip-multicast-if=not-an-address", "E ip-multicast-if: \"not-an-address\" is not an IPv4 address")]
    public async Task BadMulticastOptionsAreNamed(string option, string message)
    {
        var r = await Run.SharpCatAsync([], "-u", $"UDP-RECV:0,bind=127.0.0.1,{option}", "-");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([message], r.LogLines);
    }
}
