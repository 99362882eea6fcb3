using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>One side of an exposure event (amount in yuan).</summary>
public sealed record PositionRow(string HolderId, string HolderRole, string Status, int Tier, decimal Amount);

public sealed record ExposureRow(string Id, string RootId, string InstrumentId, string ObligorId, PositionRow? Before, PositionRow? After, DateTimeOffset At, string Kind);

/// <summary>An aggregate row: what a holder has outstanding on an obligor, by status and tier.</summary>
public sealed record ExposureBucket(string ObligorId, string HolderId, string HolderRole, string Status, int Tier, decimal Amount);

public interface IExposureStore
{
    /// <summary>Applies the events not applied before, in one transaction; returns how many were new.</summary>
    Task<int> ApplyAsync(IReadOnlyList<ExposureRow> events);

    /// <summary>Every non-zero bucket, optionally only those held by one holder.</summary>
    Task<IReadOnlyList<ExposureBucket>> BucketsAsync(string? obligorId = null, string? holderId = null);

    Task<IReadOnlyList<ExposureRow>> EventsAsync(string obligorId);
}

public sealed class PostgresExposureStore(NpgsqlDataSource dataSource) : IExposureStore
{
    public async Task<int> ApplyAsync(IReadOnlyList<ExposureRow> events)
    {
        if (events.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(
            """
            WITH incoming AS (
                SELECT * FROM unnest(@ids, @roots, @instruments, @obligors,
                                     @bHolders, @bRoles, @bStatuses, @bTiers, @bAmounts,
                                     @aHolders, @aRoles, @aStatuses, @aTiers, @aAmounts, @ats, @kinds)
                    AS e(id, root_id, instrument_id, obligor_id,
                         before_holder, before_role, before_status, before_tier, before_amount,
                         after_holder, after_role, after_status, after_tier, after_amount, occurred_at, kind)
            ),
            added AS (
                INSERT INTO exposure_events (id, root_id, instrument_id, obligor_id,
                    before_holder, before_role, before_status, before_tier, before_amount,
                    after_holder, after_role, after_status, after_tier, after_amount, occurred_at, kind)
                SELECT DISTINCT ON (id) * FROM incoming
                ON CONFLICT (id) DO NOTHING
                RETURNING *
            ),
            deltas AS (
                SELECT obligor_id, before_holder AS holder_id, before_role AS holder_role, before_status AS status,
                       before_tier AS tier, -before_amount AS amount
                FROM added WHERE before_holder IS NOT NULL
                UNION ALL
                SELECT obligor_id, after_holder, after_role, after_status, after_tier, after_amount
                FROM added WHERE after_holder IS NOT NULL
            ),
            applied AS (
                INSERT INTO exposure_positions AS p (obligor_id, holder_id, holder_role, status, tier, amount)
                SELECT obligor_id, holder_id, holder_role, status, tier, sum(amount)
                FROM deltas
                GROUP BY obligor_id, holder_id, holder_role, status, tier
                ORDER BY obligor_id, holder_id, holder_role, status, tier
                ON CONFLICT (obligor_id, holder_id, holder_role, status, tier)
                DO UPDATE SET amount = p.amount + EXCLUDED.amount
            )
            SELECT count(*)::int FROM added
            """,
            new
            {
                ids = events.Select(e => e.Id).ToArray(),
                roots = events.Select(e => e.RootId).ToArray(),
                instruments = events.Select(e => e.InstrumentId).ToArray(),
                obligors = events.Select(e => e.ObligorId).ToArray(),
                bHolders = events.Select(e => e.Before?.HolderId).ToArray(),
                bRoles = events.Select(e => e.Before?.HolderRole).ToArray(),
                bStatuses = events.Select(e => e.Before?.Status).ToArray(),
                bTiers = events.Select(e => e.Before?.Tier).ToArray(),
                bAmounts = events.Select(e => e.Before?.Amount).ToArray(),
                aHolders = events.Select(e => e.After?.HolderId).ToArray(),
                aRoles = events.Select(e => e.After?.HolderRole).ToArray(),
                aStatuses = events.Select(e => e.After?.Status).ToArray(),
                aTiers = events.Select(e => e.After?.Tier).ToArray(),
                aAmounts = events.Select(e => e.After?.Amount).ToArray(),
                ats = events.Select(e => e.At).ToArray(),
                kinds = events.Select(e => e.Kind).ToArray(),
            });
    }

    public async Task<IReadOnlyList<ExposureBucket>> BucketsAsync(string? obligorId = null, string? holderId = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<ExposureBucket>(
            $"""
            SELECT obligor_id AS {nameof(ExposureBucket.ObligorId)}, holder_id AS {nameof(ExposureBucket.HolderId)},
                   holder_role AS {nameof(ExposureBucket.HolderRole)}, status AS {nameof(ExposureBucket.Status)},
                   tier AS {nameof(ExposureBucket.Tier)}, amount AS {nameof(ExposureBucket.Amount)}
            FROM exposure_positions
            WHERE amount <> 0
              AND (@obligorId::text IS NULL OR obligor_id = @obligorId)
              AND (@holderId::text IS NULL OR holder_id = @holderId)
            ORDER BY obligor_id, holder_id, holder_role, status, tier
            """,
            new { obligorId, holderId });
        return rows.ToList();
    }

    public async Task<IReadOnlyList<ExposureRow>> EventsAsync(string obligorId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync(
            "SELECT * FROM exposure_events WHERE obligor_id = @obligorId ORDER BY occurred_at, id", new { obligorId });
        return rows.Select(r => new ExposureRow((string)r.id, (string)r.root_id, (string)r.instrument_id, (string)r.obligor_id,
            r.before_holder is null ? null : new PositionRow((string)r.before_holder, (string)r.before_role, (string)r.before_status, (int)r.before_tier, (decimal)r.before_amount),
            r.after_holder is null ? null : new PositionRow((string)r.after_holder, (string)r.after_role, (string)r.after_status, (int)r.after_tier, (decimal)r.after_amount),
            new DateTimeOffset((DateTime)r.occurred_at, TimeSpan.Zero), (string)r.kind)).ToList();
    }
}

public sealed class InMemoryExposureStore : IExposureStore
{
    private readonly Dictionary<string, ExposureRow> _events = new();
    private readonly Dictionary<(string, string, string, string, int), decimal> _buckets = new();

