using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>A guarantee group as risk staff list it. Amounts in yuan; capUsed is what its members were called, in all.</summary>
public sealed record IndexedGroup(
    string Id,
    string FunderId,
    string Status,
    decimal GroupLimit,
    decimal Outstanding,
    decimal MemberCap,
    int Members,
    decimal CapUsed,
    long Version);

/// <summary>A risk pool as risk staff list it. Amounts in yuan.</summary>
public sealed record IndexedPool(
    string Id,
    string Name,
    string Status,
    decimal Balance,
    decimal Leverage,
    decimal CoverageRatio,
    decimal Floor,
    decimal Covered,
    decimal Capacity,
    long Version);

/// <summary>
/// Read models of guarantee groups and risk pools, written by each grain after its stored changes, fenced by the grain's
/// version; and what the stress test and reconciliation need of the loans that draw on them.
/// </summary>
public interface IGroupPoolIndex
{
    Task UpsertGroupAsync(IndexedGroup group);

    Task UpsertPoolAsync(IndexedPool pool);

    /// <summary>Groups, optionally only those of one funder, in id order.</summary>
    Task<IReadOnlyList<IndexedGroup>> GroupsAsync(string? funderId = null);

    Task<IReadOnlyList<IndexedPool>> PoolsAsync();

    /// <summary>Groups and pools whose stored state is ahead of their row (a process died between the two writes).</summary>
    Task<IReadOnlyList<(string Kind, string Id)>> LaggingAsync(int limit);
}

public sealed class PostgresGroupPoolIndex(NpgsqlDataSource dataSource) : IGroupPoolIndex
{
    public async Task UpsertGroupAsync(IndexedGroup group)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO guarantee_groups AS g (group_id, funder_id, status, group_limit, outstanding, member_cap, members, cap_used, version, projected_at)
            VALUES (@Id, @FunderId, @Status, @GroupLimit, @Outstanding, @MemberCap, @Members, @CapUsed, @Version, now())
            ON CONFLICT (group_id) DO UPDATE SET
                status = EXCLUDED.status, outstanding = EXCLUDED.outstanding, cap_used = EXCLUDED.cap_used,
                version = EXCLUDED.version, projected_at = now()
            WHERE g.version <= EXCLUDED.version
            """,
            group);
    }

    public async Task UpsertPoolAsync(IndexedPool pool)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO risk_pools AS p (pool_id, name, status, balance, leverage, coverage_ratio, floor, covered, capacity, version, projected_at)
            VALUES (@Id, @Name, @Status, @Balance, @Leverage, @CoverageRatio, @Floor, @Covered, @Capacity, @Version, now())
            ON CONFLICT (pool_id) DO UPDATE SET
                status = EXCLUDED.status, balance = EXCLUDED.balance, covered = EXCLUDED.covered, capacity = EXCLUDED.capacity, version = EXCLUDED.version,
                projected_at = now()
            WHERE p.version <= EXCLUDED.version
            """,
            pool);
    }

    public async Task<IReadOnlyList<IndexedGroup>> GroupsAsync(string? funderId = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<IndexedGroup>(
            $"""
            SELECT group_id AS {nameof(IndexedGroup.Id)}, funder_id AS {nameof(IndexedGroup.FunderId)}, status AS {nameof(IndexedGroup.Status)},
                   group_limit AS {nameof(IndexedGroup.GroupLimit)}, outstanding AS {nameof(IndexedGroup.Outstanding)},
                   member_cap AS {nameof(IndexedGroup.MemberCap)}, members AS {nameof(IndexedGroup.Members)},
                   cap_used AS {nameof(IndexedGroup.CapUsed)}, version AS {nameof(IndexedGroup.Version)}
            FROM guarantee_groups
            WHERE @funderId::text IS NULL OR funder_id = @funderId
            ORDER BY group_id
            """,
            new { funderId });
        return rows.ToList();
    }

    public async Task<IReadOnlyList<IndexedPool>> PoolsAsync()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<IndexedPool>(
            $"""
            SELECT pool_id AS {nameof(IndexedPool.Id)}, name AS {nameof(IndexedPool.Name)}, status AS {nameof(IndexedPool.Status)},
                   balance AS {nameof(IndexedPool.Balance)}, leverage AS {nameof(IndexedPool.Leverage)},
                   coverage_ratio AS {nameof(IndexedPool.CoverageRatio)}, floor AS {nameof(IndexedPool.Floor)},
                   covered AS {nameof(IndexedPool.Covered)}, capacity AS {nameof(IndexedPool.Capacity)},
                   version AS {nameof(IndexedPool.Version)}
            FROM risk_pools
            ORDER BY pool_id
            """);
        return rows.ToList();
    }

    public async Task<IReadOnlyList<(string Kind, string Id)>> LaggingAsync(int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string)>(
            """
            SELECT s.graintypestring, s.grainidextensionstring
            FROM orleansstorage s
            LEFT JOIN guarantee_groups g ON s.graintypestring = 'guarantee-group' AND g.group_id = s.grainidextensionstring
            LEFT JOIN risk_pools p ON s.graintypestring = 'risk-pool' AND p.pool_id = s.grainidextensionstring
            WHERE s.graintypestring IN ('guarantee-group', 'risk-pool')
              AND s.version > COALESCE(g.version, p.version, 0)
            LIMIT @limit
            """,
            new { limit });
        return rows.Select(r => (r.Item1 == "guarantee-group" ? "group" : "pool", r.Item2)).ToList();
    }
}

public sealed class InMemoryGroupPoolIndex : IGroupPoolIndex
{
    private readonly SortedDictionary<string, IndexedGroup> _groups = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, IndexedPool> _pools = new(StringComparer.Ordinal);

    public Task UpsertGroupAsync(IndexedGroup group)
    {
        lock (_groups)
            if (!_groups.TryGetValue(group.Id, out var existing) || existing.Version <= group.Version) _groups[group.Id] = group;
        return Task.CompletedTask;
    }

    public Task UpsertPoolAsync(IndexedPool pool)
    {
        lock (_pools)
            if (!_pools.TryGetValue(pool.Id, out var existing) || existing.Version <= pool.Version) _pools[pool.Id] = pool;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IndexedGroup>> GroupsAsync(string? funderId = null)
    {
        lock (_groups)
            return Task.FromResult<IReadOnlyList<IndexedGroup>>(_groups.Values.Where(g => funderId is null || g.FunderId == funderId).ToList());
    }

    public Task<IReadOnlyList<IndexedPool>> PoolsAsync()
    {
        lock (_pools)
            return Task.FromResult<IReadOnlyList<IndexedPool>>(_pools.Values.ToList());
    }

    // In memory, the read model dies with the grains it reflects.
    public Task<IReadOnlyList<(string Kind, string Id)>> LaggingAsync(int limit) => Task.FromResult<IReadOnlyList<(string, string)>>([]);
}
