namespace SharpCat.Tests.Support;

/// <summary>
/// tshark, the judge of what <c>--pcap</c> writes (test.sh installs it): the conversations it finds
/// in a capture, the bytes each way, and anything it would flag.
/// </summary>
public static class Tshark
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>One TCP conversation as <c>-z follow,tcp,raw</c> shows it: its first sender, its other end, and the bytes each way.</summary>
    public sealed record Conversation(string Node0, string Node1, byte[] FromNode0, byte[] FromNode1);

    public static async Task<string> RunAsync(params string[] args)
    {
        string tshark = Binaries.FindOnPath("tshark") ?? throw new InvalidOperationException("tshark is not installed (test.sh installs it)");
        var result = await Run.ProgramAsync(tshark, args, stdin: null, Bound);
        Assert.True(result.ExitCode == 0, $"tshark {string.Join(' ', args)}: {result}");
        return result.StdoutText;
    }

    /// <summary>TCP stream <paramref name="index"/> of the file.</summary>
    public static async Task<Conversation> FollowTcpAsync(string file, int index)
    {
        string text = await RunAsync("-r", file, "-q", "-z", $"follow,tcp,raw,{index}");
        string? node0 = null, node1 = null;
        var from0 = new MemoryStream();
        var from1 = new MemoryStream();
        bool data = false;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("Node 0: ", StringComparison.Ordinal)) node0 = line[8..].Trim();
            else if (line.StartsWith("Node 1: ", StringComparison.Ordinal)) { node1 = line[8..].Trim(); data = true; }
            else if (line.StartsWith("====", StringComparison.Ordinal)) data = false;
            else if (data && line.Trim().Length > 0)
                // Lines from node 1 are indented by a tab.
                (line.StartsWith('\t') ? from1 : from0).Write(Convert.FromHexString(line.Trim()));
        }
        Assert.True(node0 is not null && node1 is not null, $"no TCP stream {index} in {file}:\n{text}");
        return new Conversation(node0, node1, from0.ToArray(), from1.ToArray());
    }

    /// <summary>The number of TCP streams in the file.</summary>
    public static async Task<int> TcpStreamCountAsync(string file)
    {
        string text = await RunAsync("-r", file, "-T", "fields", "-e", "tcp.stream");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Count();
    }

    /// <summary>
    /// Every packet tshark would warn about: malformed ones, expert warnings and errors, TCP analysis
    /// flags (retransmission, out of order, window full, …), and bad checksums (checked here on purpose).
    /// </summary>
    public static Task<string> ComplaintsAsync(string file) => RunAsync("-r", file,
        "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
        "-Y", "_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags"
              + " || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0");
}
