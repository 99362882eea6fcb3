using Dapper;
using Npgsql;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// A gate inside the database under test, for fault tests that must hit work in flight at a known point rather than
/// hope a kill lands there. A trigger makes every completion of an idempotency record (the API storing its answer,
/// which happens only after the grains stored the operation's effect) take a shared advisory lock, after naming its
/// key in its session's application_name. While the test holds the lock exclusively (<see cref="CloseAsync"/>) those
/// completions wait: their effect is stored, their answer is not. The test sees exactly which keys wait
/// (<see cref="WaitingAsync"/>), can kill the API process, and can end the waiting sessions so that nothing the dead
/// process began commits afterwards (<see cref="TerminateWaitingAsync"/>). Open, the gate costs one uncontended lock
/// per completion. Nothing of it is in the product: it is installed by the test, in the test's own database.
/// <para>
/// This gate is a row-level trigger, and PostgreSQL locks the row before such a trigger runs: a held completion holds
/// its record's row lock, so another process's BeginAsync for the same key (an upsert, which locks the conflicting row
/// first) waits behind it instead of answering 409 in flight. To see that 409, use <see cref="BeforeRowLockAsync"/>:
/// a statement-level trigger that holds completions before any row is locked, but cannot name them (it counts them).
/// Either gate must be opened well within Npgsql's command timeout (30 s): a completion held longer fails, the API
/// answers 500 and frees the key (the effect stays stored; the grains dedupe the retry).
/// </para>
/// </summary>
public sealed class DbGate : IAsyncDisposable
{
    private const string BeforeLockName = "gate-before-row-lock";

    /// <summary>
    /// A completion is first tried in a group-commit batch, which may wait for a lock only briefly (100 ms) before it is
    /// rolled back and the completion runs alone on its own connection, where it waits for as long as the gate is shut.
    /// Only a wait older than the batch's lock timeout is the lasting one: a session seen in the brief first wait may be
    /// gone a moment later.
    /// </summary>
    private const string SettledWait = "now() - query_start > interval '500 milliseconds'";
    private readonly TestDatabase _db;
    private readonly long _lockKey; // any constant: advisory locks are per database
    private NpgsqlConnection? _holder;

    private DbGate(TestDatabase db, long lockKey)
    {
        _db = db;
        _lockKey = lockKey;
    }

    /// <summary>Installs the gate on idempotency completions (the schema must exist: start a silo first).</summary>
    public static async Task<DbGate> OnIdempotencyCompletionAsync(TestDatabase db)
    {
        const long lockKey = 0x5C_6A7E;
        await using var connection = db.Open();
        await connection.ExecuteAsync(
            $"""
            CREATE OR REPLACE FUNCTION test_gate_idempotency() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                PERFORM set_config('application_name', left('gate:' || NEW.status_code || ':' || NEW.idem_key, 63), true);
                PERFORM pg_advisory_xact_lock_shared({lockKey});
                RETURN NEW;
            END
            $fn$;
            DROP TRIGGER IF EXISTS test_gate_idempotency ON idempotency_records;
            CREATE TRIGGER test_gate_idempotency BEFORE UPDATE ON idempotency_records
                FOR EACH ROW WHEN (OLD.state = 'in_flight' AND NEW.state = 'done') EXECUTE FUNCTION test_gate_idempotency();
            """);
        return new DbGate(db, lockKey);
    }

    /// <summary>
    /// Installs a gate that holds completions before their UPDATE locks the record's row (a statement-level trigger; it
    /// tells the completion, the only plain UPDATE of the table, from BeginAsync's upsert by the statement's text).
    /// It cannot see keys: use <see cref="WaitingCountAsync"/>.
    /// </summary>
    public static async Task<DbGate> BeforeRowLockAsync(TestDatabase db)
    {
        const long lockKey = 0x5C_6A7F;
        await using var connection = db.Open();
        await connection.ExecuteAsync(
            $"""
            CREATE OR REPLACE FUNCTION test_gate_before_row_lock() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF upper(ltrim(current_query(), E' \t\r\n')) LIKE 'UPDATE IDEMPOTENCY_RECORDS%' THEN
                    PERFORM set_config('application_name', '{BeforeLockName}', true);
                    PERFORM pg_advisory_xact_lock_shared({lockKey});
                END IF;
                RETURN NULL;
            END
            $fn$;
            DROP TRIGGER IF EXISTS test_gate_before_row_lock ON idempotency_records;
            CREATE TRIGGER test_gate_before_row_lock BEFORE UPDATE ON idempotency_records
                FOR EACH STATEMENT EXECUTE FUNCTION test_gate_before_row_lock();
            """);
        return new DbGate(db, lockKey);
    }

