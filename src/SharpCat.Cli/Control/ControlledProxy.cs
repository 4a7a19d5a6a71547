using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SharpCat.Catalog;

using SharpCat.Cli.Http;

namespace SharpCat.Cli.Control;

/// <summary>One toxic as the API shows it: name, type, stream, toxicity and attributes.</summary>
internal sealed record Toxic(string Name, ToxicTypes.Type Type, string Stream, double Toxicity, Dictionary<string, double> Attributes)
{
    /// <summary>The toxic as a fault of the proxy's relay: downstream is what the client receives (the listening side).</summary>
    public Fault ToFault() => Type.ToFault(Attributes) with
    {
        Direction = Stream == "upstream" ? RelayDirection.LeftToRight : RelayDirection.RightToLeft,
        Probability = Toxicity,
    };
}

/// <summary>
/// A proxy of the control API: a SharpCat relay from its listen address (forking) to its upstream,
/// with the proxy's toxics as the relay's live faults. Disabled, it has no relay: nothing listens,
/// and its connections were cut, as toxiproxy does.
/// </summary>
internal sealed class ControlledProxy(string name, string listen, string upstream, RelayFaults faults, Microsoft.Extensions.Logging.ILoggerFactory logging)
{
    private RelayHost? _relay;

    public string Name => name;
    public string Listen { get; private set; } = listen;
    public string Upstream { get; private set; } = upstream;
    public bool Enabled => _relay is not null;
    public List<Toxic> Toxics { get; } = [];
    public RelayFaults Faults => faults;

    /// <summary>Starts listening; the listen address then shows the port the system chose for port 0.</summary>
    /// <exception cref="SharpCatException">The listen or upstream address is bad, or the port is in use.</exception>
    public async Task StartAsync()
    {
        if (_relay is not null) return;
        var relay = new RelayHost(ListenAddress(Listen), UpstreamAddress(Upstream), new RelayOptions { Faults = faults }, logging);
        try
        {
            await relay.StartAsync().ConfigureAwait(false);
            if (relay.Completion.IsCompleted) await relay.Completion.ConfigureAwait(false);
        }
        catch
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (IsHostPort(Listen) && relay.LocalEndPoints.FirstOrDefault() is IPEndPoint bound)
            Listen = HttpServer.Shown(bound);
        _relay = relay;
    }

    /// <summary>Stops listening and cuts the open connections.</summary>
    public async Task StopAsync()
    {
        if (_relay is not { } relay) return;
        _relay = null;
        await relay.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A new listen or upstream address restarts the proxy (toxiproxy does the same).</summary>
    public async Task UpdateAsync(string newListen, string newUpstream, bool enabled)
    {
        bool differs = newListen != Listen || newUpstream != Upstream;
        if (differs)
        {
            // Checked before the running proxy is stopped, so a bad update leaves it as it was.
            await new RelayHost(ListenAddress(newListen), UpstreamAddress(newUpstream)).DisposeAsync().ConfigureAwait(false);
            await StopAsync().ConfigureAwait(false);
            Listen = newListen;
            Upstream = newUpstream;
        }
        if (enabled) await StartAsync().ConfigureAwait(false);
        else await StopAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// toxiproxy's <c>host:port</c> listens with TCP; any SharpCat address keyword (<c>UNIX-LISTEN:…</c>,
    /// <c>OPENSSL-LISTEN:…</c>, <c>UDP-LISTEN:…</c>) listens as that address, forking.
    /// </summary>
    private static string ListenAddress(string listen)
    {
        if (listen.Length == 0) listen = "127.0.0.1:0";
        if (!IsHostPort(listen)) return listen.Contains(",fork", StringComparison.OrdinalIgnoreCase) ? listen : listen + ",fork";
        var (host, port) = SplitHostPort(listen, "listen");
        string family = host.Contains(':') ? "TCP6-LISTEN" : "TCP-LISTEN";
        string bind = host.Length == 0 ? "" : host.Contains(':') ? $",bind=[{host}]" : $",bind={ResolveListenHost(host)}";
        return $"{family}:{port}{bind},fork,reuseaddr";
    }

    private static string UpstreamAddress(string upstream)
    {
        if (!IsHostPort(upstream)) return upstream;
        var (host, port) = SplitHostPort(upstream, "upstream");
        return host.Contains(':') ? $"TCP6:[{host}]:{port}" : $"TCP:{host}:{port}";
    }

    // "localhost" listens where Go's toxiproxy listens for it: the IPv4 loopback.
    private static string ResolveListenHost(string host) => host == "localhost" ? "127.0.0.1" : host;

    /// <summary>True for toxiproxy's <c>host:port</c>; false when the text starts with an address keyword of SharpCat's.</summary>
    private static bool IsHostPort(string text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0 || text.StartsWith('[')) return true;
        return AddressCatalog.Find(text[..colon].ToLowerInvariant()) is null;
    }

    private static (string Host, string Port) SplitHostPort(string text, string field)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0) throw new SharpCatException($"{field} \"{text}\": no port (host:port, or a SharpCat address)");
        string host = text[..colon], port = text[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new SharpCatException($"{field} \"{text}\": \"{port}\" is not a port number (0-65535)");
        return (host, port);
    }
}
