using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SupplyChain.Db;
using SupplyChain.Db.Stores;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Grains;

/// <summary>
/// A funder's concentration check against real PostgreSQL: one alert per crossing above the threshold, re-armed when the
/// share falls back, and exactly one alert however many checks run at once (the usual check, which changes nothing, is
/// one round trip; the one that raises or re-arms takes the lock again in a transaction).
/// </summary>
public sealed class AlertStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new("alertstore");
    private NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
        await new MigrationRunner(_source, NullLogger<MigrationRunner>.Instance).RunAsync();
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        _db.Dispose();
    }

    private async Task Holds(string funderId, string obligorId, decimal amount)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO exposure_positions (obligor_id, holder_id, holder_role, status, tier, amount)
            VALUES (@obligorId, @funderId, 'funder', 'active', 1, @amount)
            ON CONFLICT (obligor_id, holder_id, holder_role, status, tier) DO UPDATE SET amount = EXCLUDED.amount
            """, new { obligorId, funderId, amount });
    }

    private async Task<List<(string Key, string Detail)>> Alerts(string funderId)
    {
        await using var connection = await _source.OpenConnectionAsync();
        return (await connection.QueryAsync<(string, string)>(
            "SELECT key, detail FROM alerts WHERE funder_id = @funderId ORDER BY id", new { funderId })).ToList();
    }

    private async Task<(bool Active, int Crossings)> State(string funderId)
    {
        await using var connection = await _source.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(bool, int)>(
            "SELECT active, crossings FROM alert_states WHERE key = @key", new { key = "concentration:" + funderId });
    }

    [Fact]
    public async Task One_alert_per_crossing_rearmed_when_the_share_falls_back()
    {
        var store = new PostgresAlertStore(_source);
        await store.CheckConcentrationAsync("bank", 0.25m, Now); // no positions yet
        Assert.Empty(await Alerts("bank"));
        Assert.Equal((false, 0), await State("bank"));

        await Holds("bank", "core-a", 100m);
        await Holds("bank", "core-b", 100m);
        await Holds("bank", "core-c", 100m);
        await Holds("bank", "core-d", 100m);
        await store.CheckConcentrationAsync("bank", 0.25m, Now); // 25 %: not above
        Assert.Empty(await Alerts("bank"));

        await Holds("bank", "core-b", 300m); // 50 %
        await store.CheckConcentrationAsync("bank", 0.25m, Now);
        await store.CheckConcentrationAsync("bank", 0.25m, Now);
        Assert.Equal([("concentration:bank:1", "50.0% of the funder's portfolio is on core-b (threshold 25.00%).")], await Alerts("bank"));
        Assert.Equal((true, 1), await State("bank"));

        await Holds("bank", "core-b", 100m); // back to 25 %: re-armed, nothing raised
        await store.CheckConcentrationAsync("bank", 0.25m, Now);
        Assert.Equal((false, 1), await State("bank"));
        Assert.Single(await Alerts("bank"));

        await Holds("bank", "core-a", 500m); // 62.5 % on core-a: a second crossing
        await store.CheckConcentrationAsync("bank", 0.25m, Now);
        Assert.Equal(["concentration:bank:1", "concentration:bank:2"], (await Alerts("bank")).Select(a => a.Key));
        Assert.Equal((true, 2), await State("bank"));
    }

    [Fact]
    public async Task Checks_queued_at_once_raise_one_alert()
    {
        var store = new PostgresAlertStore(_source);
        await store.CheckConcentrationAsync("fund", 0.25m, Now); // creates the funder's state
        await Holds("fund", "core-a", 900m);
        await Holds("fund", "core-b", 100m);

        // Hold the funder's state so that every check queues behind it, then let them all go at once.
        const int Checks = 16;
        await using (var holder = await _source.OpenConnectionAsync())
        {
            await using var tx = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("SELECT 1 FROM alert_states WHERE key = 'concentration:fund' FOR UPDATE", transaction: tx);
            var checks = Enumerable.Range(0, Checks).Select(_ => Task.Run(() => store.CheckConcentrationAsync("fund", 0.25m, Now))).ToList();
            await Eventually.True(async () =>
            {
                await using var watcher = await _source.OpenConnectionAsync();
                return await watcher.ExecuteScalarAsync<int>(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == Checks;
            }, TimeSpan.FromSeconds(30), "every check waiting for the funder's state");
            await tx.CommitAsync();
            await Task.WhenAll(checks);
        }
        Assert.Equal(["concentration:fund:1"], (await Alerts("fund")).Select(a => a.Key));
        Assert.Equal((true, 1), await State("fund"));
    }
}
