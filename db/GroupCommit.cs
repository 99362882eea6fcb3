using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SupplyChain.Db;

/// <summary>One SQL statement of a unit and its named parameters (<c>@name</c> in the text). It must return a result set.</summary>
public sealed record Statement(string Sql, params (string Name, object? Value)[] Parameters)
{
    internal NpgsqlBatchCommand ToCommand()
    {
        var command = new NpgsqlBatchCommand(Sql);
        foreach (var (name, value) in Parameters) command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        return command;
    }
}

/// <summary>
/// Common table expressions that a grain's state write carries in its own statement (see
/// <c>silo/GroupCommitGrainStorage.cs</c>), so that they commit with the state or not at all. Each must change nothing
/// unless the fenced write passed: the write is the expression <c>w</c>, which holds a row only then
/// (<c>WHERE EXISTS (SELECT 1 FROM w)</c>). Their parameter names must not be the storage's: each starts with a prefix of
/// its own.
/// </summary>
public sealed record Alongside(string Ctes, params (string Name, object? Value)[] Parameters);

/// <summary>The rows one statement returned, each as its column values (DBNull read as null).</summary>
public sealed record StatementResult(IReadOnlyList<object?[]> Rows)
{
    public T? Scalar<T>() => Rows.Count == 0 ? default : (T?)Rows[0][0];
}

public sealed record GroupCommitOptions
{
    /// <summary>Batches that may run at once, each on its own connection.</summary>
    public int Lanes { get; init; } = 2;

    /// <summary>The most statements one batch carries; what is queued beyond waits for the next batch.</summary>
    public int MaxStatements { get; init; } = 512;

    /// <summary>
    /// How long a batch may wait for a lock. A batch that would wait longer (a row another transaction holds) is rolled
    /// back and its units run alone, off the lane, where only the unit that needs the lock waits for it.
    /// </summary>
    public TimeSpan BatchLockTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Units run alone at once at most (after a batch was rolled back), each on its own connection.</summary>
    public int MaxAlone { get; init; } = 8;
}

