using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpCat.Tests.Support;

/// <summary>
/// A real proxy or ssh server started for one test: a foreground child process listening on
/// 127.0.0.1 at a kernel-chosen port, with its configuration, keys and pid file in a temp dir.
/// Dispose kills the whole process tree and removes the directory.
/// </summary>
public sealed class RunningServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;
    private readonly Task _pumps;
    private bool _disposed;

    internal RunningServer(string name, Process process, StringBuilder log, Task pumps, string directory, string configPath, int port,
        string? user, string? password, string? clientKeyPath)
    {
        Name = name;
        _process = process;
        _log = log;
        _pumps = pumps;
        Directory = directory;
        ConfigPath = configPath;
        Port = port;
        User = user;
        Password = password;
        ClientKeyPath = clientKeyPath;
    }

    /// <summary>"danted", "tinyproxy" or "sshd".</summary>
    public string Name { get; }

    /// <summary>Always 127.0.0.1: the servers listen on loopback only.</summary>
    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>Proxy user (danted/tinyproxy with auth) or the login user (sshd); null without auth.</summary>
    public string? User { get; }

    /// <summary>Proxy password; null without auth and for sshd (key login only).</summary>
    public string? Password { get; }

    /// <summary>sshd only: the private key (no passphrase, mode 0600) that the server accepts for <see cref="User"/>.</summary>
    public string? ClientKeyPath { get; }

    /// <summary>The temp dir holding the configuration, keys and pid file.</summary>
    public string Directory { get; }

    public string ConfigPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the server wrote to stdout and stderr so far (its log: all three log to the console here).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>
    /// ssh client arguments that log in to this sshd without prompts or known_hosts changes:
    /// -F /dev/null, BatchMode, no host key checking, only <see cref="ClientKeyPath"/>, -p port.
    /// Append "user@127.0.0.1" (see <see cref="SshDestination"/>) and the remote command.
    /// </summary>
    public string[] SshOptions(string? proxyCommand = null)
    {
        if (ClientKeyPath is null) throw new InvalidOperationException($"{Name} is not an sshd");
        var args = new List<string>
        {
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=10",
            "-i", ClientKeyPath,
            "-p", Port.ToString(),
        };
        if (proxyCommand is not null) args.AddRange(["-o", "ProxyCommand=" + proxyCommand]);
        return args.ToArray();
    }

    /// <summary>"user@127.0.0.1" for ssh.</summary>
    public string SshDestination => $"{User}@{Host}";

    public override string ToString() => $"{Name} on {Host}:{Port} (pid {Pid}, dir {Directory})";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
            _pumps.Wait(TimeSpan.FromSeconds(5)); // children holding the pipes are killed with the tree
        }
        catch (InvalidOperationException) { }
        catch (AggregateException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Starts real servers for proxy tests: dante (SOCKS4/SOCKS5, Debian package dante-server),
/// tinyproxy (HTTP CONNECT, package tinyproxy) and OpenSSH's sshd (package openssh-server), each
/// in the foreground on 127.0.0.1 with a fresh kernel-chosen port and a private temp dir.
/// Readiness is a log line plus a successful TCP connect, within a bounded wait; a port stolen
/// between choosing and binding it makes the server exit, and the start is retried.
/// </summary>
/// <remarks>
/// Facts the tests rely on (dante 1.4.2, tinyproxy 1.11.1, OpenSSH 9.2 on Debian 12):
/// dante answers SOCKS4 and SOCKS5 on the same port, but not SOCKS4A (a 4A request for a name
/// makes it connect to 0.0.0.1 and reply 91); with socksmethod username it rejects every SOCKS4
/// request (reply 91) and checks SOCKS5 user/password against /etc/shadow, so the user
/// <see cref="SocksUser"/> is created with useradd/chpasswd (root only). tinyproxy replies
/// "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", 407 without
/// credentials, 401 (not 407) for wrong credentials, 403 for a port outside ConnectPort, and
/// closes the whole tunnel as soon as the client half-closes (keep the client's input open).
/// </remarks>
public static class ProxyServers
{
    /// <summary>System user created for dante's username method (SOCKS5 RFC 1929).</summary>
    public const string SocksUser = "sharpcat-proxy";
    public const string SocksPassword = "sharpcat-pass";

    /// <summary>tinyproxy BasicAuth credentials.</summary>
    public const string HttpUser = "sharpcat";
    public const string HttpPassword = "s3cret";

    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(20);
    private static readonly SemaphoreSlim UserLock = new(1, 1);
    private static bool _userReady;

    public static bool IsRoot => geteuid() == 0;

    /// <summary>The apt package to install when the server is missing, or null when it is there.</summary>
    public static string? MissingPackage(string server) => server switch
    {
        "danted" => FindProgram("danted") is null ? "dante-server" : null,
        "tinyproxy" => FindProgram("tinyproxy") is null ? "tinyproxy" : null,
        "sshd" => FindProgram("sshd") is null ? "openssh-server" : FindProgram("ssh-keygen") is null || FindProgram("ssh") is null ? "openssh-client" : null,
        _ => throw new ArgumentException($"unknown server {server}", nameof(server)),
    };

    /// <summary>
    /// danted with SOCKS4 and SOCKS5 CONNECT (and SOCKS5 BIND for loopback peers) to any address (outgoing connections are bound to
    /// 127.0.0.1, so only loopback targets are reachable). Without auth: socksmethod none.
    /// With auth: socksmethod username; User/Password are <see cref="SocksUser"/>/<see cref="SocksPassword"/>
    /// (needs root: dante reads /etc/shadow, and the user is created if missing).
    /// </summary>
    public static async Task<RunningServer> StartDanteAsync(bool withAuth)
    {
        string danted = Require("danted", "dante-server");
        if (withAuth)
        {
            if (!IsRoot) throw new InvalidOperationException("danted with username authentication needs root (it checks /etc/shadow, and the system user sharpcat-proxy must be created)");
            await EnsureSocksUserAsync();
        }
        return await StartAsync("danted", (dir, port) =>
        {
            string config = Path.Combine(dir, "danted.conf");
            var sb = new StringBuilder();
            sb.Append("logoutput: stderr\n");
            sb.Append($"internal: 127.0.0.1 port = {port}\n");
            sb.Append("external: 127.0.0.1\n");
            sb.Append("clientmethod: none\n");
            sb.Append(withAuth ? "socksmethod: username\n" : "socksmethod: none\n");
            if (IsRoot) sb.Append("user.privileged: root\nuser.unprivileged: nobody\n");
            sb.Append("client pass {\n  from: 127.0.0.1/32 to: 0.0.0.0/0\n  log: error\n}\n");
            sb.Append("socks pass {\n  from: 127.0.0.1/32 to: 0.0.0.0/0\n  command: connect bind\n  log: connect disconnect error\n}\n");
            // BIND (SOCKS5-LISTEN): the peer's incoming connection, loopback only.
            sb.Append("socks pass {\n  from: 127.0.0.1/32 to: 127.0.0.1/32\n  command: bindreply\n  log: connect disconnect error\n}\n");
            File.WriteAllText(config, sb.ToString());
            return Task.FromResult((config, danted, new[] { "-f", config, "-p", Path.Combine(dir, "danted.pid"), "-N", "1" }, "running"));
        }, withAuth ? SocksUser : null, withAuth ? SocksPassword : null, null);
    }

    /// <summary>
    /// tinyproxy as an HTTP CONNECT proxy on 127.0.0.1: no ConnectPort line (so CONNECT to every
    /// port is allowed), Allow 127.0.0.1, no Upstream, outgoing connections bound to 127.0.0.1, no
    /// Via header. With auth: BasicAuth <see cref="HttpUser"/> <see cref="HttpPassword"/>.
    /// </summary>
    public static Task<RunningServer> StartTinyproxyAsync(bool withAuth)
    {
        string tinyproxy = Require("tinyproxy", "tinyproxy");
        return StartAsync("tinyproxy", (dir, port) =>
        {
            string config = Path.Combine(dir, "tinyproxy.conf");
            var sb = new StringBuilder();
            sb.Append($"Port {port}\n");
            sb.Append("Listen 127.0.0.1\n");
            sb.Append("Bind 127.0.0.1\n");
            sb.Append("Timeout 600\n");
            sb.Append("MaxClients 100\n");
            sb.Append("LogLevel Info\n");
            sb.Append($"PidFile \"{Path.Combine(dir, "tinyproxy.pid")}\"\n");
            sb.Append("Allow 127.0.0.1\n");
            sb.Append("DisableViaHeader Yes\n");
            if (withAuth) sb.Append($"BasicAuth {HttpUser} {HttpPassword}\n");
            File.WriteAllText(config, sb.ToString());
            // -d: stay in the foreground and log to stdout
            return Task.FromResult((config, tinyproxy, new[] { "-d", "-c", config }, "Accepting connections"));
        }, withAuth ? HttpUser : null, withAuth ? HttpPassword : null, null);
    }

    /// <summary>
    /// sshd on 127.0.0.1 with an ed25519 host key and one authorized ed25519 client key, both made
    /// in the temp dir; public key login only, for the current user (root: PermitRootLogin
    /// prohibit-password). Port forwarding is limited to 127.0.0.1 targets. Use
    /// <see cref="RunningServer.SshOptions"/> and <see cref="RunningServer.SshDestination"/>.
    /// </summary>
    public static async Task<RunningServer> StartSshdAsync()
    {
        string sshd = Require("sshd", "openssh-server");
        string keygen = Require("ssh-keygen", "openssh-client");
        Require("ssh", "openssh-client");
        string user = Environment.UserName;
        if (IsRoot) System.IO.Directory.CreateDirectory("/run/sshd"); // privilege separation dir, normally made by the init script
        return await StartAsync("sshd", async (dir, port) =>
        {
            string config = Path.Combine(dir, "sshd_config");
            string hostKey = Path.Combine(dir, "host_key"), clientKey = Path.Combine(dir, "client_key");
            if (!File.Exists(hostKey)) await KeyGenAsync(keygen, hostKey, "sharpcat-test-host");
            if (!File.Exists(clientKey)) await KeyGenAsync(keygen, clientKey, "sharpcat-test-client");
            File.Copy(clientKey + ".pub", Path.Combine(dir, "authorized_keys"), overwrite: true);
            string text =
                $"Port {port}\n" +
                "ListenAddress 127.0.0.1\n" +
                $"HostKey {hostKey}\n" +
                $"PidFile {Path.Combine(dir, "sshd.pid")}\n" +
                $"AuthorizedKeysFile {Path.Combine(dir, "authorized_keys")}\n" +
                "AuthenticationMethods publickey\n" +
                "PubkeyAuthentication yes\n" +
                "PasswordAuthentication no\n" +
                "KbdInteractiveAuthentication no\n" +
                "HostbasedAuthentication no\n" +
                "PermitRootLogin prohibit-password\n" +
                "UsePAM no\n" +
                "StrictModes no\n" +
                $"AllowUsers {user}\n" +
                "AllowTcpForwarding local\n" +
                "PermitOpen 127.0.0.1:*\n" +
                "X11Forwarding no\n" +
                "AllowAgentForwarding no\n" +
                "PermitTunnel no\n" +
                "PrintMotd no\n" +
                "LogLevel INFO\n";
            File.WriteAllText(config, text);
            // sshd must be run by absolute path (it re-executes itself); -D foreground, -e log to stderr
            return (config, sshd, new[] { "-D", "-e", "-f", config }, $"Server listening on 127.0.0.1 port {port}");
        }, user, null, dir => Path.Combine(dir, "client_key"));
    }

    private delegate Task<(string Config, string Program, string[] Args, string ReadyText)> Setup(string dir, int port);

    private static async Task<RunningServer> StartAsync(string name, Setup setup, string? user, string? password, Func<string, string>? clientKey)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory($"sharpcat-{name}-").FullName;
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                int port = FreePorts.Next();
                var (config, program, args, readyText) = await setup(dir, port);
                var psi = new ProcessStartInfo(program)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    WorkingDirectory = dir,
                };
                foreach (string a in args) psi.ArgumentList.Add(a);
                var log = new StringBuilder();
                var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
                var pumps = Task.WhenAll(Pump(process.StandardOutput, log), Pump(process.StandardError, log));
                var server = new RunningServer(name, process, log, pumps, dir, config, port, user, password, clientKey?.Invoke(dir));
                string? failure = await WaitReadyAsync(server, readyText);
                if (failure is null) return server;
                string text = server.Log;
                KillOnly(process);
                bool portTaken = text.Contains("in use", StringComparison.OrdinalIgnoreCase);
                if (portTaken && attempt < 3) continue;
                throw new InvalidOperationException($"{name} ({program} {string.Join(' ', args)}) did not become ready: {failure}\nconfig {config}:\n{File.ReadAllText(config)}\nlog:\n{text}");
            }
        }
        catch
        {
            try { System.IO.Directory.Delete(dir, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Null when ready; otherwise why not.</summary>
    private static async Task<string?> WaitReadyAsync(RunningServer server, string readyText)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < ReadyBound)
        {
            if (server.HasExited)
            {
                await Task.Delay(50); // let the pumps take the last lines (bounded: the loop ends now)
                return "it exited";
            }
            if (server.Log.Contains(readyText, StringComparison.Ordinal) && await CanConnectAsync(server.Port)) return null;
            await Task.Delay(20);
        }
        return $"no \"{readyText}\" in its log and a TCP connect to 127.0.0.1:{server.Port} within {ReadyBound.TotalSeconds} s";
    }

    private static async Task<bool> CanConnectAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return true;
        }
        catch (SocketException) { return false; }
        catch (OperationCanceledException) { return false; }
    }

    private static void KillOnly(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    private static async Task Pump(StreamReader from, StringBuilder to)
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
            lock (to) to.Append(buffer, 0, n);
    }

    private static string Require(string program, string package) =>
        FindProgram(program) ?? throw new InvalidOperationException(
            $"{program} is not installed: apt-get install -y {package} (and stop the service it starts), or run ./test.sh as root");

    /// <summary>PATH, then the sbin directories (not on a normal user's PATH). Not Binaries.FindOnPath: its class needs the built sharpcat.</summary>
    private static string? FindProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static async Task KeyGenAsync(string keygen, string path, string comment)
    {
        var r = await Run.ProgramAsync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], stdin: [], TimeSpan.FromSeconds(30));
        if (r.ExitCode != 0) throw new InvalidOperationException($"ssh-keygen for {path} failed: {r}");
    }

    /// <summary>Creates the system user sharpcat-proxy (no home, nologin shell) if missing and sets its password; once per test run.</summary>
    private static async Task EnsureSocksUserAsync()
    {
        await UserLock.WaitAsync();
        try
        {
            if (_userReady) return;
            bool exists = File.ReadLines("/etc/passwd").Any(l => l.StartsWith(SocksUser + ":", StringComparison.Ordinal));
            if (!exists)
            {
                string useradd = FindProgram("useradd") ?? throw new InvalidOperationException("useradd is missing (package passwd)");
                var r = await Run.ProgramAsync(useradd, ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SocksUser],
                    stdin: [], TimeSpan.FromSeconds(30));
                if (r.ExitCode != 0 && r.ExitCode != 9) throw new InvalidOperationException($"useradd {SocksUser} failed: {r}"); // 9: exists already
            }
            string chpasswd = FindProgram("chpasswd") ?? throw new InvalidOperationException("chpasswd is missing (package passwd)");
            var c = await Run.ProgramAsync(chpasswd, [], Encoding.ASCII.GetBytes($"{SocksUser}:{SocksPassword}\n"), TimeSpan.FromSeconds(30));
            if (c.ExitCode != 0) throw new InvalidOperationException($"chpasswd for {SocksUser} failed: {c}");
            _userReady = true;
        }
        finally
        {
            UserLock.Release();
        }
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
