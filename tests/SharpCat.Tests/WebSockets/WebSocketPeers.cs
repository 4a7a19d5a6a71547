using System.Security.Cryptography;
using SharpCat.Tests.Support;

namespace SharpCat.Tests.WebSockets;

/// <summary>
/// The independent WebSocket implementations the tests talk to, on loopback: Debian's
/// python3-websockets and node's <c>ws</c> (tests/node, installed there by test.sh with npm ci).
/// Each peer script prints "port N" when it serves and "close CODE REASON" at its end.
/// </summary>
public static class WebSocketPeers
{
    /// <summary>Debian's python, which has python3-websockets (a pyenv python on PATH may not).</summary>
    public const string Python = "/usr/bin/python3";

    public static string Folder => Path.Combine(Binaries.RepositoryRoot(), "tests", "node");

    /// <summary>The program and first arguments that run one peer ("python" or "node").</summary>
    public static (string Program, string[] Args) Command(string peer) => peer switch
    {
        "python" => (Python, [Path.Combine(Folder, "py_peer.py")]),
        "node" => (Binaries.FindOnPath("node") ?? throw new InvalidOperationException("node is not installed (test.sh installs nodejs)"),
            [Path.Combine(Folder, "node_peer.js")]),
        _ => throw new ArgumentException(peer),
    };

    /// <summary>Runs a peer to its end.</summary>
    public static Task<RunResult> RunAsync(string peer, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var (program, first) = Command(peer);
        return Run.ProgramAsync(program, [.. first, .. args], [], TimeSpan.FromSeconds(150), environment: environment);
    }

    /// <summary>Starts a serving peer and reads the port it listens on.</summary>
    public static async Task<(LiveProcess Process, int Port)> ServeAsync(string peer, params string[] args)
    {
        var (program, first) = Command(peer);
        var p = LiveProcess.Start(program, [.. first, .. args], environment: null);
        await p.WaitForStdoutAsync(o => System.Text.Encoding.ASCII.GetString(o).Contains('\n'));
        string line = System.Text.Encoding.ASCII.GetString(p.Stdout).Split('\n')[0];
        if (!line.StartsWith("port ")) throw new InvalidOperationException($"{peer} peer: {line}\n{p.StderrText}");
        return (p, int.Parse(line[5..]));
    }

    /// <summary>A file of random bytes, and its SHA-256.</summary>
    public static string RandomFile(TempDir dir, string name, int length)
    {
        string path = dir[name];
        var data = new byte[length];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }
}