    /// <summary>How many completions wait at a <see cref="BeforeRowLockAsync"/> gate now.</summary>
    public async Task<int> WaitingCountAsync()
    {
        await using var connection = _db.Open();
        return await connection.ExecuteScalarAsync<int>(
            $"""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = '{BeforeLockName}' AND wait_event_type = 'Lock'
              AND {SettledWait}
            """);
    }

    /// <summary>From now on, completions wait until <see cref="OpenAsync"/>.</summary>
    public async Task CloseAsync()
    {
        if (_holder is not null) return;
        _holder = _db.Open();
        await _holder.ExecuteAsync($"SELECT pg_advisory_lock({_lockKey})");
    }

    /// <summary>
    /// A request waiting at the gate: the start of its stored Idempotency-Key (the database keeps only the key's hash)
    /// and the status of the answer it is about to store.
    /// </summary>
    public sealed record Held(string Key, int Status)
    {
        /// <summary>Whether this is the request a client sent with <paramref name="idempotencyKey"/>.</summary>
        public bool IsFor(string idempotencyKey) => SupplyChain.Api.Http.Idempotency.StoredKey(idempotencyKey).StartsWith(Key, StringComparison.Ordinal);

        /// <summary>A 2xx: the request took effect (a 4xx is a refusal, decided and about to be stored).</summary>
        public bool TookEffect => Status is >= 200 and < 300;
    }

    /// <summary>The requests whose completion is waiting at the gate now.</summary>
    public async Task<IReadOnlyList<Held>> WaitingAsync()
    {
        await using var connection = _db.Open();
        return (await connection.QueryAsync<string>(
            $"""
            SELECT substr(application_name, 6) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'gate:%' AND wait_event_type = 'Lock'
              AND {SettledWait}
            """)).Select(n => n.Split(':', 2)).Select(p => new Held(p[1], int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>
    /// Ends every session waiting at the gate. After the process that opened them was killed, their transactions
    /// would otherwise go on and commit the moment the gate opens, which a dead process never could have.
    /// </summary>
    public async Task<int> TerminateWaitingAsync()
    {
        await using var connection = _db.Open();
        return await connection.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'gate:%' AND wait_event_type = 'Lock') t
            """);
    }

    /// <summary>Lets every waiting and later completion through.</summary>
    public async Task OpenAsync()
    {
        if (_holder is null) return;
        await _holder.ExecuteAsync($"SELECT pg_advisory_unlock({_lockKey})");
        await _holder.DisposeAsync();
        _holder = null;
    }

    /// <summary>
    /// An aimed kill: closes the gate, waits until at least <paramref name="atLeast"/> requests that took effect wait at it
    /// (their effects stored, their answers not), SIGKILLs <paramref name="victim"/>, ends every waiting session (a surviving process's
    /// waiting requests then fail and are retried by their clients, like the victim's), and opens the gate again.
    /// Returns the requests that were waiting: decided (and if 2xx, taken effect) with their answer lost.
    /// The victim is left stopped.
    /// </summary>
    public async Task<IReadOnlyList<Held>> KillWhileHeldAsync(SiloProcess victim, int atLeast, TimeSpan within)
    {
        await CloseAsync();
        try
        {
            await Eventually.True(async () => (await WaitingAsync()).Count(h => h.TookEffect) >= atLeast, within,
                $"{atLeast} requests that took effect waiting at the gate");
            await victim.KillAsync();
            var held = await WaitingAsync();
            var ended = await TerminateWaitingAsync();
            Assert.True(ended >= held.Count, $"{held.Count} requests were held at the kill but only {ended} waiting sessions were ended");
            return held;
        }
        finally
        {
            await OpenAsync();
        }
    }

    public async ValueTask DisposeAsync() => await OpenAsync();
}
