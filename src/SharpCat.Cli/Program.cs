using System.Runtime.InteropServices;
using SharpCat;
using SharpCat.Cli;
using SharpCat.Diagnostics;
using SharpCat.Grammar;
using SharpCat.Relay;

return await SharpCatProgram.RunAsync(args);

namespace SharpCat.Cli
{
    /// <summary>The command-line program: global options, then the relay, then the exit status.</summary>
    internal static class SharpCatProgram
    {
        private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

        /// <summary>
        /// socat's environment: SOCAT_DEFAULT_LISTEN_IP and SOCAT_PREFERRED_RESOLVE_IP set apart what
        /// -4/-6 set together (the listening family and the resolver's preference); the command line wins.
        /// </summary>
        private static void ReadIpVersionsFromEnvironment(CommandLine cl)
        {
            if (cl.IpVersionOption != 0) return;
            static int Version(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v && v[0] is '4' or '6' ? v[0] - '0' : 0;
            cl.Relay.ListenIpVersion = Version("SOCAT_DEFAULT_LISTEN_IP");
            cl.Relay.PreferredIpVersion = Version("SOCAT_PREFERRED_RESOLVE_IP");
            // socat 1.8 reads any other listening value as -0 (1.7.4 ignores it): both versions.
            if (cl.Socat18Defaults && Environment.GetEnvironmentVariable("SOCAT_DEFAULT_LISTEN_IP") is not null && cl.Relay.ListenIpVersion == 0)
                cl.Relay.ListenOnBothIpVersions = true;
        }

        public static async Task<int> RunAsync(string[] args)
        {
            using var logging = new SocatLoggerProvider();
            Log.ProcessLogger = logging.CreateLogger("sharpcat");
            if (args.Length > 0 && args[0] == Endpoints.CredentialHelper.Marker) return Endpoints.CredentialHelper.Run(args);
            Endpoints.CredentialHelper.HelperProgram = Environment.ProcessPath;
            // Socket completions run on the epoll threads instead of hopping to the thread pool:
            // a relay's continuations are short non-blocking syscalls (splice, read, write), and
            // the hop cost about as much CPU as the data moved. .NET reads this only from the
            // environment, once, before the first socket; the managed environment is not the one
            // child programs get (they are spawned with the process's own environ).
            if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
                Environment.SetEnvironmentVariable(InlineCompletions, "1");
            CommandLine cl;
            try
            {
                cl = GlobalOptions.Parse(args, logging);
            }
            catch (SharpCatException e)
            {
                Log.Error(e.Message);
                return 1;
            }
            if (cl.ShowVersion) { Output.Write(VersionText.Build()); return 0; }
            if (cl.HelpLevel > 0) { Output.Write(HelpText.Build(cl.HelpLevel)); return 0; }
            Native.Posix.RaiseFdLimit();
            // socat 1.8 shows warnings when no -d says otherwise (-d0 hides them again).
            logging.MinimumLevel = Severities.FromDebugCount(cl.Socat18Defaults && !cl.DebugLevelGiven ? 1 : cl.DebugLevel);
            logging.Format = cl.LogFormat;
            if (cl.SyslogSocket is not null)
            {
                if (cl.LogDestination is not { } destination || !(destination.StartsWith("-ly", StringComparison.Ordinal) || destination.StartsWith("-lm", StringComparison.Ordinal)))
                {
                    Log.Error("option --syslog-socket: the log goes to syslog only with -ly or -lm");
                    return 1;
                }
                if (!File.Exists(cl.SyslogSocket))
                {
                    Log.Error($"option --syslog-socket: {Shown.Token(cl.SyslogSocket)}: No such file or directory");
                    return 1;
                }
                logging.SyslogSocketPath = cl.SyslogSocket;
            }
            if (cl.ControlEndPoint is not null) return await Control.ControlMode.RunAsync(cl, logging);
            if (cl.ConfigFile is not null || cl.FaultSeed is not null)
            {
                Log.Error($"option --{(cl.ConfigFile is not null ? "config" : "fault-seed")} goes with --control");
                return 1;
            }
            if (cl.Addresses.Count != 2)
            {
                Log.Error($"exactly 2 addresses required (there are {cl.Addresses.Count}); use option \"-h\" for help");
                return 1;
            }

            ReadIpVersionsFromEnvironment(cl);
            // --metrics: the collector listens before the relay makes its meter, and the endpoint is
            // bound before the relay starts, so a port in use fails the run before anything is opened.
            using var meters = cl.MetricsEndPoint is null ? null : new Metrics.ProgramMeterFactory();
            using var collector = meters is null ? null : new Metrics.MeterCollector();
            cl.Relay.MeterFactory = meters;
            RelayHost relay;
            try
            {
                // As socat's: a signal ends a single relay at once, and with fork lets live relays finish.
                relay = new RelayHost(EndpointSpec.Parse(cl.Addresses[0]), EndpointSpec.Parse(cl.Addresses[1]), cl.Relay,
                    new ProviderLoggerFactory(logging)) { DrainSingleRelay = false, SoleRelayOfProcess = true };
            }
            catch (SharpCatException e)
            {
                Log.Error(e.Message);
                return 1;
            }
            if (cl.Explain)
            {
                Output.Write(relay.Explain());
                return 0;
            }
            Http.HttpServer? metricsEndpoint = null;
            if (cl.MetricsEndPoint is { } metricsAt)
            {
                try
                {
                    metricsEndpoint = Metrics.PrometheusEndpoint.Start(metricsAt, collector!);
                }
                catch (SharpCatException e)
                {
                    Log.Error(e.Message);
                    return 1;
                }
                Log.Info($"serving metrics on http://{metricsEndpoint.LocalEndPoint}/metrics");
            }
            await using var metricsServing = metricsEndpoint;
            // -lm: stderr while starting, syslog from the first transfer on.
            if (logging.Target == SocatLogTarget.Mixed) relay.ConnectionOpened += (_, _) => logging.StartPhaseOver();
            if (cl.Records) relay.ConnectionClosed += (_, record) => logging.WriteRecord(record, cl.RecordsAsJson);
            // socat ends on the signals of its -S mask with status 128+signal, at the severity it
            // logs each one; a signal left out of the mask keeps its default action.
            int signal = 0;
            void OnSignal(PosixSignalContext ctx)
            {
                ctx.Cancel = true;
                int number = SignalMask.Number(ctx.Signal);
                var severity = number switch
                {
                    15 => Severity.Warning,
                    1 or 2 => Severity.Notice,
                    _ => Severity.Error,
                };
                // sighup/sigint/sigquit on an EXEC address: the signal is the child's.
                if (Native.ChildSignals.Pass(number))
                {
                    Log.Notice($"passing signal {number} to the child process(es)");
                    return;
                }
                // The first signal stops the relay (with fork: the listener, letting live relays
                // finish); a second one cuts everything.
                if (Interlocked.CompareExchange(ref signal, number, 0) != 0)
                {
                    relay.Cut();
                    return;
                }
                Log.Write(severity, $"exiting on signal {number}");
                relay.BeginStop();
            }
            var signalRegistrations = new List<PosixSignalRegistration>();
            foreach (var caught in SignalMask.Caught(cl.SignalMask ?? SignalMask.Default))
            {
                try
                {
                    signalRegistrations.Add(PosixSignalRegistration.Create(caught, OnSignal));
                }
                catch (Exception e) when (e is ArgumentOutOfRangeException or PlatformNotSupportedException or System.ComponentModel.Win32Exception)
                {
                    // As socat's sigaction on a signal the C library keeps for itself (32, 33): not caught.
                    Log.Debug($"-S: signal {SignalMask.Number(caught)} cannot be caught ({e.Message})");
                }
            }
            using var signalHandlers = new Registrations(signalRegistrations);
            // socat 1.8: SIGUSR1 logs the figures so far (without --statistics it ends the process, as in socat).
            using var sigUsr1 = cl.Statistics
                ? PosixSignalRegistration.Create((PosixSignal)10, ctx =>
                {
                    ctx.Cancel = true;
                    StatisticsReport.Write(logging, relay.Statistics, cl.Relay.Direction);
                })
                : null;

            ProgressLine? progress = null;
            var progressSizes = cl.Progress ? ProgressLine.Measure(relay) : null;
            try
            {
                await relay.StartAsync();
                if (progressSizes is { } sizes) progress = ProgressLine.Start(relay, sizes);
                await relay.Completion;
            }
            catch (SharpCatException)
            {
                return 1; // the relay has logged it
            }
            finally
            {
                if (progress is not null) await progress.DisposeAsync();
                if (cl.Statistics) StatisticsReport.Write(logging, relay.Statistics, cl.Relay.Direction);
            }
            if (signal != 0)
            {
                Log.Notice($"exit({128 + signal})");
                return 128 + signal;
            }
            Log.Notice("exiting with status 0");
            return 0;
        }
    }

    /// <summary>The program's one logger factory: every category writes socat's lines through one provider.</summary>
    internal sealed class ProviderLoggerFactory(SocatLoggerProvider provider) : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) =>
            throw new NotSupportedException("the program logs through its socat-format provider only");

        public void Dispose() { }
    }

    /// <summary>The signal handlers of the run, removed together at its end.</summary>
    internal sealed class Registrations(List<PosixSignalRegistration> all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in all) r.Dispose();
        }
    }

    /// <summary>Writes program output (help, version) straight to fd 1, never through System.Console.</summary>
    internal static class Output
    {
        public static void Write(string text)
        {
            try { Native.Posix.WriteAll(1, System.Text.Encoding.UTF8.GetBytes(text)); }
            catch (Native.PosixException) { }
        }
    }
}
