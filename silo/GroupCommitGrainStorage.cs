using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;
using SupplyChain.Db;
using SupplyChain.Grains;

namespace SupplyChain.Silo;

/// <summary>
/// Grain state in PostgreSQL's <c>orleansstorage</c> table, written through <see cref="GroupCommit"/>: the fenced writes
/// of many grains that arrive together share one round trip and one commit. Same rows, same stored functions and the
/// same fencing as Orleans' ADO.NET provider (db/migrations/0003 and 0007): a write names the version it read and
/// changes the row only if that is still the stored one, answering the new version; a first write inserts only if no
/// row exists. Anything else comes back as no row and becomes <see cref="InconsistentStateException"/> for that grain
/// alone. Each grain is acknowledged only after the batch holding its row has committed.
///
/// Rows are found by (service, state name, key columns); a grain id maps to the key columns exactly as the ADO.NET
/// provider maps it (<see cref="StorageKey"/>), so rows written by either are read by both. The two hash columns are
/// informational only (no lookup uses them).
/// </summary>
public sealed class GroupCommitGrainStorage(
    string name,
    GroupCommit commit,
    NpgsqlDataSource dataSource,
    IGrainStorageSerializer serializer,
    string serviceId) : IGrainStorage
{
    private static readonly OrleansDefaultHasher Hasher = new();

    public static GroupCommitGrainStorage Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<GroupCommit>(),
        services.GetRequiredService<NpgsqlDataSource>(),
        new JsonGrainStateSerializer(),
        services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId);

    /// <summary>The state's row and its item rows in one statement, so both come from one snapshot.</summary>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = StorageKey.Of(grainId);
        var layout = StateRows.For(typeof(T));
        const string ownRow = """
            SELECT NULL::text AS kind, NULL::text AS id, NULL::integer AS position, payloadbinary AS body, version
            FROM orleans_storage_read(@n0, @n1, @type, @key, @service)
            """;
        // Item rows only for a state that has collections stored as rows: other grains' reads stay one lookup.
        await using var command = dataSource.CreateCommand(layout is null ? ownRow : ownRow +
            """
            UNION ALL
            SELECT kind, id, position, body, NULL FROM grain_rows WHERE serviceid = @service AND graintype = @type AND grainkey = @rowKey
            """);
        command.Parameters.AddWithValue("n0", key.N0);
        command.Parameters.AddWithValue("n1", key.N1);
        command.Parameters.AddWithValue("type", stateName);
        command.Parameters.Add(new NpgsqlParameter("key", (object?)key.Extension ?? DBNull.Value) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue("service", serviceId);
        command.Parameters.AddWithValue("rowKey", key.Display(grainId));
        var rows = new List<StateRow>();
        (byte[]? Payload, int Version)? own = null;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(0)) own = (reader.IsDBNull(3) ? null : (byte[])reader[3], reader.GetInt32(4));
                else rows.Add(new StateRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), (byte[])reader[3]));
            }
        }
        if (own is { } row)
        {
            grainState.State = row.Payload is null ? New<T>() : serializer.Deserialize<T>(new BinaryData(row.Payload));
            if (row.Payload is not null) layout?.Load(grainState.State!, rows, JsonGrainStateSerializer.Options);
            grainState.ETag = row.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = row.Payload is not null;
        }
        else
        {
            grainState.State = New<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    /// <summary>
    /// The state's row and, for a state with collections stored as rows, the item rows that changed, in one statement
    /// of one unit: the item rows are written only if the state's fenced write passed. So is whatever the state asks to
    /// carry alongside (<see cref="IWritesAlongside"/>: a tree's read-model rows).
    /// </summary>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = StorageKey.Of(grainId);
        var layout = StateRows.For(typeof(T));
        var state = grainState.State!;
        const string write =
            "SELECT newgrainstateversion FROM orleans_storage_write(@idHash, @n0, @n1, @typeHash, @type, @key::text, @service, @version::integer, @payload)";
        var ctes = new List<string> { $"w AS ({write})" };
        var parameters = new List<(string, object?)>
        {
            ("idHash", Hash(grainId.ToString())), ("n0", key.N0), ("n1", key.N1), ("typeHash", Hash(stateName)), ("type", stateName),
            ("key", key.Extension), ("service", serviceId), ("version", Version(grainState.ETag)),
        };
        RowChanges? changes = null;
        if (layout is null)
        {
            parameters.Add(("payload", serializer.Serialize(state).ToArray()));
        }
        else
        {
            changes = layout.Changes(state, JsonGrainStateSerializer.Options);
            var (upserts, deletes) = (changes.Upserts, changes.Deletes);
            parameters.AddRange(
            [
                ("payload", JsonSerializer.SerializeToUtf8Bytes(state, JsonGrainStateSerializer.HeaderOptions)), ("rowKey", key.Display(grainId)),
                ("kinds", upserts.Select(r => r.Kind).ToArray()), ("ids", upserts.Select(r => r.Id).ToArray()),
                ("positions", upserts.Select(r => r.Position).ToArray()), ("bodies", upserts.Select(r => r.Body).ToArray()),
            ]);
            ctes.Add(
                """
                upserted AS (
                    INSERT INTO grain_rows AS r (serviceid, graintype, grainkey, kind, id, position, body)
                    SELECT @service, @type, @rowKey, u.kind, u.id, u.position, u.body
                    FROM unnest(@kinds::text[], @ids::text[], @positions::integer[], @bodies::bytea[]) AS u(kind, id, position, body)
                    WHERE EXISTS (SELECT 1 FROM w)
                    ON CONFLICT (serviceid, graintype, grainkey, kind, id) DO UPDATE SET position = EXCLUDED.position, body = EXCLUDED.body
                    RETURNING 1)
                """);
            // The delete looks up each gone row by its key (one index probe each), and is left out when nothing is gone.
            // The probes are a LATERAL subquery with LIMIT 1, which the planner can neither flatten nor turn round: as a
            // join, the generic plan (whose guess of a grain's rows is 1) walked every row of the grain and compared it
            // with the list, so a write cost its whole tree (120-450 ms at 6,000 rows, deleting 190). The rows found are
            // deleted by their ctid, in this same statement; no other writer touches them (the write is fenced).
            if (deletes.Count > 0)
            {
                ctes.Add(
                    """
                    deleted AS (
                        DELETE FROM grain_rows AS r
                        WHERE EXISTS (SELECT 1 FROM w)
                          AND r.ctid = ANY (ARRAY(
                              SELECT found.ctid
                              FROM unnest(@goneKinds::text[], @goneIds::text[]) AS g(kind, id)
                              CROSS JOIN LATERAL (
                                  SELECT x.ctid FROM grain_rows AS x
                                  WHERE x.serviceid = @service AND x.graintype = @type AND x.grainkey = @rowKey
                                    AND x.kind = g.kind AND x.id = g.id
                                  LIMIT 1) AS found))
                        RETURNING 1)
                    """);
                parameters.AddRange([("goneKinds", deletes.Select(d => d.Kind).ToArray()), ("goneIds", deletes.Select(d => d.Id).ToArray())]);
            }
        }
        if ((state as IWritesAlongside)?.TakeAlongside() is { } alongside)
        {
            ctes.Add(alongside.Ctes);
            parameters.AddRange(alongside.Parameters);
        }
        var sql = ctes.Count == 1 ? write : $"WITH {string.Join(",\n", ctes)}\nSELECT newgrainstateversion FROM w";
        var results = await commit.ExecuteAsync(new Statement(sql, [.. parameters]));
        grainState.ETag = NewVersion(results[0], "WriteState", stateName, grainId, grainState.ETag);
        if (changes is not null) StateRows.Written(state, changes);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = StorageKey.Of(grainId);
        if (grainState.ETag is null)
        {
            await ReadStateAsync(stateName, grainId, grainState);
            if (grainState.ETag is null) return; // never stored: nothing to clear
        }
        var results = await commit.ExecuteAsync(new Statement(
            """
            WITH w AS (SELECT newgrainstateversion FROM orleans_storage_clear(@n0, @n1, @type, @key::text, @service, @version::integer)),
            deleted AS (
                DELETE FROM grain_rows WHERE EXISTS (SELECT 1 FROM w) AND serviceid = @service AND graintype = @type AND grainkey = @rowKey
                RETURNING 1)
            SELECT newgrainstateversion FROM w
            """,
            ("n0", key.N0), ("n1", key.N1), ("type", stateName), ("key", key.Extension), ("service", serviceId),
            ("version", Version(grainState.ETag)), ("rowKey", key.Display(grainId))));
        grainState.ETag = NewVersion(results[0], "ClearState", stateName, grainId, grainState.ETag);
        grainState.RecordExists = false;
        if (grainState.State is { } old) StateRows.Cleared(old);
        grainState.State = New<T>();
    }

    /// <summary>A grain's empty state: every state class has a public parameterless constructor.</summary>
    private static T New<T>() => Activator.CreateInstance<T>();

    private static int Hash(string text) => unchecked((int)Hasher.Hash(Encoding.UTF8.GetBytes(text)));

    private static int? Version(string? etag) =>
        string.IsNullOrEmpty(etag) ? null : int.Parse(etag, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>
    /// The version the write produced; no row means the stored version was not the one this activation read. The message
    /// is the ADO.NET provider's, word for word, so that logs and alerts that look for it keep working.
    /// </summary>
    private string NewVersion(StatementResult result, string operation, string stateName, GrainId grainId, string? etag) =>
        result.Scalar<int?>() is { } version
            ? version.ToString(CultureInfo.InvariantCulture)
            : throw new InconsistentStateException(
                $"Version conflict ({operation}): ServiceId={serviceId} ProviderName={name} GrainType={stateName} " +
                $"GrainId={StorageKey.Of(grainId).Display(grainId)} ETag={etag}.");
}

/// <summary>
/// The key columns of a grain's row, as Orleans' ADO.NET provider fills them: a key that parses as a hexadecimal
/// integer (optionally "+extension") is (0, integer, extension); one that parses as a Guid is its two halves and the
/// extension; anything else is (0, 0, the key). The platform's own ids are all of the last kind.
/// </summary>
public readonly record struct StorageKey(long N0, long N1, string? Extension)
{
    public static StorageKey Of(GrainId grainId)
    {
        if (grainId.TryGetGuidKey(out var guid, out var guidExtension))
        {
            var bytes = guid.ToByteArray();
            return new StorageKey(BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8), guidExtension);
        }
        if (grainId.TryGetIntegerKey(out var integer, out var integerExtension)) return new StorageKey(0, integer, integerExtension);
        return new StorageKey(0, 0, grainId.Key.ToString());
    }

    /// <summary>The grain's key as the ADO.NET provider prints it in its messages.</summary>
    public string Display(GrainId grainId) => N0 == 0 && N1 == 0 ? Extension ?? "" : grainId.ToString();
}
