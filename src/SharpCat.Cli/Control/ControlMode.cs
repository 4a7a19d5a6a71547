using System.Net;
using System.Runtime.InteropServices;
using SharpCat.Cli.Http;
using SharpCat.Diagnostics;

namespace SharpCat.Cli.Control;

/// <summary>
/// <c>sharpcat --control=[HOST:]PORT [--config=FILE]</c>: no addresses; toxiproxy's HTTP API on
/// that port, each proxy a SharpCat relay with the proxy's toxics as its faults. Runs until
/// SIGINT or SIGTERM, then stops every proxy.
/// </summary>
internal static class ControlMode
{
    public static async Task<int> RunAsync(CommandLine cl, SocatLoggerProvider logging)
    {
        if (cl.Addresses.Count != 0)
        {
            Log.Error($"--control serves the control API and takes no addresses ({cl.Addresses.Count} given)");
            return 1;
        }
        var api = new ToxiproxyApi(new ProviderLoggerFactory(logging), cl.FaultSeed);
        HttpServer server;
        try
        {
            if (cl.ConfigFile is { } config) await api.PopulateFromFileAsync(config);
            server = HttpServer.Start(cl.ControlEndPoint!, api.HandleAsync, "--control");
        }
        catch (SharpCatException e)
        {
            Log.Error(e.Message);
            await api.StopAllAsync();
            return 1;
        }
        await using (server)
        {
            Log.Notice($"control API (toxiproxy {ToxiproxyApi.ApiVersion}) on http://{server.LocalEndPoint}");
            var stop = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnSignal(PosixSignalContext ctx)
            {
                ctx.Cancel = true;
                int number = SignalMask.Number(ctx.Signal);
                Log.Notice($"exiting on signal {number}");
                stop.TrySetResult(128 + number);
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            int status = await stop.Task;
            await api.StopAllAsync();
            Log.Notice($"exit({status})");
            return status;
        }
    }
}
