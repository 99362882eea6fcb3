using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Storage;
using SupplyChain.Db;
using SupplyChain.Grains.Risk;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Silo;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Grains;

/// <summary>
/// The group committer and the grain storage on it, against real PostgreSQL: units queued while a batch runs commit
/// together, each caller gets its own rows, a failing unit fails alone, and the version fence holds inside one batch.
/// Batches are formed deterministically: a row lock held by the test keeps the only lane busy while the rest queue.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new("groupcommit");
    private NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
        await new MigrationRunner(_source, NullLogger<MigrationRunner>.Instance).RunAsync();
        await using var connection = await _source.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "CREATE TABLE gate (id int PRIMARY KEY, n int NOT NULL); INSERT INTO gate VALUES (1, 0);" +
            "CREATE TABLE item (k int PRIMARY KEY, note text NOT NULL);");
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        _db.Dispose();
    }

    private GroupCommit Committer() => new(_source, new GroupCommitOptions { Lanes = 1 }, NullLogger<GroupCommit>.Instance);

    private static Statement Insert(int k, string note = "ok") =>
        new("INSERT INTO item (k, note) VALUES (@k, @note) RETURNING k, note", ("k", k), ("note", note));

    [Fact]
    public async Task Units_queued_behind_a_running_batch_commit_together_and_each_gets_its_own_rows()
    {
        await using var commit = Committer();
        var (release, blocked) = await HoldTheLane(commit);
        var units = Enumerable.Range(1, 100).Select(k => commit.ExecuteAsync(Insert(k, $"note {k}"))).ToList();
        await release();
        await blocked;

        for (var k = 1; k <= 100; k++)
        {
            var rows = (await units[k - 1])[0].Rows;
            Assert.Equal(new object?[] { k, $"note {k}" }, Assert.Single(rows));
        }
        // The blocker's batch, then one batch for the hundred that queued behind it.
        Assert.Equal((2L, 101L), commit.Counts);
        await using var connection = await _source.OpenConnectionAsync();
        Assert.Equal(100, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM item"));
    }

    [Fact]
    public async Task A_unit_whose_statement_fails_fails_alone_and_the_rest_of_its_batch_commits()
    {
        await using var commit = Committer();
        await commit.ExecuteAsync(Insert(7, "first"));
        var (release, blocked) = await HoldTheLane(commit);
        var good = Enumerable.Range(10, 20).Select(k => commit.ExecuteAsync(Insert(k))).ToList();
        var duplicate = commit.ExecuteAsync(Insert(7, "second"));
        var twoStatements = commit.ExecuteAsync(Insert(40), Insert(7, "third")); // its second statement collides: neither part may stay
        await release();
        await blocked;

        await Task.WhenAll(good);
        Assert.Equal("23505", (await Assert.ThrowsAsync<PostgresException>(() => duplicate)).SqlState);
        Assert.Equal("23505", (await Assert.ThrowsAsync<PostgresException>(() => twoStatements)).SqlState);
        await using var connection = await _source.OpenConnectionAsync();
        Assert.Equal(21, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM item"));
        Assert.Equal("first", await connection.ExecuteScalarAsync<string>("SELECT note FROM item WHERE k = 7"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM item WHERE k = 40"));
    }

    [Fact]
    public async Task Two_writers_of_one_grain_in_one_batch_one_wins_and_the_other_is_refused()
    {
        await using var commit = Committer();
        var storage = new GroupCommitGrainStorage("platform", commit, _source, new JsonGrainStateSerializer(), "svc");
        var grain = GrainId.Create("voucher-tree", "vcTESTROOT");
        var other = GrainId.Create("voucher-tree", "vcOTHER");
        var first = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, first);
        Assert.False(first.RecordExists);
        first.State!.FaceFen = 100;
        await storage.WriteStateAsync("voucher-tree", grain, first);
        Assert.Equal("1", first.ETag);

        // Two activations that both read version 1, and an unrelated grain, queued into one batch.
        var a = new GrainState<VoucherTreeState>(new VoucherTreeState());
        var b = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, a);
        await storage.ReadStateAsync("voucher-tree", grain, b);
        a.State!.FaceFen = 200;
        b.State!.FaceFen = 300;
        var unrelated = new GrainState<VoucherTreeState> { State = new VoucherTreeState { FaceFen = 5 } };
        var (release, blocked) = await HoldTheLane(commit);
        var writeA = storage.WriteStateAsync("voucher-tree", grain, a);
        var writeB = storage.WriteStateAsync("voucher-tree", grain, b);
        var writeOther = storage.WriteStateAsync("voucher-tree", other, unrelated);
        await release();
        await blocked;

        await writeA;
        await Assert.ThrowsAsync<InconsistentStateException>(() => writeB);
        await writeOther;
        Assert.Equal("2", a.ETag);
        var stored = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, stored);
        Assert.Equal((200L, "2"), (stored.State!.FaceFen, stored.ETag));
        await storage.ReadStateAsync("voucher-tree", other, stored);
        Assert.Equal((5L, "1"), (stored.State!.FaceFen, stored.ETag));

        // A writer that never read (no ETag) cannot overwrite an existing row either.
        var blind = new GrainState<VoucherTreeState> { State = new VoucherTreeState { FaceFen = 1 } };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("voucher-tree", grain, blind));
    }

    [Fact]
    public async Task A_tree_is_its_row_plus_a_row_per_fragment_and_operation_and_a_write_sends_only_what_changed()
    {
        await using var commit = Committer();
        var storage = new GroupCommitGrainStorage("platform", commit, _source, new JsonGrainStateSerializer(), "svc");
        var grain = GrainId.Create("voucher-tree", "vcROWS");
        var tree = new GrainState<VoucherTreeState>(new VoucherTreeState { FaceFen = 300 });
        tree.State!.Fragments.AddRange(Enumerable.Range(0, 3).Select(i => new FragmentState { Id = $"vcROWS-{i}", AmountFen = 100 + i }));
        tree.State.Operations["op1"] = new OperationRecord { Kind = "split", FragmentIds = ["vcROWS-0"] };
        await storage.WriteStateAsync("voucher-tree", grain, tree);

        await using var connection = await _source.OpenConnectionAsync();
        async Task<Dictionary<string, string>> RowVersions() =>
            (await connection.QueryAsync<(string Id, string Xmin)>("SELECT id, xmin::text FROM grain_rows WHERE grainkey = 'vcROWS'"))
            .ToDictionary(r => r.Id, r => r.Xmin);
        var first = await RowVersions();
        Assert.Equal(["op1", "vcROWS-0", "vcROWS-1", "vcROWS-2"], first.Keys.Order());
        var own = await connection.ExecuteScalarAsync<byte[]>("SELECT payloadbinary FROM orleansstorage WHERE grainidextensionstring = 'vcROWS'");
        Assert.DoesNotContain("vcROWS-1", System.Text.Encoding.UTF8.GetString(own!));

        // One fragment changes and one operation is added: only those two rows are written.
        tree.State.Fragments[1].AmountFen = 555;
        tree.State.Operations["op2"] = new OperationRecord { Kind = "transfer" };
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        var second = await RowVersions();
        Assert.Equal(["op2", "vcROWS-1"], second.Where(r => !first.TryGetValue(r.Key, out var x) || x != r.Value).Select(r => r.Key).Order());

        // Exposure events waiting for acknowledgement are rows too: an acknowledged one is deleted, and only it.
        ExposureEvent Event(string id) => new(id, "vcROWS", "vcROWS-0", "core", null, null, DateTimeOffset.UnixEpoch, "issued");
        tree.State.ExposureOutbox.AddRange([Event("e1"), Event("e2"), Event("e3")]);
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        tree.State.ExposureOutbox.RemoveAll(e => e.Id == "e1");
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        Assert.Equal(["e2", "e3", "op1", "op2", "vcROWS-0", "vcROWS-1", "vcROWS-2"], (await RowVersions()).Keys.Order());

        // A stale activation (it read version 4; version 5 was written since) changes no row, nor deletes one.
        var stale = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, stale);
        tree.State.Fragments[2].AmountFen = 777;
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        stale.State!.Fragments[0].AmountFen = 1;
        stale.State.Operations["op-stale"] = new OperationRecord { Kind = "split" };
        stale.State.ExposureOutbox.Clear();
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("voucher-tree", grain, stale));
        Assert.Equal(["e2", "e3", "op1", "op2", "vcROWS-0", "vcROWS-1", "vcROWS-2"], (await RowVersions()).Keys.Order());

        var read = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, read);
        Assert.Equal("5", read.ETag);
        Assert.Equal(["e2", "e3"], read.State!.ExposureOutbox.Select(e => e.Id));
        Assert.Equal([100L, 555L, 777L], read.State!.Fragments.Select(f => f.AmountFen));
        Assert.Equal(["vcROWS-0", "vcROWS-1", "vcROWS-2"], read.State.Fragments.Select(f => f.Id));
        Assert.Equal(["op1", "op2"], read.State.Operations.Keys.Order());
        Assert.Equal(300L, read.State.FaceFen);
    }

    [Fact]
    public async Task A_write_carries_the_trees_read_model_rows_in_its_statement_and_a_stale_writer_lands_neither()
    {
        await using var commit = Committer();
        var storage = new GroupCommitGrainStorage("platform", commit, _source, new JsonGrainStateSerializer(), "svc");
        var index = new SupplyChain.Db.Stores.PostgresVoucherIndex(_source, commit);
        var grain = GrainId.Create("voucher-tree", "vcSIDE");
        SupplyChain.Db.Stores.IndexedFragment Row(string holder) =>
            new("vcSIDE", "vcSIDE", null, "core", holder, null, 100m, new DateOnly(2026, 1, 1), new DateOnly(2026, 6, 1), 1, "active", null);
        var tree = new GrainState<VoucherTreeState>(new VoucherTreeState { FaceFen = 10_000, Version = 1 });
        tree.State!.WriteAlongside(index.UpsertAlongside("vcSIDE", [Row("s1")], 1, 0));
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        Assert.Null(tree.State.TakeAlongside()); // the storage took it

        await using var connection = await _source.OpenConnectionAsync();
        async Task<(string Holder, long Version)> Projected() =>
            await connection.QuerySingleAsync<(string, long)>("SELECT holder_id, tree_version FROM voucher_fragments WHERE id = 'vcSIDE'");
        Assert.Equal(("s1", 1L), await Projected());
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT version FROM voucher_trees WHERE root_id = 'vcSIDE'"));

        // A stale activation (it read version 1 of the state; version 2 was written since) changes neither the state nor the
        // read model, though its projection carries a newer tree version.
        var stale = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, stale);
        tree.State.Version = 2;
        tree.State.WriteAlongside(index.UpsertAlongside("vcSIDE", [Row("s2")], 2, 0));
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        Assert.Equal(("s2", 2L), await Projected());
        stale.State!.Version = 3;
        stale.State.WriteAlongside(index.UpsertAlongside("vcSIDE", [Row("stale")], 3, 0));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("voucher-tree", grain, stale));
        Assert.Equal(("s2", 2L), await Projected());
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT version FROM voucher_trees WHERE root_id = 'vcSIDE'"));
    }

    [Fact]
    public async Task A_tree_stored_whole_by_an_earlier_build_reads_whole_and_its_next_write_moves_the_fragments_into_rows()
    {
        await using var commit = Committer();
        var storage = new GroupCommitGrainStorage("platform", commit, _source, new JsonGrainStateSerializer(), "svc");
        var whole = new VoucherTreeState { FaceFen = 200 };
        whole.Fragments.Add(new FragmentState { Id = "vcOLD-0", AmountFen = 200 });
        whole.Operations["op1"] = new OperationRecord { Kind = "issue" };
        await using var connection = await _source.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "SELECT * FROM orleans_storage_write(0, 0, 0, 0, 'voucher-tree', 'vcOLD', 'svc', NULL, @payload)",
            new { payload = new JsonGrainStateSerializer().Serialize(whole).ToArray() });

        var grain = GrainId.Create("voucher-tree", "vcOLD");
        var tree = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, tree);
        Assert.Equal(["vcOLD-0"], tree.State!.Fragments.Select(f => f.Id));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM grain_rows"));

        tree.State.FaceFen = 201;
        await storage.WriteStateAsync("voucher-tree", grain, tree);
        Assert.Equal(["op1", "vcOLD-0"], (await connection.QueryAsync<string>("SELECT id FROM grain_rows ORDER BY id")).ToList());
        var reread = new GrainState<VoucherTreeState>(new VoucherTreeState());
        await storage.ReadStateAsync("voucher-tree", grain, reread);
        Assert.Equal((201L, 200L, "issue"), (reread.State!.FaceFen, reread.State.Fragments.Single().AmountFen, reread.State.Operations["op1"].Kind));
    }

    /// <summary>
    /// Locks the gate row from another connection and sends a unit that waits on it, so the only lane is busy; returns
    /// once the server shows that unit waiting. Everything submitted before <c>release</c> queues for the next batch.
    /// </summary>
    private async Task<(Func<Task> Release, Task Blocked)> HoldTheLane(GroupCommit commit)
    {
        var holder = await _source.OpenConnectionAsync();
        var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT n FROM gate WHERE id = 1 FOR UPDATE", transaction: transaction);
        var blocked = commit.ExecuteAsync(new Statement("UPDATE gate SET n = n + 1 WHERE id = 1 RETURNING n"));
        await Eventually.True(async () =>
        {
            await using var probe = await _source.OpenConnectionAsync();
            return await probe.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0;
        }, TimeSpan.FromSeconds(20), "the lane's unit waits on the gate row");
        return (async () =>
        {
            await transaction.CommitAsync();
            await holder.DisposeAsync();
        }, blocked);
    }
}
