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
        private static void ReadIpVersionsFromEnvironment(RelayOptions relay)
        {
            if (relay.PreferredIpVersion != 0) return;
            static int Version(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v && v[0] is '4' or '6' ? v[0] - '0' : 0;
            relay.ListenIpVersion = Version("SOCAT_DEFAULT_LISTEN_IP");
            relay.PreferredIpVersion = Version("SOCAT_PREFERRED_RESOLVE_IP");
        }

        public static async Task<int> RunAsync(string[] args)
        {
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
                cl = GlobalOptions.Parse(args);
            }
            catch (SharpCatException e)
            {
                Log.Error(e.Message);
                return 1;
            }
            if (cl.ShowVersion) { Output.Write(VersionText.Build()); return 0; }
            if (cl.HelpLevel > 0) { Output.Write(HelpText.Build(cl.HelpLevel)); return 0; }
            Native.Posix.RaiseFdLimit();
            Log.Threshold = (Severity)Math.Max((int)Severity.Debug, (int)Severity.Error - cl.DebugLevel);
            if (cl.Addresses.Count != 2)
            {
                Log.Error($"exactly 2 addresses required (there are {cl.Addresses.Count}); use option \"-h\" for help");
                return 1;
            }

            ReadIpVersionsFromEnvironment(cl.Relay);
            using var cts = new CancellationTokenSource();
            using var force = new CancellationTokenSource();
            cl.Relay.ForceStop = force.Token;
            // socat ends on these with status 128+signal, at the severity it logs each one.
            int signal = 0;
            void OnSignal(PosixSignalContext ctx)
            {
                ctx.Cancel = true;
                var (number, severity) = ctx.Signal switch
                {
                    PosixSignal.SIGTERM => (15, Severity.Warning),
                    PosixSignal.SIGINT => (2, Severity.Notice),
                    PosixSignal.SIGHUP => (1, Severity.Notice),
                    _ => (3, Severity.Error),
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
                    force.Cancel();
                    return;
                }
                Log.Write(severity, $"exiting on signal {number}");
                cts.Cancel();
            }
            using var sigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var sigHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
            using var sigQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);

            try
            {
                var left = EndpointSpec.Parse(cl.Addresses[0]);
                var right = EndpointSpec.Parse(cl.Addresses[1]);
                await RelayRunner.RunAsync(left, right, cl.Relay, cts.Token);
            }
            catch (SharpCatException e)
            {
                Log.Error(e.Message);
                return 1;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
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
