using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>One fragment as the list endpoint sees it. Amount in yuan.</summary>
public sealed record IndexedFragment(
    string Id,
    string RootId,
    string? ParentId,
    string ObligorId,
    string HolderId,
    string? SenderId,
    decimal Amount,
    DateOnly IssueDate,
    DateOnly MaturityDate,
    int Tier,
    string Status,
    string? OrderId);

public sealed record FragmentQuery(string? HolderId, string? ObligorId, string? Status, string? After, int Limit);

/// <summary>
/// Read model for listing fragments by holder or obligor. The voucher tree grain is the source of truth and
/// rewrites its fragments here after each stored change, fenced by its own version number.
/// </summary>
public interface IVoucherIndex
{
    /// <summary>
    /// Writes changed fragments and records that the read model reflects <paramref name="treeVersion"/> of the tree, and how
    /// many exposure events and notices the tree still had open (<paramref name="unacknowledgedEvents"/>).
    /// </summary>
    Task UpsertAsync(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents);

    /// <summary>
    /// The same as <see cref="UpsertAsync"/>, to be carried by the tree's next state write in its own statement (so the read
    /// model commits with the tree, in one round trip); null when this index cannot be written that way (then the tree
    /// calls <see cref="UpsertAsync"/> after its write).
    /// </summary>
    Alongside? UpsertAlongside(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents);

    /// <summary>Trees that reported unacknowledged exposure events more than <paramref name="olderThan"/> ago.</summary>
    Task<IReadOnlyList<string>> UnacknowledgedRootsAsync(TimeSpan olderThan, int limit);

    /// <summary>Root ids of all trees, in id order, after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<string>> RootsAsync(string? after, int limit);

    /// <summary>Trees whose stored state is ahead of what the read model reflects (a process died in between).</summary>
    Task<IReadOnlyList<string>> LaggingRootsAsync(int limit);

    Task<IReadOnlyList<IndexedFragment>> ListAsync(FragmentQuery query);

    /// <summary>
    /// Roots that may have something due by <paramref name="today"/>: live past maturity, overdue past the default
    /// day, or pending long enough to expire. A superset is fine: each tree decides exactly, idempotently.
    /// </summary>
    Task<IReadOnlyList<string>> DueRootsAsync(DateOnly today, int pendingExpiryDays, int defaultAfterDays, int limit);
}

public sealed class PostgresVoucherIndex(NpgsqlDataSource dataSource, GroupCommit commit) : IVoucherIndex
{
    public async Task<IReadOnlyList<string>> RootsAsync(string? after, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var roots = await connection.QueryAsync<string>(
            "SELECT root_id FROM voucher_trees WHERE (@after::text IS NULL OR root_id > @after) ORDER BY root_id LIMIT @limit",
            new { after, limit });
        return roots.ToList();
    }

    public async Task<IReadOnlyList<string>> UnacknowledgedRootsAsync(TimeSpan olderThan, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var roots = await connection.QueryAsync<string>(
            "SELECT root_id FROM voucher_trees WHERE unacked > 0 AND projected_at < now() - @olderThan LIMIT @limit",
            new { olderThan, limit });
        return roots.ToList();
    }

    public async Task<IReadOnlyList<string>> LaggingRootsAsync(int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var roots = await connection.QueryAsync<string>(
            """
            SELECT s.grainidextensionstring
            FROM orleansstorage s
            LEFT JOIN voucher_trees t ON t.root_id = s.grainidextensionstring
            WHERE s.graintypestring = 'voucher-tree' AND s.version > COALESCE(t.version, 0)
            LIMIT @limit
            """,
            new { limit });
        return roots.ToList();
    }

    public async Task<IReadOnlyList<string>> DueRootsAsync(DateOnly today, int pendingExpiryDays, int defaultAfterDays, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var roots = await connection.QueryAsync<string>(
            """
            SELECT DISTINCT root_id FROM voucher_fragments
            WHERE (status IN ('pending', 'active', 'financed') AND maturity_date < @today::date)
               OR (status = 'overdue' AND maturity_date + @defaultAfterDays <= @today::date)
               OR (status = 'pending' AND issue_date + @pendingExpiryDays <= @today::date)
            LIMIT @limit
            """,
            // Dapper has no DateOnly parameters: a midnight DateTime, cast to date in SQL.
            new { today = today.ToDateTime(TimeOnly.MinValue), pendingExpiryDays, defaultAfterDays, limit });
        return roots.ToList();
    }

