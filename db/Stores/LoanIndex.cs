using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>One loan as the sweep and reconciliation see it. Outstanding principal in yuan.</summary>
public sealed record IndexedLoan(
    string Id,
    string BorrowerId,
    string FunderId,
    string? OrderId,
    string Status,
    DateOnly DueDate,
    decimal Outstanding,
    long Version,
    int Unacknowledged,
    string? GroupId = null,
    string? PoolId = null,
    string? CreditLineId = null);

/// <summary>Read model of loans, written by each loan grain after its stored changes, fenced by the loan's version.</summary>
public interface ILoanIndex
{
    Task UpsertAsync(IndexedLoan loan);

    /// <summary>Loans that may have something due by <paramref name="today"/> (a superset is fine: each loan decides exactly).</summary>
    Task<IReadOnlyList<string>> DueLoansAsync(DateOnly today, int defaultAfterDays, int limit);

    /// <summary>Loans that reported unacknowledged exposure events more than <paramref name="olderThan"/> ago.</summary>
    Task<IReadOnlyList<string>> UnacknowledgedLoansAsync(TimeSpan olderThan, int limit);

    /// <summary>Loans whose stored state is ahead of their row (a process died between the two writes).</summary>
    Task<IReadOnlyList<string>> LaggingLoansAsync(int limit);

    /// <summary>Loan ids in id order after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<string>> LoansAsync(string? after, int limit);

    /// <summary>The loans of these borrowers that are still owed (active or overdue), in id order.</summary>
    Task<IReadOnlyList<IndexedLoan>> LiveLoansOfAsync(IReadOnlyCollection<string> borrowerIds);

    /// <summary>The loans of one group, or enrolled in one pool, or (neither given) every loan in a group, a pool or on a credit line, in id order.</summary>
    Task<IReadOnlyList<IndexedLoan>> BookLoansAsync(string? groupId = null, string? poolId = null);
}

