using System.Diagnostics;
using Npgsql;

namespace PostgresRelay.Tests;

/// <summary>
/// A private PostgreSQL server for the tests: its own data directory in a temp folder, reachable
/// only through a UNIX socket there (no TCP port of its own), stopped and removed at the end.
/// As root it runs as the system's <c>postgres</c> user, which PostgreSQL requires.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);
    private readonly string _directory, _bin;
    private readonly Process _server;
    private readonly bool _asPostgres;

    private PostgresServer(string directory, string bin, Process server, bool asPostgres)
    {
        _directory = directory;
        _bin = bin;
        _server = server;
        _asPostgres = asPostgres;
    }

    /// <summary>The server's socket, where a relay connects.</summary>
    public string SocketPath => Path.Combine(_directory, ".s.PGSQL.5432");

    public static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinDirectory();
        string directory = Directory.CreateTempSubdirectory("sharpcat-pg-").FullName;
        string data = Path.Combine(directory, "data");
        bool root = Environment.UserName == "root";
        if (root) await RunAsync("chown", ["postgres:", directory]);
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], asPostgres: root);
        var server = Start(Path.Combine(bin, "postgres"),
            ["-D", data, "-k", directory, "-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=50"], asPostgres: root);
        var started = new PostgresServer(directory, bin, server, root);
        try
        {
            await started.WaitUntilReadyAsync();
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        var direct = new NpgsqlConnectionStringBuilder { Host = _directory, Username = "postgres", Pooling = false, Timeout = 5 }.ConnectionString;
        while (true)
        {
            if (_server.HasExited) throw new InvalidOperationException($"postgres exited with status {_server.ExitCode}");
            try
            {
                await using var connection = new NpgsqlConnection(direct);
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException && deadline.Elapsed < StartBound)
            {
                // Not listening yet: the socket file appears once the server accepts.
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_server.HasExited)
        {
            // Immediate shutdown: the server and its workers end at once (the data is thrown away).
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w"], _asPostgres);
            await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string FindBinDirectory()
    {
        // Debian keeps the server programs out of PATH, one directory per major version.
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var bin = versions.Select(v => Path.Combine(v, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int n) ? n : 0)
            .FirstOrDefault();
        return bin ?? throw new InvalidOperationException("PostgreSQL's server is not installed (Debian: apt-get install -y postgresql)");
    }

    // setpriv runs the program in its own place (runuser would stay as its parent, and a signal
    // to it would miss the server).
    private static readonly string[] AsPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"];

    private static ProcessStartInfo StartInfo(string program, string[] args, bool asPostgres)
    {
        var info = new ProcessStartInfo(asPostgres ? "setpriv" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in asPostgres ? [.. AsPostgres, program, .. args] : args) info.ArgumentList.Add(a);
        return info;
    }

    private static Process Start(string program, string[] args, bool asPostgres)
    {
        var process = Process.Start(StartInfo(program, args, asPostgres))!;
        // Read its output so that it never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(string program, string[] args, bool asPostgres = false)
    {
        using var process = Process.Start(StartInfo(program, args, asPostgres))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(StartBound);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} failed with status {process.ExitCode}:\n{await stdout}{await stderr}");
    }
}
