using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SharpCat.Diagnostics;
using SharpCat.Grammar;
using SharpCat.Relay;

namespace SharpCat;

/// <summary>
/// One relay between two addresses, running in this process: what <c>sharpcat ADDRESS1 ADDRESS2</c>
/// does, with a handle to watch and stop it. The addresses are checked when the relay is made;
/// <see cref="StartAsync"/> opens them. Each relay logs to its own logger and keeps its own figures,
/// so several can run side by side.
/// </summary>
/// <example>
/// A relay in front of a database, on a port the system chooses:
/// <code>
/// await using var relay = new RelayHost("TCP-LISTEN:0,bind=127.0.0.1,fork", "TCP:127.0.0.1:5432");
/// relay.ConnectionClosed += (_, c) => Console.WriteLine($"{c.Connection.Id}: {c.LeftToRight.Bytes} bytes up");
/// await relay.StartAsync();
/// var port = ((IPEndPoint)relay.LocalEndPoints[0]).Port;
/// // … connect the code under test to 127.0.0.1:port …
/// await relay.StopAsync();   // stop accepting, let open connections finish
/// </code>
/// </example>
public sealed class RelayHost : IAsyncDisposable
{
    private readonly RelayPlan _plan;
    private readonly RelayContext _context;
    private readonly CancellationTokenSource _stop = new(), _force = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<EndPoint> _localEndPoints = [];
    private Task? _completion;

    /// <summary>A relay between two addresses in socat's syntax (<c>"TCP-LISTEN:0,fork"</c>, <c>"OPEN:/tmp/f,creat"</c>, …).</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <param name="options">The settings socat takes as global options; the defaults are socat's.</param>
    /// <param name="loggerFactory">Where the relay logs (category <c>SharpCat.Relay</c>); nothing is logged without one.</param>
    /// <exception cref="SharpCatException">An address is malformed, has an option that does not apply, or is not in this build.</exception>
    public RelayHost(string left, string right, RelayOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(EndpointSpec.Parse(left), EndpointSpec.Parse(right), options, loggerFactory) { }

    /// <summary>A relay between two addresses made with <see cref="Address"/>.</summary>
    /// <inheritdoc cref="RelayHost(string, string, RelayOptions?, ILoggerFactory?)"/>
    public RelayHost(Address left, Address right, RelayOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(left.ToEndpointSpec(), right.ToEndpointSpec(), options, loggerFactory) { }

    /// <summary>A relay between two parsed addresses.</summary>
    /// <inheritdoc cref="RelayHost(string, string, RelayOptions?, ILoggerFactory?)"/>
    public RelayHost(EndpointSpec left, EndpointSpec right, RelayOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        options ??= new RelayOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SharpCat.Relay");
        _context = new RelayContext(logger, options, this);
        _plan = CheckIn(_context, left, right, options);
        if (options.MeterFactory is { } meters) _context.Metrics = new Metrics.RelayMetrics(this, meters, options.MetricsName);
    }

    /// <summary>
    /// The program's relay: the only one in its process, so its context is the process's rather
    /// than an async-local one (see <see cref="RelayContext"/>). Set before <see cref="StartAsync"/>.
    /// </summary>
    internal bool SoleRelayOfProcess
    {
        init
        {
            if (value) _context.OwnProcess();
            _startsOnCallerThread = value;
        }
    }

    // The program's relay starts on the caller's thread: the program only waits for it, and a
    // relay that never waits (two files) then ends without starting the thread pool's threads.
    private readonly bool _startsOnCallerThread;

    // The checks' warnings go to this relay's logger too.
    private static RelayPlan CheckIn(RelayContext context, EndpointSpec left, EndpointSpec right, RelayOptions options)
    {
        var previous = RelayContext.Current;
        context.Enter();
        try
        {
            return RelayRunner.Prepare(left, right, options);
        }
        finally
        {
            RelayContext.Restore(previous);
        }
    }

    /// <summary>
    /// A connection's transfer starts: both of its addresses are open. Raised on the relay's own
    /// thread before any of its data moves; a handler should return quickly, and one that throws
    /// is logged and does not stop the relay.
    /// </summary>
    public event EventHandler<RelayConnection>? ConnectionOpened;

    /// <summary>A connection's transfer has ended, with what it moved each way and how each direction ended.</summary>
    public event EventHandler<RelayConnectionClosed>? ConnectionClosed;

    /// <summary>
    /// The addresses of the relay's listening and receiving sockets, in the order they were bound:
    /// the port that <c>TCP-LISTEN:0</c> got is here once <see cref="StartAsync"/> has returned.
    /// </summary>
    public IReadOnlyList<EndPoint> LocalEndPoints
    {
        get { lock (_localEndPoints) return [.. _localEndPoints]; }
    }

    /// <summary>The relay's figures now: connections open and in total, bytes each way.</summary>
    public RelayStatistics Statistics => _context.Statistics;

    /// <summary>
    /// Completes when the relay has ended: normally (its addresses ended, or it was stopped), or
    /// with a <see cref="SharpCatException"/> saying why it failed.
    /// </summary>
    public Task Completion => _completion ?? throw new InvalidOperationException("the relay has not been started");

    /// <summary>
    /// Opens the relay and completes once it listens (a listening or receiving address is bound),
    /// transfers, or has already ended. A relay that fails before that throws here.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the relay goes on; <see cref="StopAsync"/> stops it).</param>
    /// <exception cref="SharpCatException">An address cannot be opened (port in use, file missing, …).</exception>
    /// <exception cref="InvalidOperationException">The relay was started before.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_completion is not null) throw new InvalidOperationException("the relay has been started already");
        _completion = RunAsync();
        await Task.WhenAny(_ready.Task, _completion).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_completion.IsFaulted) await _completion.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        // Off the caller's thread, so that StartAsync returns as soon as the relay listens, and in
        // this relay's context from here on.
        if (!_startsOnCallerThread) await Task.Yield();
        if (RelayContext.Current != _context) _context.Enter();
        try
        {
            await RelayRunner.RunAsync(_plan, _context, _stop.Token, _force.Token, drainSingle: DrainSingleRelay).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (SharpCatException e)
        {
            // The host sees the failure; its log shows it as the program shows it.
            Log.Error(e.Message);
            throw;
        }
        finally
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>
    /// Stops the relay: listeners close at once (a UNIX socket's file is removed), what is still
    /// opening ends, and open connections finish their transfers; then the task completes. When
    /// <paramref name="cancellationToken"/> is cancelled (at once, or after a grace period), open
    /// connections are cut instead. Errors of the relay are not thrown here (<see cref="Completion"/> has them).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        BeginStop();
        if (_completion is null) return;
        using (cancellationToken.Register(static f => ((CancellationTokenSource)f!).Cancel(), _force))
        {
            try { await _completion.ConfigureAwait(false); }
            catch (SharpCatException) { }
        }
    }

    /// <summary>Cuts the relay and waits for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _stop.Dispose();
        _force.Dispose();
    }

