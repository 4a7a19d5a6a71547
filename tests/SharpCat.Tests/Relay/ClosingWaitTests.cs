using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Relay;

/// <summary>
/// <c>-t</c> is socat's inactivity wait after the first EOF (or a program's end): a peer that
/// keeps answering, however slowly, is heard to the end; only a direction silent for <c>-t</c> is
/// cut. Each case runs through socat too, which shows the same bytes.
/// </summary>
public class ClosingWaitTests
{
    private static readonly string TenLines = string.Concat(Enumerable.Range(0, 10).Select(i => $"line {i}\n"));

    public static TheoryData<string> Programs => new() { "sharpcat", "socat" };

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task TricklingTcpReplyAfterEofArrivesWhole(string program)
    {
        // Ten lines 0.2 s apart: 1.8 s in all, far beyond the default -t of 0.5 s, but never silent for it.
        await using var server = TrickleServer.Tcp(afterEof: TimeSpan.Zero, gap: TimeSpan.FromSeconds(0.2));
        var r = await RunAsync(program, "hi\n", "-", $"TCP:127.0.0.1:{server.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(TenLines, r.StdoutText);
        Assert.Equal("hi\n", await server.ReceivedAsync());
        Assert.DoesNotContain("-t 0.5", r.StderrText);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task TricklingUdpRepliesAfterEofArriveWhole(string program)
    {
        await using var server = TrickleServer.Udp(gap: TimeSpan.FromSeconds(0.2));
        var r = await RunAsync(program, "hi\n", "-", $"UDP:127.0.0.1:{server.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(TenLines, r.StdoutText);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task ReplyStartingWithinTheWaitArrives(string program)
    {
        // The reply starts 1 s after the EOF, within -t 2, and goes on for 1.8 s more: every line arrives.
        await using var server = TrickleServer.Tcp(afterEof: TimeSpan.FromSeconds(1), gap: TimeSpan.FromSeconds(0.2));
        var r = await RunAsync(program, "hi\n", "-t", "2", "-", $"TCP:127.0.0.1:{server.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(TenLines, r.StdoutText);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task ReplyStartingAfterTheWaitIsCut(string program)
    {
        // The reply would start 5 s after the EOF: -t 0.5 closes first, and nothing arrives.
        await using var server = TrickleServer.Tcp(afterEof: TimeSpan.FromSeconds(5), gap: TimeSpan.Zero);
        var r = await RunAsync(program, "hi\n", "-d", "-t", "0.5", "-", $"TCP:127.0.0.1:{server.Port}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.StdoutText);
        // socat cuts silently; SharpCat says which direction -t cut.
        if (program == "sharpcat") Assert.Contains("W -t 0.5: closing socket 2 -> socket 1", string.Join('\n', r.LogLines));
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task ProgramThatEndsAtOnceStillGetsTheTricklingStream(string program)
    {
        // The shell ends at once and leaves cat writing (stdin passed as fd 3: a background job of sh reads /dev/null): the program's end starts -t, and the
        // stream that keeps coming (2 s of lines 0.2 s apart) keeps the relay open to its end.
        using var dir = new TempDir();
        await using var server = TrickleServer.Tcp(afterEof: null, gap: TimeSpan.FromSeconds(0.2));
        var r = await RunAsync(program, "", "-u", $"TCP:127.0.0.1:{server.Port}", $"SYSTEM:exec 3<&0; cat <&3 >{dir["out"]} &");
        Assert.True(r.ExitCode == 0, r.ToString());
        // cat writes the last line after it read it: wait for it, bounded.
        await Wait.UntilAsync(() => File.ReadAllText(dir["out"]) == TenLines, seconds: 10);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task AProgramOnlyWrittenToGetsASecondToFinishAfterItsInputEnds(string program)
    {
        // -u into a program: socat waits up to a second for it to finish its work, whatever -t.
        using var dir = new TempDir();
        var r = await RunAsync(program, "data\n", "-t", "0.1", "-u", "-", $"SYSTEM:cat >{dir["in"]}; sleep 0.4; echo done >{dir["done"]}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("data\n", File.ReadAllText(dir["in"]));
        Assert.Equal("done\n", File.ReadAllText(dir["done"]));
    }

    private static Task<RunResult> RunAsync(string program, string stdin, params string[] args) =>
        Run.ProgramAsync(Binaries.Of(program), args, Encoding.ASCII.GetBytes(stdin), Run.DefaultTimeout);

    /// <summary>
    /// A peer that answers with ten lines, a gap between each: over TCP after the client's EOF, over
    /// UDP after its first datagram. It runs on a thread of its own with blocking calls, so that the
    /// gaps are its own and not the test host's thread pool's (a busy pool can add half a second).
    /// </summary>
    private sealed class TrickleServer : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly Task<string> _served;

        private TrickleServer(Socket socket, Func<Socket, string> serve)
        {
            _socket = socket;
            _served = Task.Factory.StartNew(() => serve(socket), TaskCreationOptions.LongRunning);
        }

        public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

        /// <summary>TCP: reads to EOF (unless <paramref name="afterEof"/> is null: answers at once), waits, then trickles.</summary>
        public static TrickleServer Tcp(TimeSpan? afterEof, TimeSpan gap)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            return new TrickleServer(listener, l =>
            {
                using var c = l.Accept();
                var received = new MemoryStream();
                if (afterEof is { } delay)
                {
                    var buffer = new byte[4096];
                    int n;
                    while ((n = c.Receive(buffer)) > 0) received.Write(buffer, 0, n);
                    Thread.Sleep(delay);
                }
                Trickle(line => c.Send(line), gap);
                c.Shutdown(SocketShutdown.Send);
                return Encoding.ASCII.GetString(received.ToArray());
            });
        }

        public static TrickleServer Udp(TimeSpan gap)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return new TrickleServer(socket, s =>
            {
                var buffer = new byte[4096];
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n = s.ReceiveFrom(buffer, ref from);
                Trickle(line => s.SendTo(line, from), gap);
                return Encoding.ASCII.GetString(buffer, 0, n);
            });
        }

        private static void Trickle(Action<byte[]> send, TimeSpan gap)
        {
            for (int i = 0; i < 10; i++)
            {
                if (i > 0) Thread.Sleep(gap);
                try { send(Encoding.ASCII.GetBytes($"line {i}\n")); }
                catch (SocketException) { return; } // the relay was cut: what it missed is the test's finding
            }
        }

        public Task<string> ReceivedAsync() => _served.WaitAsync(TimeSpan.FromSeconds(20));

        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            try { await _served.WaitAsync(TimeSpan.FromSeconds(20)); } catch (Exception) { }
        }
    }
}
