using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>A credit line as risk staff list it. Amounts in yuan.</summary>
public sealed record IndexedCreditLine(
    string Id,
    string SupplierId,
    string FunderId,
    decimal Limit,
    decimal Used,
    decimal AnnualRate,
    string Grade,
    DateOnly ExpiresOn,
    string Status);

/// <summary>An early-warning signal as stored for the list; <see cref="Seq"/> moves on every change (raised, cleared), so a cursor sees both.</summary>
public sealed record SignalRow(
    long Seq,
    string Id,
    string ObligorId,
    string Kind,
    IReadOnlyDictionary<string, string> Evidence,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ClearedAt);

/// <summary>What a supplier's credit grain projects after each write, fenced by its stored version.</summary>
public sealed record CreditProjection(
    string SupplierId,
    int Score,
    string Grade,
    int OpenSignals,
    DateOnly EvaluatedOn,
    long Version,
    /// <summary>Cores to record in <c>credit_relations</c> (new ones: a row, once written, stays).</summary>
    IReadOnlyList<string> CoreIds,
    IReadOnlyList<IndexedCreditLine> Lines,
    IReadOnlyList<SignalRow> Signals);

/// <summary>
/// Read models of the credit grains: profiles, lines, signals, and which suppliers sell to which core. The grains are the
/// truth; each rewrites its rows after its writes.
/// </summary>
public interface ICreditIndex
{
    /// <summary>Writes the rows unless a newer version is there already; says whether it wrote.</summary>
    Task<bool> ProjectAsync(CreditProjection projection);

    /// <summary>The grain version a supplier's profile row reflects, or -1 without a row: an activation projects only when it lags.</summary>
    Task<long> ProjectedVersionAsync(string supplierId);

    /// <summary>Signals changed after the cursor, in the order of their changes; with a funder, only on suppliers it has a line on.</summary>
    Task<IReadOnlyList<SignalRow>> SignalsAsync(long after, int limit, string? funderId);

    /// <summary>Credit lines as projected, optionally only one funder's, in id order.</summary>
    Task<IReadOnlyList<IndexedCreditLine>> LinesAsync(string? funderId);

    /// <summary>The suppliers that received a core's credit or orders: whom a change in its standing concerns.</summary>
    Task<IReadOnlyList<string>> SuppliersOfAsync(string coreId);

    /// <summary>Suppliers whose profile was last evaluated before <paramref name="today"/>: the daily look at what depends on the date.</summary>
    Task<IReadOnlyList<string>> DueForEvaluationAsync(DateOnly today, int limit);

}