/// <summary>
/// Group commit: the writes of many callers (grain states, read-model rows, idempotency records) that arrive while
/// earlier batches are running are sent together as one batch, one round trip and one commit.
///
/// A caller submits a <em>unit</em>: statements that must take effect together. Its task completes only after the
/// batch holding it has committed, with the rows each of its statements returned, so "persist before acknowledging"
/// holds per caller. Fencing stays per unit: a version check written as a condition (an UPDATE ... WHERE version = @v
/// that matches no row) is a result for that unit alone, never an error for the others. Nothing waits for company:
/// an idle lane takes the first unit at once; batches form only while every lane is busy.
///
/// A batch runs in PostgreSQL's implicit transaction (no error barriers), so a statement that fails rolls the whole
/// batch back. Then each of its units is run again alone, and the one that fails gets its own error. A batch may not
/// wait long for a lock (<see cref="GroupCommitOptions.BatchLockTimeout"/>): one unit stuck behind another transaction's
/// lock would hold up every unit of its batch and its lane. Such a batch is rolled back too and its units run alone,
/// off the lanes, each on its own connection; the unit that needs the lock waits there, by itself. A connection that
/// breaks mid-batch leaves the outcome unknown: every unit of that batch gets the error, as a lone statement would.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommitOptions _options;
    private readonly ILogger<GroupCommit> _logger;
    private readonly Channel<Unit> _queue = Channel.CreateUnbounded<Unit>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _lanes;
    private readonly SemaphoreSlim _alone;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _aloneRuns = new();
    private long _batches, _units;

    public GroupCommit(NpgsqlDataSource dataSource, GroupCommitOptions options, ILogger<GroupCommit> logger)
    {
        _dataSource = dataSource;
        _options = options;
        _logger = logger;
        _alone = new SemaphoreSlim(Math.Max(1, options.MaxAlone));
        _lanes = Enumerable.Range(0, Math.Max(1, options.Lanes)).Select(_ => Task.Run(RunLaneAsync)).ToArray();
    }

    /// <summary>Batches committed and units carried so far (for the benchmark and diagnostics).</summary>
    public (long Batches, long Units) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _units));

    /// <summary>Runs the statements as one unit in the next batch; completes once that batch has committed.</summary>
    public Task<IReadOnlyList<StatementResult>> ExecuteAsync(params Statement[] statements)
    {
        if (statements.Length == 0) throw new ArgumentException("A unit needs at least one statement.", nameof(statements));
        var unit = new Unit(statements);
        if (!_queue.Writer.TryWrite(unit)) throw new ObjectDisposedException(nameof(GroupCommit));
        return unit.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_lanes);
        await Task.WhenAll(_aloneRuns.Keys);
    }

    private async Task RunLaneAsync()
    {
        var batch = new List<Unit>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var statements = 0;
            while (statements < _options.MaxStatements && _queue.Reader.TryRead(out var unit))
            {
                batch.Add(unit);
                statements += unit.Statements.Count;
            }
            if (batch.Count == 0) continue;
            try
            {
                await RunAsync(batch);
            }
            catch (Exception e)
            {
                // RunAsync settles every unit itself; this only keeps the lane alive if that ever fails.
                _logger.LogError(e, "A group-commit lane failed outside a batch");
                foreach (var unit in batch) unit.Done.TrySetException(e);
            }
        }
    }

    private async Task RunAsync(List<Unit> batch)
    {
        try
        {
            Settle(batch, await ExecuteBatchAsync(batch, _options.BatchLockTimeout));
        }
        catch (PostgresException e) when (batch.Count > 1 || e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            // The server refused a statement, or the batch would have waited for a lock, and rolled it back: nothing of
            // it took effect. Each unit runs again alone, off this lane, so that only the unit whose statement fails
            // sees the error and only the unit that needs a lock waits for it.
            _logger.LogDebug(e, "A batch of {Units} units was rolled back ({SqlState}); running them alone", batch.Count, e.SqlState);
            foreach (var unit in batch) RunAlone(unit);
        }
        catch (Exception e)
        {
            foreach (var unit in batch) unit.Done.TrySetException(e);
        }
    }

    private void Settle(List<Unit> batch, List<StatementResult> results)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _units, batch.Count);
        var next = 0;
        foreach (var unit in batch)
        {
            unit.Done.TrySetResult(results.GetRange(next, unit.Statements.Count));
            next += unit.Statements.Count;
        }
    }

    private void RunAlone(Unit unit)
    {
        var run = Task.Run(async () =>
        {
            await _alone.WaitAsync();
            try
            {
                Settle([unit], await ExecuteBatchAsync([unit], lockTimeout: null));
            }
            catch (Exception e)
            {
                unit.Done.TrySetException(e);
            }
            finally
            {
                _alone.Release();
            }
        });
        _aloneRuns[run] = 0;
        run.ContinueWith(t => _aloneRuns.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task<List<StatementResult>> ExecuteBatchAsync(List<Unit> batch, TimeSpan? lockTimeout)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlBatch(connection);
        // set_config(..., true) lasts to the end of this implicit transaction; it returns a row, dropped below.
        var limited = lockTimeout is not null;
        if (lockTimeout is { } timeout)
            command.BatchCommands.Add(new Statement("SELECT set_config('lock_timeout', @timeout, true)",
                ("timeout", $"{(int)timeout.TotalMilliseconds}ms")).ToCommand());
        foreach (var unit in batch)
        foreach (var statement in unit.Statements)
            command.BatchCommands.Add(statement.ToCommand());

        var results = new List<StatementResult>(command.BatchCommands.Count);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            do
            {
                var rows = new List<object?[]>();
                while (await reader.ReadAsync())
                {
                    var row = new object?[reader.FieldCount];
                    reader.GetValues(row!);
                    for (var i = 0; i < row.Length; i++)
                        if (row[i] is DBNull) row[i] = null;
                    rows.Add(row);
                }
                results.Add(new StatementResult(rows));
            } while (await reader.NextResultAsync());
        }
        // Reaching here means the batch committed. A statement without a result set would shift every later unit's
        // results onto the wrong caller: that is a programming error, reported to all rather than answered wrongly.
        if (results.Count != command.BatchCommands.Count)
            throw new InvalidOperationException(
                $"A group-commit batch of {command.BatchCommands.Count} statements returned {results.Count} result sets; " +
                "every statement must return one (use RETURNING or SELECT). The batch did commit.");
        if (limited) results.RemoveAt(0);
        return results;
    }

    private sealed class Unit(IReadOnlyList<Statement> statements)
    {
        public IReadOnlyList<Statement> Statements { get; } = statements;

        public TaskCompletionSource<IReadOnlyList<StatementResult>> Done { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
