using System.Text.RegularExpressions;

namespace SharpCat.Tests.Support;

/// <summary>
/// Starts a listening (or, for RECVFROM, receiving) relay on a kernel-chosen port (port 0) and
/// reads the port from its -d -d log.
/// </summary>
public static class Listeners
{
    private static readonly Regex Bound = new(@"(?:listening|receiving) on (?:UDP )?AF=\d+ (?:\[[^\]]*\]|[^:\s]+):(\d+)");

    public static async Task<(LiveProcess Process, int Port)> StartAsync(string program, params string[] args)
    {
        var p = LiveProcess.Start(program, args);
        await p.WaitForStderrAsync(log => log.Contains("listening on ") || log.Contains("receiving on "), "a listening or receiving notice");
        var m = Bound.Match(p.StderrText);
        if (!m.Success && p.StderrText.Contains("listening on AF=1 ")) return (p, 0); // UNIX sockets have no port
        if (!m.Success) throw new InvalidOperationException($"no port in the log:\n{p.StderrText}");
        return (p, int.Parse(m.Groups[1].Value));
    }

    /// <summary>A sharpcat listener; its arguments must include -d -d and a *-LISTEN:0 address.</summary>
    public static Task<(LiveProcess Process, int Port)> SharpCatAsync(params string[] args) => StartAsync(Binaries.SharpCat, args);
}
