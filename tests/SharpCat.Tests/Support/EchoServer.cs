using System.Net;
using System.Net.Sockets;

namespace SharpCat.Tests.Support;

/// <summary>A TCP echo server on loopback, in the test process, for relays to forward to.</summary>
public sealed class EchoServer : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();

    public EchoServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var c = await _listener.AcceptAsync(_stop.Token);
                _ = EchoAsync(c);
            }
        }
        catch (Exception) { } // disposed
    }

    private async Task EchoAsync(Socket c)
    {
        using (c)
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await c.ReceiveAsync(buffer, _stop.Token)) > 0) await c.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
            catch (Exception) { } // reset or stopped
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
    }
}
