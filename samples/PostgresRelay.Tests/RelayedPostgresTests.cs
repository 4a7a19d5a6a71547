using System.Diagnostics;
using Npgsql;
using SharpCat;

namespace PostgresRelay.Tests;

public class RelayedPostgresTests(RelayedPostgres postgres) : IClassFixture<RelayedPostgres>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task QueriesGoThroughTheRelayAndItsRecordSaysWhatMoved()
    {
        // Records of an earlier test's connections come in when their server side has closed.
        await WaitUntilAsync(() => postgres.Relay.Statistics.ConnectionsOpen == 0, "earlier connections to end");
        int before = postgres.Closed.Count;
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text)", connection))
                await create.ExecuteNonQueryAsync();
            await using (var insert = new NpgsqlCommand("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING", connection))
                await insert.ExecuteNonQueryAsync();
            await using var count = new NpgsqlCommand("SELECT count(*), max(name) FROM items", connection);
            await using var reader = await count.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1000, reader.GetInt64(0));
            Assert.Equal("item 999", reader.GetString(1));
        }
        var record = await NextRecordAsync(before);
        Assert.True(record.LeftToRight.Bytes > 100, $"{record.LeftToRight.Bytes} bytes to the server");
        Assert.True(record.RightToLeft.Bytes > 100, $"{record.RightToLeft.Bytes} bytes from the server");
        Assert.Equal(DirectionEnd.EndOfFile, record.LeftToRight.End);
    }

    [Fact]
    public async Task ConnectionsAtOnceEachGetTheirOwnRelay()
    {
        long before = postgres.Relay.Statistics.ConnectionsTotal;
        var sessions = Enumerable.Range(1, 8).Select(async i =>
        {
            await using var connection = new NpgsqlConnection(postgres.ConnectionString);
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT @i * 2", connection);
            query.Parameters.AddWithValue("i", i);
            return (int)(await query.ExecuteScalarAsync())!;
        });
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 2), await Task.WhenAll(sessions).WaitAsync(Bound));
        Assert.True(postgres.Relay.Statistics.ConnectionsTotal >= before + 8);
    }

    private async Task<RelayConnectionClosed> NextRecordAsync(int seen)
    {
        // The relay's record comes when the server has closed its side too.
        await WaitUntilAsync(() => postgres.Closed.Count > seen, "the relay to report the closed connection");
        return postgres.Closed.ElementAt(seen);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Bound, $"waited {Bound.TotalSeconds} s for {what}");
            await Task.Delay(20);
        }
    }
}