    public Task<int> ApplyAsync(IReadOnlyList<ExposureRow> events)
    {
        lock (_events)
        {
            var added = 0;
            foreach (var e in events)
            {
                if (!_events.TryAdd(e.Id, e)) continue;
                added++;
                if (e.Before is { } b) Add(e.ObligorId, b, -b.Amount);
                if (e.After is { } a) Add(e.ObligorId, a, a.Amount);
            }
            return Task.FromResult(added);
        }
    }

    public Task<IReadOnlyList<ExposureBucket>> BucketsAsync(string? obligorId = null, string? holderId = null)
    {
        lock (_events)
        {
            IReadOnlyList<ExposureBucket> rows = _buckets
                .Where(b => b.Value != 0 && (obligorId is null || b.Key.Item1 == obligorId) && (holderId is null || b.Key.Item2 == holderId))
                .Select(b => new ExposureBucket(b.Key.Item1, b.Key.Item2, b.Key.Item3, b.Key.Item4, b.Key.Item5, b.Value))
                .OrderBy(b => b.ObligorId, StringComparer.Ordinal).ThenBy(b => b.HolderId, StringComparer.Ordinal)
                .ThenBy(b => b.HolderRole, StringComparer.Ordinal).ThenBy(b => b.Status, StringComparer.Ordinal).ThenBy(b => b.Tier)
                .ToList();
            return Task.FromResult(rows);
        }
    }

    public Task<IReadOnlyList<ExposureRow>> EventsAsync(string obligorId)
    {
        lock (_events)
        {
            IReadOnlyList<ExposureRow> rows = _events.Values.Where(e => e.ObligorId == obligorId).OrderBy(e => e.At).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
            return Task.FromResult(rows);
        }
    }

    private void Add(string obligorId, PositionRow p, decimal amount)
    {
        var key = (obligorId, p.HolderId, p.HolderRole, p.Status, p.Tier);
        _buckets[key] = _buckets.GetValueOrDefault(key) + amount;
    }
}
