using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.Library;

/// <summary>These tests point the process's fd 1 and 2 at a file for a moment, so they run alone.</summary>
[CollectionDefinition("process stdio", DisableParallelization = true)]
public class ProcessStdioCollection;

/// <summary>A library host that gives no logger hears nothing: not one byte on stdout or stderr.</summary>
[Collection("process stdio")]
public partial class SilentLibraryTests
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int fd, int newFd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [Fact]
    public async Task ARelayWithoutALoggerWritesNothingToTheConsole()
    {
        using var dir = new TempDir();
        using var capture = File.Create(dir["console"]);
        int savedOut = dup(1), savedErr = dup(2);
        Assert.True(savedOut >= 0 && savedErr >= 0);
        int captureFd = (int)capture.SafeFileHandle.DangerousGetHandle();
        try
        {
            Assert.Equal(1, dup2(captureFd, 1));
            Assert.Equal(2, dup2(captureFd, 2));
            // A relay whose every connection fails (the server refuses), and one that cannot start.
            int refused = FreePorts.Next();
            await using (var relay = new RelayHost("TCP4-LISTEN:0,bind=127.0.0.1,fork", $"TCP4:127.0.0.1:{refused}"))
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await relay.StartAsync().WaitAsync(TimeSpan.FromSeconds(20));
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(relay.LocalEndPoints[0]).WaitAsync(TimeSpan.FromSeconds(20));
                Assert.Equal(0, await client.ReceiveAsync(new byte[16]).WaitAsync(TimeSpan.FromSeconds(20)));
            }
            await using (var broken = new RelayHost($"OPEN:{dir["missing"]}", "PIPE"))
                await Assert.ThrowsAnyAsync<SharpCatException>(() => broken.StartAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            dup2(savedOut, 1);
            dup2(savedErr, 2);
            close(savedOut);
            close(savedErr);
        }
        Assert.Equal(0, new FileInfo(dir["console"]).Length);
    }
}
