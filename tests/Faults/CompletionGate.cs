using Dapper;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// Like <see cref="DbGate"/>, a gate in the test's own database that holds the API's idempotency completions (the
/// UPDATE that stores an answer, after the grains stored the effect), but it holds them <em>before</em> the UPDATE
/// locks the record's row. <see cref="DbGate"/>'s trigger is a row-level BEFORE UPDATE trigger: PostgreSQL locks the
/// row before it runs such a trigger, so a completion waiting there holds the row lock, and another process's
/// BeginAsync for the same key (INSERT .. ON CONFLICT DO UPDATE, which locks the conflicting row before it evaluates its
/// WHERE) waits behind it until the gate opens, and then replays: the 409 in-flight answer can never be seen that way.
/// This gate is a statement-level trigger, which runs before any row is read or locked. A statement trigger cannot see
/// the key, so it tells completions (the only plain UPDATE statement on the table) from BeginAsync's upsert by the
/// statement's text, and <see cref="WaitingAsync"/> counts the waiting completions rather than naming their keys.
/// Either gate must be opened well within Npgsql's command timeout (30 s): a completion held longer fails, and the API
/// answers 500 and frees the key (its effect stays stored; the grains dedupe a retry).
/// </summary>
public sealed class CompletionGate : IAsyncDisposable
{
    private const long LockKey = 0x5C_6A7F;
    private const string Name = "completion-gate";
    private readonly TestDatabase _db;
    private Npgsql.NpgsqlConnection? _holder;

    private CompletionGate(TestDatabase db) => _db = db;

    public static async Task<CompletionGate> InstallAsync(TestDatabase db)
    {
        await using var connection = db.Open();
        await connection.ExecuteAsync(
            $"""
            CREATE OR REPLACE FUNCTION test_completion_gate() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF upper(ltrim(current_query(), E' \t\r\n')) LIKE 'UPDATE IDEMPOTENCY_RECORDS%' THEN
                    PERFORM set_config('application_name', '{Name}', true);
                    PERFORM pg_advisory_xact_lock_shared({LockKey});
                END IF;
                RETURN NULL;
            END
            $fn$;
            DROP TRIGGER IF EXISTS test_completion_gate ON idempotency_records;
            CREATE TRIGGER test_completion_gate BEFORE UPDATE ON idempotency_records
                FOR EACH STATEMENT EXECUTE FUNCTION test_completion_gate();
            """);
        return new CompletionGate(db);
    }

    public async Task CloseAsync()
    {
        if (_holder is not null) return;
        _holder = _db.Open();
        await _holder.ExecuteAsync($"SELECT pg_advisory_lock({LockKey})");
    }

    /// <summary>How many completions wait at the gate now.</summary>
    public async Task<int> WaitingAsync()
    {
        await using var connection = _db.Open();
        return await connection.ExecuteScalarAsync<int>(
            $"""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = '{Name}' AND wait_event_type = 'Lock'
            """);
    }

    public async Task OpenAsync()
    {
        if (_holder is null) return;
        await _holder.ExecuteAsync($"SELECT pg_advisory_unlock({LockKey})");
        await _holder.DisposeAsync();
        _holder = null;
    }

    public async ValueTask DisposeAsync() => await OpenAsync();
}