public sealed class PostgresLoanIndex(NpgsqlDataSource dataSource) : ILoanIndex
{
    public async Task UpsertAsync(IndexedLoan loan)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO loans AS l (loan_id, borrower_id, funder_id, order_id, status, due_date, outstanding, version, unacked, projected_at, group_id, pool_id,
                                    credit_line_id)
            VALUES (@Id, @BorrowerId, @FunderId, @OrderId, @Status, @Due::date, @Outstanding, @Version, @Unacknowledged, now(), @GroupId, @PoolId, @CreditLineId)
            ON CONFLICT (loan_id) DO UPDATE SET
                funder_id = EXCLUDED.funder_id, status = EXCLUDED.status, due_date = EXCLUDED.due_date, outstanding = EXCLUDED.outstanding,
                version = EXCLUDED.version, unacked = EXCLUDED.unacked, projected_at = now(),
                group_id = EXCLUDED.group_id, pool_id = EXCLUDED.pool_id, credit_line_id = EXCLUDED.credit_line_id
            WHERE l.version <= EXCLUDED.version
            """,
            new
            {
                loan.Id, loan.BorrowerId, loan.FunderId, loan.OrderId, loan.Status,
                // Dapper has no DateOnly parameters: a midnight DateTime, cast to date in SQL.
                Due = loan.DueDate.ToDateTime(TimeOnly.MinValue), loan.Outstanding, loan.Version, loan.Unacknowledged, loan.GroupId, loan.PoolId,
                loan.CreditLineId,
            });
    }

    private const string Columns =
        "loan_id, borrower_id, funder_id, order_id, status, due_date, outstanding, version, unacked, group_id, pool_id, credit_line_id";

    private static IndexedLoan Read(dynamic r) =>
        new((string)r.loan_id, (string)r.borrower_id, (string)r.funder_id, (string?)r.order_id, (string)r.status,
            (DateOnly)r.due_date, (decimal)r.outstanding, (long)r.version, (int)r.unacked, (string?)r.group_id, (string?)r.pool_id,
            (string?)r.credit_line_id);

    public async Task<IReadOnlyList<IndexedLoan>> LiveLoansOfAsync(IReadOnlyCollection<string> borrowerIds)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync(
            $"SELECT {Columns} FROM loans WHERE borrower_id = ANY(@ids) AND status IN ('active', 'overdue') ORDER BY loan_id",
            new { ids = borrowerIds.ToArray() });
        return rows.Select(r => (IndexedLoan)Read(r)).ToList();
    }

    public async Task<IReadOnlyList<IndexedLoan>> BookLoansAsync(string? groupId = null, string? poolId = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync(
            $"""
            SELECT {Columns} FROM loans
            WHERE (group_id IS NOT NULL OR pool_id IS NOT NULL OR credit_line_id IS NOT NULL)
              AND (@groupId::text IS NULL OR group_id = @groupId) AND (@poolId::text IS NULL OR pool_id = @poolId)
            ORDER BY loan_id
            """,
            new { groupId, poolId });
        return rows.Select(r => (IndexedLoan)Read(r)).ToList();
    }

    public async Task<IReadOnlyList<string>> DueLoansAsync(DateOnly today, int defaultAfterDays, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var ids = await connection.QueryAsync<string>(
            """
            SELECT loan_id FROM loans
            WHERE (status = 'active' AND due_date < @today::date)
               OR (status = 'overdue' AND due_date + @defaultAfterDays <= @today::date)
            LIMIT @limit
            """,
            new { today = today.ToDateTime(TimeOnly.MinValue), defaultAfterDays, limit });
        return ids.ToList();
    }

    public async Task<IReadOnlyList<string>> UnacknowledgedLoansAsync(TimeSpan olderThan, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var ids = await connection.QueryAsync<string>(
            "SELECT loan_id FROM loans WHERE unacked > 0 AND projected_at < now() - @olderThan LIMIT @limit", new { olderThan, limit });
        return ids.ToList();
    }

    public async Task<IReadOnlyList<string>> LaggingLoansAsync(int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var ids = await connection.QueryAsync<string>(
            """
            SELECT s.grainidextensionstring
            FROM orleansstorage s
            LEFT JOIN loans l ON l.loan_id = s.grainidextensionstring
            WHERE s.graintypestring = 'loan' AND s.version > COALESCE(l.version, 0)
            LIMIT @limit
            """,
            new { limit });
        return ids.ToList();
    }

    public async Task<IReadOnlyList<string>> LoansAsync(string? after, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var ids = await connection.QueryAsync<string>(
            "SELECT loan_id FROM loans WHERE (@after::text IS NULL OR loan_id > @after) ORDER BY loan_id LIMIT @limit", new { after, limit });
        return ids.ToList();
    }
}

public sealed class InMemoryLoanIndex : ILoanIndex
{
    private readonly SortedDictionary<string, IndexedLoan> _loans = new(StringComparer.Ordinal);

    public Task UpsertAsync(IndexedLoan loan)
    {
        lock (_loans)
            if (!_loans.TryGetValue(loan.Id, out var existing) || existing.Version <= loan.Version) _loans[loan.Id] = loan;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> DueLoansAsync(DateOnly today, int defaultAfterDays, int limit)
    {
        lock (_loans)
        {
            IReadOnlyList<string> ids = _loans.Values
                .Where(l => (l.Status == "active" && l.DueDate < today) || (l.Status == "overdue" && l.DueDate.AddDays(defaultAfterDays) <= today))
                .Select(l => l.Id).Take(limit).ToList();
            return Task.FromResult(ids);
        }
    }

    // In memory, events queued on a memory stream and the loans that keep them die together.
    public Task<IReadOnlyList<string>> UnacknowledgedLoansAsync(TimeSpan olderThan, int limit) => Task.FromResult<IReadOnlyList<string>>([]);

    // In memory, the read model dies with the loans it reflects.
    public Task<IReadOnlyList<string>> LaggingLoansAsync(int limit) => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<string>> LoansAsync(string? after, int limit)
    {
        lock (_loans)
        {
            IReadOnlyList<string> ids = _loans.Keys.Where(k => after is null || string.CompareOrdinal(k, after) > 0).Take(limit).ToList();
            return Task.FromResult(ids);
        }
    }

    public Task<IReadOnlyList<IndexedLoan>> LiveLoansOfAsync(IReadOnlyCollection<string> borrowerIds)
    {
        lock (_loans)
            return Task.FromResult<IReadOnlyList<IndexedLoan>>(_loans.Values
                .Where(l => borrowerIds.Contains(l.BorrowerId) && l.Status is "active" or "overdue").ToList());
    }

    public Task<IReadOnlyList<IndexedLoan>> BookLoansAsync(string? groupId = null, string? poolId = null)
    {
        lock (_loans)
            return Task.FromResult<IReadOnlyList<IndexedLoan>>(_loans.Values
                .Where(l => (l.GroupId is not null || l.PoolId is not null || l.CreditLineId is not null) && (groupId is null || l.GroupId == groupId) && (poolId is null || l.PoolId == poolId))
                .ToList());
    }
}