public sealed class PostgresCreditIndex(NpgsqlDataSource dataSource) : ICreditIndex
{
    public async Task<bool> ProjectAsync(CreditProjection p)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var applied = await connection.ExecuteAsync(
            """
            INSERT INTO credit_profiles AS c (supplier_id, score, grade, open_signals, evaluated_on, version, projected_at)
            VALUES (@SupplierId, @Score, @Grade, @OpenSignals, @EvaluatedOn::date, @Version, now())
            ON CONFLICT (supplier_id) DO UPDATE SET
                score = EXCLUDED.score, grade = EXCLUDED.grade, open_signals = EXCLUDED.open_signals,
                evaluated_on = EXCLUDED.evaluated_on, version = EXCLUDED.version, projected_at = now()
            WHERE c.version <= EXCLUDED.version
            """,
            // Dapper has no DateOnly parameters: a midnight DateTime, cast to date in SQL.
            new { p.SupplierId, p.Score, p.Grade, p.OpenSignals, EvaluatedOn = p.EvaluatedOn.ToDateTime(TimeOnly.MinValue), p.Version }, tx);
        if (applied == 0)
        {
            await tx.RollbackAsync(); // a newer version is projected already
            return false;
        }
        foreach (var core in p.CoreIds)
            await connection.ExecuteAsync(
                "INSERT INTO credit_relations (core_id, supplier_id) VALUES (@core, @supplier) ON CONFLICT DO NOTHING",
                new { core, supplier = p.SupplierId }, tx);
        foreach (var l in p.Lines)
            await connection.ExecuteAsync(
                """
                INSERT INTO credit_lines AS l (line_id, supplier_id, funder_id, credit_limit, used, annual_rate, grade, expires_on, status)
                VALUES (@Id, @SupplierId, @FunderId, @Limit, @Used, @AnnualRate, @Grade, @ExpiresOn::date, @Status)
                ON CONFLICT (line_id) DO UPDATE SET credit_limit = EXCLUDED.credit_limit, used = EXCLUDED.used, annual_rate = EXCLUDED.annual_rate,
                    grade = EXCLUDED.grade, expires_on = EXCLUDED.expires_on, status = EXCLUDED.status
                """, new { l.Id, l.SupplierId, l.FunderId, l.Limit, l.Used, l.AnnualRate, l.Grade, ExpiresOn = l.ExpiresOn.ToDateTime(TimeOnly.MinValue), l.Status }, tx);
        foreach (var s in p.Signals)
            await connection.ExecuteAsync(
                """
                INSERT INTO credit_signals AS s (signal_id, obligor_id, kind, evidence, raised_at, cleared_at)
                VALUES (@Id, @ObligorId, @Kind, @Evidence::jsonb, @RaisedAt, @ClearedAt)
                ON CONFLICT (signal_id) DO UPDATE SET cleared_at = EXCLUDED.cleared_at, seq = nextval('credit_signals_seq')
                WHERE s.cleared_at IS DISTINCT FROM EXCLUDED.cleared_at
                """,
                new { s.Id, s.ObligorId, s.Kind, Evidence = JsonSerializer.Serialize(s.Evidence), s.RaisedAt, s.ClearedAt }, tx);
        await tx.CommitAsync();
        return true;
    }

    public async Task<long> ProjectedVersionAsync(string supplierId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long?>("SELECT version FROM credit_profiles WHERE supplier_id = @supplierId", new { supplierId }) ?? -1;
    }

    public async Task<IReadOnlyList<SignalRow>> SignalsAsync(long after, int limit, string? funderId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(long Seq, string Id, string ObligorId, string Kind, string Evidence, DateTime RaisedAt, DateTime? ClearedAt)>(
            """
            SELECT seq, signal_id, obligor_id, kind, evidence::text, raised_at, cleared_at FROM credit_signals s
            WHERE seq > @after
              AND (@funderId::text IS NULL OR EXISTS (SELECT 1 FROM credit_lines l WHERE l.supplier_id = s.obligor_id AND l.funder_id = @funderId))
            ORDER BY seq LIMIT @limit
            """, new { after, limit, funderId });
        return rows.Select(r => new SignalRow(r.Seq, r.Id, r.ObligorId, r.Kind,
            JsonSerializer.Deserialize<Dictionary<string, string>>(r.Evidence)!,
            new DateTimeOffset(DateTime.SpecifyKind(r.RaisedAt, DateTimeKind.Utc)),
            r.ClearedAt is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : null)).ToList();
    }

    public async Task<IReadOnlyList<IndexedCreditLine>> LinesAsync(string? funderId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync(
            """
            SELECT line_id, supplier_id, funder_id, credit_limit, used, annual_rate, grade, expires_on, status
            FROM credit_lines WHERE @funderId::text IS NULL OR funder_id = @funderId ORDER BY line_id
            """, new { funderId });
        return rows.Select(r => new IndexedCreditLine((string)r.line_id, (string)r.supplier_id, (string)r.funder_id, (decimal)r.credit_limit, (decimal)r.used,
            (decimal)r.annual_rate, (string)r.grade, (DateOnly)r.expires_on, (string)r.status)).ToList();
    }

    public async Task<IReadOnlyList<string>> SuppliersOfAsync(string coreId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("SELECT supplier_id FROM credit_relations WHERE core_id = @coreId", new { coreId })).ToList();
    }

    public async Task<IReadOnlyList<string>> DueForEvaluationAsync(DateOnly today, int limit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>(
            """
            SELECT supplier_id FROM credit_profiles WHERE evaluated_on < @today::date ORDER BY evaluated_on LIMIT @limit
            """, new { today = today.ToDateTime(TimeOnly.MinValue), limit })).ToList();
    }
}

public sealed class InMemoryCreditIndex : ICreditIndex
{
    private readonly object _gate = new();
    private readonly Dictionary<string, CreditProjection> _profiles = new();
    private readonly Dictionary<string, IndexedCreditLine> _lines = new();
    private readonly Dictionary<string, SignalRow> _signals = new();
    private readonly ConcurrentDictionary<(string Core, string Supplier), bool> _relations = new();
    private long _seq;

    public Task<bool> ProjectAsync(CreditProjection p)
    {
        lock (_gate)
        {
            if (_profiles.TryGetValue(p.SupplierId, out var known) && known.Version > p.Version) return Task.FromResult(false);
            _profiles[p.SupplierId] = p;
            foreach (var core in p.CoreIds) _relations[(core, p.SupplierId)] = true;
            foreach (var l in p.Lines) _lines[l.Id] = l;
            foreach (var s in p.Signals)
                if (!_signals.TryGetValue(s.Id, out var old) || old.ClearedAt != s.ClearedAt)
                    _signals[s.Id] = s with { Seq = ++_seq };
        }
        return Task.FromResult(true);
    }

    public Task<long> ProjectedVersionAsync(string supplierId)
    {
        lock (_gate) return Task.FromResult(_profiles.TryGetValue(supplierId, out var p) ? p.Version : -1);
    }

    public Task<IReadOnlyList<SignalRow>> SignalsAsync(long after, int limit, string? funderId)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<SignalRow>>(_signals.Values
                .Where(s => s.Seq > after && (funderId is null || _lines.Values.Any(l => l.SupplierId == s.ObligorId && l.FunderId == funderId)))
                .OrderBy(s => s.Seq).Take(limit).ToList());
    }

    public Task<IReadOnlyList<IndexedCreditLine>> LinesAsync(string? funderId)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<IndexedCreditLine>>(_lines.Values.Where(l => funderId is null || l.FunderId == funderId).OrderBy(l => l.Id, StringComparer.Ordinal).ToList());
    }

    public Task<IReadOnlyList<string>> SuppliersOfAsync(string coreId) =>
        Task.FromResult<IReadOnlyList<string>>(_relations.Keys.Where(k => k.Core == coreId).Select(k => k.Supplier).ToList());

    public Task<IReadOnlyList<string>> DueForEvaluationAsync(DateOnly today, int limit)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<string>>(_profiles.Values.Where(p => p.EvaluatedOn < today).Select(p => p.SupplierId).Take(limit).ToList());
    }
}