    /// <summary>One unit of the group committer: the tree's row and its changed fragments commit together, fenced by version.</summary>
    public Task UpsertAsync(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents)
    {
        var upsert = Upsert(rootId, fragments, treeVersion, unacknowledgedEvents, gate: "");
        return commit.ExecuteAsync(new Statement($"WITH {upsert.Ctes} SELECT 1", upsert.Parameters));
    }

    public Alongside? UpsertAlongside(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents) =>
        Upsert(rootId, fragments, treeVersion, unacknowledgedEvents, gate: "WHERE EXISTS (SELECT 1 FROM w)");

    /// <summary>
    /// The tree's row and its changed fragments as two expressions, each applied only when <paramref name="gate"/> holds.
    /// The tree's version fences the rows: an older version never overwrites a newer one.
    /// </summary>
    private static Alongside Upsert(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents, string gate) =>
        new($"""
            vt_tree AS (
                INSERT INTO voucher_trees AS t (root_id, version, unacked, projected_at)
                SELECT @vtRootId, @vtVersion, @vtUnacked, now() {gate}
                ON CONFLICT (root_id) DO UPDATE SET
                    version = GREATEST(t.version, EXCLUDED.version),
                    unacked = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.unacked ELSE t.unacked END,
                    projected_at = now()
                RETURNING 1),
            vt_fragments AS (
                INSERT INTO voucher_fragments AS f
                    (id, root_id, parent_id, obligor_id, holder_id, sender_id, amount, issue_date, maturity_date, tier, status, order_id, tree_version)
                SELECT u.id, u.root_id, u.parent_id, u.obligor_id, u.holder_id, u.sender_id, u.amount, u.issue_date, u.maturity_date,
                       u.tier, u.status, u.order_id, @vtVersion
                FROM unnest(@vtIds, @vtRoots, @vtParents, @vtObligors, @vtHolders, @vtSenders, @vtAmounts, @vtIssueDates, @vtMaturities,
                            @vtTiers, @vtStatuses, @vtOrders)
                     AS u(id, root_id, parent_id, obligor_id, holder_id, sender_id, amount, issue_date, maturity_date, tier, status, order_id)
                {gate}
                ON CONFLICT (id) DO UPDATE SET
                    holder_id = EXCLUDED.holder_id, sender_id = EXCLUDED.sender_id, amount = EXCLUDED.amount,
                    tier = EXCLUDED.tier, status = EXCLUDED.status, tree_version = EXCLUDED.tree_version
                WHERE f.tree_version < EXCLUDED.tree_version
                RETURNING 1)
            """,
            ("vtRootId", rootId),
            ("vtVersion", treeVersion),
            ("vtUnacked", unacknowledgedEvents),
            ("vtIds", fragments.Select(f => f.Id).ToArray()),
            ("vtRoots", fragments.Select(f => f.RootId).ToArray()),
            ("vtParents", fragments.Select(f => f.ParentId).ToArray()),
            ("vtObligors", fragments.Select(f => f.ObligorId).ToArray()),
            ("vtHolders", fragments.Select(f => f.HolderId).ToArray()),
            ("vtSenders", fragments.Select(f => f.SenderId).ToArray()),
            ("vtAmounts", fragments.Select(f => f.Amount).ToArray()),
            ("vtIssueDates", fragments.Select(f => f.IssueDate).ToArray()),
            ("vtMaturities", fragments.Select(f => f.MaturityDate).ToArray()),
            ("vtTiers", fragments.Select(f => f.Tier).ToArray()),
            ("vtStatuses", fragments.Select(f => f.Status).ToArray()),
            ("vtOrders", fragments.Select(f => f.OrderId).ToArray()));

