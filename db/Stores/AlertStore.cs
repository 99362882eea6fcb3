using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

public sealed record AlertRow(long Id, string Key, string Kind, string SubjectId, string? FunderId, string? ObligorId, string Detail, DateTimeOffset RaisedAt);

public interface IAlertStore
{
    /// <summary>Raises the alert unless one with the same key exists.</summary>
    Task RaiseAsync(AlertRow alert);

    Task<IReadOnlyList<AlertRow>> ListAsync(long after, int limit, string? funderId);

    /// <summary>
    /// A funder's largest exposure to one obligor as a share of its portfolio, compared with the threshold:
    /// raises a "concentration" alert when it crosses above, and re-arms when it falls back.
    /// </summary>
    Task CheckConcentrationAsync(string funderId, decimal threshold, DateTimeOffset now);
}

public sealed class PostgresAlertStore(NpgsqlDataSource dataSource) : IAlertStore
{
    public async Task RaiseAsync(AlertRow alert)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO alerts (key, kind, subject_id, funder_id, obligor_id, detail, raised_at)
            VALUES (@Key, @Kind, @SubjectId, @FunderId, @ObligorId, @Detail, @RaisedAt)
            ON CONFLICT (key) DO NOTHING
            """, alert);
    }

    public async Task<IReadOnlyList<AlertRow>> ListAsync(long after, int limit, string? funderId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<Row>(
            $"""
            SELECT id AS {nameof(Row.Id)}, key AS {nameof(Row.Key)}, kind AS {nameof(Row.Kind)},
                   subject_id AS {nameof(Row.SubjectId)}, funder_id AS {nameof(Row.FunderId)},
                   obligor_id AS {nameof(Row.ObligorId)}, detail AS {nameof(Row.Detail)}, raised_at AS {nameof(Row.RaisedAt)}
            FROM alerts
            WHERE id > @after AND (@funderId::text IS NULL OR funder_id = @funderId)
            ORDER BY id
            LIMIT @limit
            """, new { after, limit, funderId });
        return rows.Select(r => new AlertRow(r.Id, r.Key, r.Kind, r.SubjectId, r.FunderId, r.ObligorId, r.Detail,
            new DateTimeOffset(DateTime.SpecifyKind(r.RaisedAt, DateTimeKind.Utc)))).ToList();
    }

    // Npgsql reads timestamptz as a UTC DateTime.
    private sealed record Row(long Id, string Key, string Kind, string SubjectId, string? FunderId, string? ObligorId, string Detail, DateTime RaisedAt);

    private const string LockState = "SELECT active, crossings FROM alert_states WHERE key = @key FOR UPDATE";

    private const string LargestSql =
        """
        SELECT obligor_id, sum(amount), sum(sum(amount)) OVER ()
        FROM exposure_positions WHERE holder_id = $1 AND holder_role = 'funder'
        GROUP BY obligor_id
        ORDER BY 2 DESC, 1
        LIMIT 1
        """;

    /// <summary>
    /// Checks of one funder, made by several obligors' risk grains at once, are serialised by a lock on the funder's
    /// alert state, and each reads the positions only once it holds the lock (so it sees what every check before it
    /// saw). Usually nothing changes: that check is one round trip, the seed, the lock and the read sent together and
    /// the lock released when they end, so the lock is held only inside the server. Only when the alert must be raised
    /// or re-armed does a transaction take the lock again, read again, and write.
    /// </summary>
    public async Task CheckConcentrationAsync(string funderId, decimal threshold, DateTimeOffset now)
    {
        var key = "concentration:" + funderId;
        await using var connection = await dataSource.OpenConnectionAsync();
        var seen = await ReadLocked(connection, key, funderId);
        if (seen.Share(threshold).Above == seen.Active) return;

        await using var tx = await connection.BeginTransactionAsync();
        var state = await connection.QuerySingleAsync<(bool Active, int Crossings)>(LockState, new { key }, tx);
        await using var read = new NpgsqlCommand(LargestSql, connection, tx) { Parameters = { new() { Value = funderId } } };
        await using var reader = await read.ExecuteReaderAsync();
        var largest = await reader.ReadAsync() ? Largest(state.Active, reader) : new Locked(state.Active, null, 0m, 0m);
        await reader.DisposeAsync();
        var (share, above) = largest.Share(threshold);
        if (above && !state.Active)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO alerts (key, kind, subject_id, funder_id, obligor_id, detail, raised_at)
                VALUES (@alertKey, 'concentration', @funderId, @funderId, @obligorId, @detail, @now)
                ON CONFLICT (key) DO NOTHING
                """,
                new
                {
                    alertKey = $"{key}:{state.Crossings + 1}", funderId, obligorId = largest.ObligorId, now,
                    detail = $"{decimal.Round(share * 100, 2)}% of the funder's portfolio is on {largest.ObligorId} (threshold {threshold * 100}%).",
                }, tx);
            await connection.ExecuteAsync("UPDATE alert_states SET active = true, crossings = crossings + 1 WHERE key = @key", new { key }, tx);
        }
        else if (!above && state.Active)
        {
            await connection.ExecuteAsync("UPDATE alert_states SET active = false WHERE key = @key", new { key }, tx);
        }
        await tx.CommitAsync();
    }

    private sealed record Locked(bool Active, string? ObligorId, decimal Amount, decimal Total)
    {
        public (decimal Share, bool Above) Share(decimal threshold)
        {
            var share = Total > 0 ? Amount / Total : 0m;
            return (share, share > threshold);
        }
    }

    /// <summary>The funder's alert state (created if new) and its largest obligor, read under the state's lock in one batch.</summary>
    private static async Task<Locked> ReadLocked(NpgsqlConnection connection, string key, string funderId)
    {
        // One implicit transaction: the lock is released when the batch ends. Each statement reads with its own snapshot,
        // so the positions are read after the lock is granted.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("INSERT INTO alert_states (key, active, crossings) VALUES ($1, false, 0) ON CONFLICT (key) DO NOTHING")
                    { Parameters = { new() { Value = key } } },
                new NpgsqlBatchCommand("SELECT active FROM alert_states WHERE key = $1 FOR UPDATE") { Parameters = { new() { Value = key } } },
                new NpgsqlBatchCommand(LargestSql) { Parameters = { new() { Value = funderId } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.ReadAsync();
        var active = reader.GetBoolean(0);
        await reader.NextResultAsync();
        return await reader.ReadAsync() ? Largest(active, reader) : new Locked(active, null, 0m, 0m);
    }

    private static Locked Largest(bool active, NpgsqlDataReader row) => new(active, row.GetString(0), row.GetDecimal(1), row.GetDecimal(2));
}

public sealed class InMemoryAlertStore(IExposureStore exposures) : IAlertStore
{
    private readonly List<AlertRow> _alerts = new();
    private readonly Dictionary<string, (bool Active, int Crossings)> _states = new();

    public Task RaiseAsync(AlertRow alert)
    {
        lock (_alerts)
        {
            if (_alerts.All(a => a.Key != alert.Key)) _alerts.Add(alert with { Id = _alerts.Count + 1 });
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AlertRow>> ListAsync(long after, int limit, string? funderId)
    {
        lock (_alerts)
        {
            IReadOnlyList<AlertRow> rows = _alerts.Where(a => a.Id > after && (funderId is null || a.FunderId == funderId)).Take(limit).ToList();
            return Task.FromResult(rows);
        }
    }

    public async Task CheckConcentrationAsync(string funderId, decimal threshold, DateTimeOffset now)
    {
        var byObligor = (await exposures.BucketsAsync(holderId: funderId)).Where(b => b.HolderRole == "funder")
            .GroupBy(b => b.ObligorId).Select(g => (Obligor: g.Key, Amount: g.Sum(b => b.Amount))).OrderByDescending(x => x.Amount).ToList();
        var total = byObligor.Sum(x => x.Amount);
        var share = total > 0 ? byObligor[0].Amount / total : 0m;
        var key = "concentration:" + funderId;
        lock (_alerts)
        {
            var state = _states.GetValueOrDefault(key);
            if (share > threshold && !state.Active)
            {
                _states[key] = (true, state.Crossings + 1);
                _alerts.Add(new AlertRow(_alerts.Count + 1, $"{key}:{state.Crossings + 1}", "concentration", funderId, funderId, byObligor[0].Obligor,
                    $"{decimal.Round(share * 100, 2)}% of the funder's portfolio is on {byObligor[0].Obligor} (threshold {threshold * 100}%).", now));
            }
            else if (share <= threshold && state.Active)
            {
                _states[key] = (false, state.Crossings);
            }
        }
    }
}
