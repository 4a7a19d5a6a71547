using System.Globalization;
using System.Text.RegularExpressions;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// The ancillary data a receiving datagram address asks the kernel for (so-timestamp, ip-recvopts,
/// ip-pktinfo, ip-recvttl, ip-recvtos, ipv6-recvpktinfo, ipv6-recvhoplimit, ipv6-recvtclass), logged
/// as socat logs it: the same invocation through socat and through sharpcat, the same datagram sent
/// by socat (with the sending options that make the data worth reading), the same lines at every
/// level (socat's test.sh greps the info lines). What a child program is told is compared in
/// <see cref="ChildEnvironmentTests"/>.
/// </summary>
public class AncillaryDataTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "UDP4-RECV:{port},ip-pktinfo,ip-recvttl,ip-recvtos,ip-recvopts,so-timestamp", "UDP4-SENDTO:127.0.0.1:{port},ip-tos=7,ip-options=x01000000" },
        { "UDP6-RECV:{port},so-timestamp,ipv6-recvpktinfo,ipv6-recvhoplimit,ipv6-recvtclass", "UDP6-SENDTO:[::1]:{port},ipv6-unicast-hops=35,ipv6-tclass=0xaa" },
        { "IP4-RECV:{proto},ip-recvopts,so-timestamp,ip-recvttl", "IP4-SENDTO:127.0.0.1:{proto},ip-options=x01000000,ip-ttl=53" },
        { "IP6-RECV:{proto},so-timestamp,ipv6-recvpktinfo,ipv6-recvhoplimit,ipv6-recvtclass", "IP6-SENDTO:[::1]:{proto},ipv6-unicast-hops=35,ipv6-tclass=0xaa" },
        // RECVFROM logs the data when it looks at its sender, framed by socat's lines for that.
        { "UDP4-RECVFROM:{port},ip-recvopts,so-timestamp", "UDP4-SENDTO:127.0.0.1:{port},ip-options=x01000000" },
        { "IP6-RECVFROM:{proto},fork,ipv6-recvtclass,ipv6-recvhoplimit", "IP6-SENDTO:[::1]:{proto},ipv6-tclass=0xaa" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AncillaryDataIsLoggedAsSocatLogsIt(string receive, string send)
    {
        var socat = await LoggedAsync(Binaries.Socat!, receive, send);
        var ours = await LoggedAsync(Binaries.SharpCat, receive, send);
        Assert.Contains(socat, l => l.StartsWith("I ancillary message: ", StringComparison.Ordinal));
        Assert.Equal(socat, ours);
    }

    /// <summary>SO_TIMESTAMP in ctime(3)'s form, in local time: the moment the datagram arrived.</summary>
    [Fact]
    public async Task TheTimestampIsWhenTheDatagramArrived()
    {
        var lines = await LoggedAsync(Binaries.SharpCat, "UDP4-RECV:{port},so-timestamp", "UDP4-SENDTO:127.0.0.1:{port}", keepTimestamps: true);
        string line = Assert.Single(lines, l => l.StartsWith("I ancillary message: SCM_TIMESTAMP: ", StringComparison.Ordinal));
        var match = Regex.Match(line, @"timestamp=(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}), \d{6} usecs$");
        Assert.True(match.Success, line);
        var when = DateTime.ParseExact(match.Groups[1].Value.Replace("  ", " "), "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture);
        Assert.InRange(DateTime.Now - when, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Runs the receiving program, sends it one datagram with socat, and returns its ancillary lines
    /// (level and text) with what differs by nature made alike: the timestamp's value (its form is
    /// checked) and the sender's port.
    /// </summary>
    private static async Task<string[]> LoggedAsync(string program, string receive, string send, bool keepTimestamps = false)
    {
        string port = FreePorts.Next().ToString(), proto = RawProtocols.Next().ToString();
        string Fill(string a) => a.Replace("{port}", port).Replace("{proto}", proto);
        bool recvFrom = receive.Contains("RECVFROM");
        // A RECVFROM address with fork serves each datagram with a child program of its own.
        string other = receive.Contains(",fork") ? "SYSTEM:cat>/dev/null" : "-";
        using var receiver = LiveProcess.Start(program, "-d", "-d", "-d", "-d", "-u", Fill(receive), other);
        await receiver.WaitForStderrAsync(recvFrom ? "receiving " : "starting data transfer loop");
        var sent = await Run.SocatAsync("XYZ\n"u8.ToArray(), "-u", "-", Fill(send));
        Assert.Equal(0, sent.ExitCode);
        // Both programs log the ancillary data before they pass the datagram on (or permit its sender).
        if (recvFrom) await receiver.WaitForStderrAsync("permitting packet from");
        else await receiver.WaitForStdoutAsync(o => o.Length >= 4);
        string wanted = recvFrom ? "(?i:ancillary message)|receiving packet from|permitting packet from" : "(?i:ancillary message)";
        return Regex.Matches(receiver.StderrText, @$"^\S+ \S+ \S+\[\d+\] ([DIN] (?:{wanted}).*)$", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value.TrimEnd('\r'))
            .Select(l => keepTimestamps ? l : Regex.Replace(l,
                @"timestamp=\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}, \d{6} usecs$", "timestamp=<ctime>, <usecs> usecs"))
            .Select(l => Regex.Replace(l, @"(level=1, type=29, data=)x[0-9a-f]{32}$", "$1<timeval>"))
            .Select(l => Regex.Replace(l, @"(packet from AF=\d+ \S+):\d+$", "$1:<port>"))
            .ToArray();
    }
}