    public async Task<IReadOnlyList<IndexedFragment>> ListAsync(FragmentQuery query)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<IndexedFragment>(
            $"""
            SELECT id AS {nameof(IndexedFragment.Id)}, root_id AS {nameof(IndexedFragment.RootId)},
                   parent_id AS {nameof(IndexedFragment.ParentId)}, obligor_id AS {nameof(IndexedFragment.ObligorId)},
                   holder_id AS {nameof(IndexedFragment.HolderId)}, sender_id AS {nameof(IndexedFragment.SenderId)},
                   amount AS {nameof(IndexedFragment.Amount)}, issue_date AS {nameof(IndexedFragment.IssueDate)},
                   maturity_date AS {nameof(IndexedFragment.MaturityDate)}, tier AS {nameof(IndexedFragment.Tier)},
                   status AS {nameof(IndexedFragment.Status)}, order_id AS {nameof(IndexedFragment.OrderId)}
            FROM voucher_fragments
            WHERE (@HolderId::text IS NULL OR holder_id = @HolderId)
              AND (@ObligorId::text IS NULL OR obligor_id = @ObligorId)
              AND (@Status::text IS NULL OR status = @Status)
              AND (@After::text IS NULL OR id > @After)
            ORDER BY id
            LIMIT @Limit
            """,
            query);
        return rows.ToList();
    }
}

public sealed class InMemoryVoucherIndex : IVoucherIndex
{
    public Task<IReadOnlyList<string>> DueRootsAsync(DateOnly today, int pendingExpiryDays, int defaultAfterDays, int limit)
    {
        lock (_rows)
        {
            IReadOnlyList<string> roots = _rows.Values.Select(r => r.Fragment)
                .Where(f => IsDue(f.Status, f.MaturityDate, f.IssueDate, today, pendingExpiryDays, defaultAfterDays))
                .Select(f => f.RootId).Distinct().Take(limit).ToList();
            return Task.FromResult(roots);
        }
    }

    private static bool IsDue(string status, DateOnly maturity, DateOnly created, DateOnly today, int pendingDays, int defaultDays) =>
        (status is "pending" or "active" or "financed" && maturity < today)
        || (status == "overdue" && maturity.AddDays(defaultDays) <= today)
        || (status == "pending" && created.AddDays(pendingDays) <= today);

    private readonly SortedDictionary<string, (IndexedFragment Fragment, long Version)> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _trees = new();

    public Task<IReadOnlyList<string>> RootsAsync(string? after, int limit)
    {
        lock (_rows)
        {
            IReadOnlyList<string> roots = _trees.Keys.Where(r => after is null || string.CompareOrdinal(r, after) > 0)
                .Order(StringComparer.Ordinal).Take(limit).ToList();
            return Task.FromResult(roots);
        }
    }

    // In memory, the read model dies with the trees it reflects: nothing can lag behind a restart.
    public Task<IReadOnlyList<string>> LaggingRootsAsync(int limit) => Task.FromResult<IReadOnlyList<string>>([]);

    // In memory, events queued on a memory stream and the trees that keep them die together.
    public Task<IReadOnlyList<string>> UnacknowledgedRootsAsync(TimeSpan olderThan, int limit) => Task.FromResult<IReadOnlyList<string>>([]);

    public Alongside? UpsertAlongside(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents) => null;

    public Task UpsertAsync(string rootId, IReadOnlyCollection<IndexedFragment> fragments, long treeVersion, int unacknowledgedEvents)
    {
        lock (_rows)
        {
            _trees[rootId] = Math.Max(_trees.GetValueOrDefault(rootId), treeVersion);
            foreach (var f in fragments)
                if (!_rows.TryGetValue(f.Id, out var existing) || existing.Version < treeVersion)
                    _rows[f.Id] = (f, treeVersion);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IndexedFragment>> ListAsync(FragmentQuery query)
    {
        lock (_rows)
        {
            IReadOnlyList<IndexedFragment> items = _rows.Values.Select(r => r.Fragment)
                .Where(f => query.HolderId is null || f.HolderId == query.HolderId)
                .Where(f => query.ObligorId is null || f.ObligorId == query.ObligorId)
                .Where(f => query.Status is null || f.Status == query.Status)
                .Where(f => query.After is null || string.CompareOrdinal(f.Id, query.After) > 0)
                .Take(query.Limit)
                .ToList();
            return Task.FromResult(items);
        }
    }
}
