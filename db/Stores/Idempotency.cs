using Dapper;
using Npgsql;

namespace SupplyChain.Db.Stores;

/// <summary>A response kept for replay. <paramref name="Sealed"/>: <paramref name="Body"/> is encrypted (it carries a secret).</summary>
public sealed record StoredResponse(int StatusCode, string ContentType, string? Location, byte[] Body, bool Sealed = false);

public enum IdempotencyState
{
    /// <summary>This request owns the key now (first time, or a dead request's lease ran out).</summary>
    Started,
    /// <summary>A response is stored for the same request: replay it.</summary>
    Replay,
    /// <summary>The key was used with a different request.</summary>
    Mismatch,
    /// <summary>The first request with this key is still running.</summary>
    InFlight,
}

public sealed record IdempotencyBegin(IdempotencyState State, StoredResponse? Response = null);

/// <summary>
/// The records behind the Idempotency-Key contract. <c>key</c> is what the API layer gives: it keeps the client's
/// key out of the database by passing its hash (see the API's Idempotency filter).
/// </summary>
public interface IIdempotencyStore
{
    Task<IdempotencyBegin> BeginAsync(string principalId, string key, byte[] requestHash, DateTimeOffset now, TimeSpan lease);

    Task CompleteAsync(string principalId, string key, StoredResponse response, DateTimeOffset now);

    /// <summary>The request failed without a definite answer: free the key for a retry.</summary>
    Task AbandonAsync(string principalId, string key);

    /// <summary>Forgets records created before <paramref name="before"/> (the contract keeps them at least 24 hours).</summary>
    Task<int> PurgeAsync(DateTimeOffset before);
}

public sealed class PostgresIdempotencyStore(NpgsqlDataSource dataSource, GroupCommit commit) : IIdempotencyStore
{
    /// <summary>
    /// Claims the key in one group-committed statement (the usual case: a new key); only a key that was not claimed is
    /// read back, to replay, refuse or report it in flight.
    /// </summary>
    public async Task<IdempotencyBegin> BeginAsync(string principalId, string key, byte[] requestHash, DateTimeOffset now, TimeSpan lease)
    {
        var claimed = await commit.ExecuteAsync(new Statement(
            """
            INSERT INTO idempotency_records (principal_id, idem_key, request_hash, state, lease_until, created_at)
            VALUES (@principalId, @key, @requestHash, 'in_flight', @leaseUntil, @now)
            ON CONFLICT (principal_id, idem_key) DO UPDATE SET lease_until = EXCLUDED.lease_until
            WHERE idempotency_records.state = 'in_flight'
              AND idempotency_records.lease_until < @now
              AND idempotency_records.request_hash = EXCLUDED.request_hash
            RETURNING true
            """,
            ("principalId", principalId), ("key", key), ("requestHash", requestHash), ("leaseUntil", now + lease), ("now", now)));
        if (claimed[0].Rows.Count > 0) return new IdempotencyBegin(IdempotencyState.Started);

        await using var connection = await dataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<Row>(
            """
            SELECT request_hash AS RequestHash, state AS State, status_code AS StatusCode,
                   content_type AS ContentType, location AS Location, body AS Body, sealed AS Sealed
            FROM idempotency_records WHERE principal_id = @principalId AND idem_key = @key
            """,
            new { principalId, key });
        if (!row.RequestHash.AsSpan().SequenceEqual(requestHash)) return new IdempotencyBegin(IdempotencyState.Mismatch);
        if (row.State != "done") return new IdempotencyBegin(IdempotencyState.InFlight);
        return new IdempotencyBegin(IdempotencyState.Replay,
            new StoredResponse(row.StatusCode!.Value, row.ContentType!, row.Location, row.Body!, row.Sealed));
    }

    public Task CompleteAsync(string principalId, string key, StoredResponse response, DateTimeOffset now) =>
        commit.ExecuteAsync(new Statement(
            """
            UPDATE idempotency_records
            SET state = 'done', status_code = @statusCode, content_type = @contentType, location = @location,
                body = @body, sealed = @sealed, completed_at = @now
            WHERE principal_id = @principalId AND idem_key = @key AND state = 'in_flight'
            RETURNING 1
            """,
            ("principalId", principalId), ("key", key), ("statusCode", response.StatusCode), ("contentType", response.ContentType),
            ("location", response.Location), ("body", response.Body), ("sealed", response.Sealed), ("now", now)));

    public async Task AbandonAsync(string principalId, string key)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "DELETE FROM idempotency_records WHERE principal_id = @principalId AND idem_key = @key AND state = 'in_flight'",
            new { principalId, key });
    }

    public async Task<int> PurgeAsync(DateTimeOffset before)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteAsync(
            "DELETE FROM idempotency_records WHERE created_at < @before AND (state = 'done' OR lease_until < @before)", new { before });
    }

    private sealed record Row(byte[] RequestHash, string State, int? StatusCode, string? ContentType, string? Location, byte[]? Body, bool Sealed);
}

public sealed class InMemoryIdempotencyStore : IIdempotencyStore
{
    private readonly Dictionary<(string, string), Entry> _entries = new();

    public Task<IdempotencyBegin> BeginAsync(string principalId, string key, byte[] requestHash, DateTimeOffset now, TimeSpan lease)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue((principalId, key), out var entry)
                || (entry.Response is null && entry.LeaseUntil < now && entry.Hash.AsSpan().SequenceEqual(requestHash)))
            {
                _entries[(principalId, key)] = new Entry(requestHash, now + lease, null, now);
                return Task.FromResult(new IdempotencyBegin(IdempotencyState.Started));
            }
            if (!entry.Hash.AsSpan().SequenceEqual(requestHash)) return Task.FromResult(new IdempotencyBegin(IdempotencyState.Mismatch));
            return Task.FromResult(entry.Response is null
                ? new IdempotencyBegin(IdempotencyState.InFlight)
                : new IdempotencyBegin(IdempotencyState.Replay, entry.Response));
        }
    }

    public Task CompleteAsync(string principalId, string key, StoredResponse response, DateTimeOffset now)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue((principalId, key), out var entry) && entry.Response is null)
                _entries[(principalId, key)] = entry with { Response = response };
        }
        return Task.CompletedTask;
    }

    public Task AbandonAsync(string principalId, string key)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue((principalId, key), out var entry) && entry.Response is null)
                _entries.Remove((principalId, key));
        }
        return Task.CompletedTask;
    }

    public Task<int> PurgeAsync(DateTimeOffset before)
    {
        lock (_entries)
        {
            var old = _entries.Where(e => e.Value.CreatedAt < before && (e.Value.Response is not null || e.Value.LeaseUntil < before))
                .Select(e => e.Key).ToList();
            foreach (var key in old) _entries.Remove(key);
            return Task.FromResult(old.Count);
        }
    }

    private sealed record Entry(byte[] Hash, DateTimeOffset LeaseUntil, StoredResponse? Response, DateTimeOffset CreatedAt);
}