    /// <summary>Runs a relay to its end: what the sharpcat program does with two addresses.</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <param name="options">The settings socat takes as global options.</param>
    /// <param name="loggerFactory">Where the relay logs; nothing is logged without one.</param>
    /// <param name="cancellationToken">Cuts the relay; the call then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="SharpCatException">An address is invalid or cannot be opened, or the transfer failed.</exception>
    public static async Task RunAsync(string left, string right, RelayOptions? options = null,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var relay = new RelayHost(left, right, options, loggerFactory);
        await using (relay.ConfigureAwait(false))
        {
            using var cut = cancellationToken.Register(static r => ((RelayHost)r!).Cut(), relay);
            await relay.StartAsync(cancellationToken).ConfigureAwait(false);
            await relay.Completion.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// True (the library's default) when a stop lets a single relay that transfers finish; the
    /// program sets it false, as socat ends such a relay on a signal at once.
    /// </summary>
    internal bool DrainSingleRelay { get; init; } = true;

    /// <summary>What the relay will do, in words, without opening anything (<c>--explain</c>).</summary>
    internal string Explain() => Explanation.Build(_plan);

    /// <summary>The checked addresses and settings the relay runs (the program's --progress reads them).</summary>
    internal RelayPlan Plan => _plan;

    /// <summary>Stops without waiting (what a first signal does).</summary>
    internal void BeginStop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Cuts everything without waiting (what a second signal does).</summary>
    internal void Cut()
    {
        BeginStop();
        try { _force.Cancel(); } catch (ObjectDisposedException) { }
    }

    internal bool HasConnectionListeners => ConnectionOpened is not null || ConnectionClosed is not null;

    internal void OnListening(EndPoint endPoint)
    {
        lock (_localEndPoints) _localEndPoints.Add(endPoint);
        _ready.TrySetResult();
    }

    internal void OnConnectionOpened(RelayConnection? connection)
    {
        _ready.TrySetResult();
        if (connection is not null) Raise(ConnectionOpened, connection, nameof(ConnectionOpened));
    }

    internal void OnConnectionClosed(RelayConnectionClosed record) => Raise(ConnectionClosed, record, nameof(ConnectionClosed));

    private void Raise<T>(EventHandler<T>? handler, T args, string name)
    {
        if (handler is null) return;
        try
        {
            handler(this, args);
        }
        catch (Exception e)
        {
            Log.Error($"a {name} handler failed: {e.Message}");
        }
    }
}
