using System.Collections.Concurrent;
using System.Net;
using Npgsql;
using SharpCat;

namespace PostgresRelay.Tests;

/// <summary>
/// The fixture a test suite would write: a real PostgreSQL, and a SharpCat relay in this process
/// that puts it on a TCP port of the system's choosing (TCP → the server's UNIX socket), with a
/// record of every connection that went through.
/// </summary>
public sealed class RelayedPostgres : IAsyncLifetime
{
    private PostgresServer? _server;

    public RelayHost Relay { get; private set; } = null!;

    public ConcurrentQueue<RelayConnectionClosed> Closed { get; } = new();

    /// <summary>Where the code under test connects: the relay's port.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        Relay = new RelayHost(
            Address.TcpListen(0).Bind("127.0.0.1").Fork(),
            Address.UnixConnect(_server.SocketPath));
        Relay.ConnectionClosed += (_, record) => Closed.Enqueue(record);
        await Relay.StartAsync();
        int port = ((IPEndPoint)Relay.LocalEndPoints[0]).Port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Pooling = false, Timeout = 10, CommandTimeout = 30,
        }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        await Relay.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }
}
