using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Endpoints;

/// <summary>
/// SCTP and VSOCK. This machine's kernel has no SCTP module and no VSOCK loopback transport, so
/// what can be shown here is that both programs meet the kernel's refusal with the same message
/// and exit status; where the kernel does have SCTP, data goes through a relay instead.
/// </summary>
public class SctpVsockTests
{
    private static readonly bool KernelHasSctp = Probe(AddressFamily.InterNetwork, SocketType.Stream, (ProtocolType)132);

    private static bool Probe(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        try
        {
            using var s = new Socket(family, type, protocol);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("SCTP-CONNECT:127.0.0.1:{port}", "2")]
    [InlineData("SCTP4-CONNECT:127.0.0.1:{port}", "2")]
    [InlineData("SCTP6-CONNECT:[::1]:{port}", "10")]
    [InlineData("SCTP-LISTEN:{port}", "2")]
    [InlineData("SCTP6-LISTEN:{port}", "10")]
    public async Task WithoutKernelSctpBothProgramsSayTheProtocolIsNotSupported(string address, string domain)
    {
        if (KernelHasSctp) return; // covered by SctpCarriesDataWhereTheKernelHasIt
        string a = address.Replace("{port}", "4444"); // the socket is refused before any port matters
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            var r = await Run.ProgramAsync(program, ["-", a], [], Run.DefaultTimeout);
            Assert.Equal(1, r.ExitCode);
            Assert.EndsWith($"E socket({domain}, 1, 132): Protocol not supported", r.StderrText.Trim());
        }
    }

    [Fact]
    public async Task SctpCarriesDataWhereTheKernelHasIt()
    {
        if (!KernelHasSctp) return; // this kernel refuses SCTP sockets; the refusal is tested above
        int port = 30000 + Environment.ProcessId % 20000;
        using var server = LiveProcess.Start(Binaries.Socat!, "-d", "-d", $"SCTP4-LISTEN:{port},reuseaddr", "EXEC:cat");
        await server.WaitForStderrAsync("listening on");
        var payload = Encoding.ASCII.GetBytes("over sctp\n");
        var r = await Run.SharpCatAsync(payload, "-", $"SCTP-CONNECT:127.0.0.1:{port}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(payload, r.Stdout);
    }

    private static int _vsockPort = 40000 + Environment.ProcessId % 10000;

    [Fact]
    public async Task VsockListenerAnnouncesItselfAsSocatDoes()
    {
        int port = Interlocked.Increment(ref _vsockPort);
        foreach (string program in new[] { Binaries.SharpCat, Binaries.Socat! })
        {
            var r = await Run.ProgramAsync(program, ["-d", "-d", $"VSOCK-LISTEN:{port},accept-timeout=0.2", "-"], [], Run.DefaultTimeout);
            Assert.Equal(0, r.ExitCode);
            Assert.Contains($"N listening on AF=40 cid:4294967295 port:{port}", r.LogLines);
            Assert.Contains("W accept: Connection timed out", r.LogLines);
        }
    }

    [Fact]
    public async Task VsockListenerOnAnyPortReportsThePortTheKernelChose()
    {
        var r = await Run.SharpCatAsync("-d", "-d", "VSOCK-LISTEN:4294967295,accept-timeout=0.1", "-");
        Assert.Equal(0, r.ExitCode);
        string line = Assert.Single(r.LogLines, l => l.StartsWith("N listening on AF=40 cid:4294967295 port:"));
        Assert.NotEqual("4294967295", line.Split("port:")[1]);
    }

    [Fact]
    public async Task VsockListenerEndsOnSignalWhileWaiting()
    {
        int port = Interlocked.Increment(ref _vsockPort);
        using var listener = LiveProcess.SharpCat("-d", "-d", $"VSOCK-LISTEN:{port}", "-");
        await listener.WaitForStderrAsync("listening on");
        listener.Signal(15);
        Assert.Equal(143, await listener.WaitForExitAsync());
    }

    [Fact]
    public async Task VsockConnectWithoutATransportFailsAsSocatDoes()
    {
        // Context 1 is the local loopback transport, absent from this kernel: the connect times out.
        int port = Interlocked.Increment(ref _vsockPort);
        var runs = await Task.WhenAll(
            Run.SharpCatAsync([], "-", $"VSOCK-CONNECT:1:{port}"),
            Run.SocatAsync([], "-", $"VSOCK-CONNECT:1:{port}"));
        foreach (var r in runs)
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Matches(@$"E connect\(\d+, AF=40 cid:1 port:{port}, 16\): (Connection timed out|Connection reset by peer|No such device)$", r.LogLines[^1]);
        }
        Assert.Equal(runs[1].LogLines[^1][(runs[1].LogLines[^1].IndexOf(',') + 1)..], runs[0].LogLines[^1][(runs[0].LogLines[^1].IndexOf(',') + 1)..]);
    }

    [Theory]
    [InlineData("VSOCK-CONNECT:x:1", "E option \"VSOCK-CONNECT cid\": invalid value \"x\": missing numerical value")]
    [InlineData("VSOCK-CONNECT:1:4294967296", "E option \"VSOCK-CONNECT port\": invalid value \"4294967296\": out of range 0..4294967295")]
    public async Task BadVsockParametersAreNamed(string address, string message)
    {
        var r = await Run.SharpCatAsync([], "-", address);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal([message], r.LogLines);
    }
}
