using Dapper;
using SupplyChain.Api.Apis;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Grains;

/// <summary>
/// A tree's batches (<see cref="IVoucherTreeGrain.Apply"/>) and the API's <see cref="TreeBatcher"/> that makes them: each
/// command decided in order on what the ones before it left, each answered on its own, all in one fenced write.
/// </summary>
public sealed class TreeBatchTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IGrainFactory G => fixture.Grains;

    private static string NewKey(string purpose) => Ids.Derive(purpose, Guid.NewGuid().ToString());

    /// <summary>An accepted root of <paramref name="face"/> yuan held by a new supplier; a second supplier to pass parts to.</summary>
    private async Task<(string Root, Caller Holder, string Other)> AcceptedRoot(decimal face)
    {
        var core = "pt" + NewKey("core");
        var supplier = "pt" + NewKey("supplier");
        var other = "pt" + NewKey("other");
        await G.GetGrain<IParticipantGrain>(core).Register("core", Role.Core, null);
        await G.GetGrain<IParticipantGrain>(supplier).Register("supplier", Role.Supplier, null);
        await G.GetGrain<IParticipantGrain>(other).Register("other", Role.Supplier, null);
        await G.GetGrain<IObligorGrain>(core).SetOperatorLimit(Money.FromYuan(1_000_000));
        var root = Ids.VoucherRoot(NewKey("op"));
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        var today = await G.GetGrain<SupplyChain.Grains.Clock.IClockGrain>("platform").Today();
        Assert.True((await tree.Issue(new Caller(core, Role.Core), "issue", new IssueVoucher(supplier, Money.FromYuan(face), today.AddDays(60), null))).IsOk);
        var holder = new Caller(supplier, Role.Supplier);
        Assert.True((await tree.Accept(holder, "accept", root)).IsOk);
        return (root, holder, other);
    }

    /// <summary>The version storage holds for the tree: one more for every write.</summary>
    private async Task<long> StoredVersion(string root)
    {
        await using var connection = fixture.Database.Open();
        return await connection.ExecuteScalarAsync<long>("SELECT version FROM orleansstorage WHERE grainidextensionstring = @root", new { root });
    }

    private async Task<Dictionary<string, (string Status, string Holder, decimal Amount)>> ReadModel(string root)
    {
        await using var connection = fixture.Database.Open();
        var rows = await connection.QueryAsync<(string Id, string Status, string HolderId, decimal Amount)>(
            "SELECT id, status, holder_id, amount FROM voucher_fragments WHERE root_id = @root", new { root });
        return rows.ToDictionary(r => r.Id, r => (r.Status, r.HolderId, r.Amount));
    }

    [Fact]
    public async Task ABatch_DecidesInOrder_RefusesAloneWhatFails_AndStoresEverythingInOneWrite()
    {
        var (root, holder, other) = await AcceptedRoot(1_000m);
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        string Part(int n) => Ids.Fragment(root, n);
        var before = await StoredVersion(root);

        var results = await tree.Apply(
        [
            TreeCommand.Split(holder, "a", root, [Money.FromYuan(600), Money.FromYuan(400)]),
            TreeCommand.Split(holder, "b", Part(1), [Money.FromYuan(300), Money.FromYuan(300)]), // made by the command before
            TreeCommand.Split(holder, "c", root, [Money.FromYuan(500), Money.FromYuan(500)]), // the root is split already
            TreeCommand.Transfer(holder, "d", Part(2), other, Money.FromYuan(150)),
            TreeCommand.Split(holder, "a", root, [Money.FromYuan(600), Money.FromYuan(400)]), // a repeat of the first
        ]);

        Assert.Equal(5, results.Count);
        var a = results[0].Split!;
        Assert.True(a.IsOk);
        Assert.Equal([Part(1), Part(2)], a.Value!.Children.Select(c => c.Id));
        Assert.Equal(VoucherStatus.Active, a.Value.Children[0].Status); // as it was when decided, before the next command split it
        var b = results[1].Split!;
        Assert.True(b.IsOk, b.Fault?.Detail);
        Assert.Equal([Part(3), Part(4)], b.Value!.Children.Select(c => c.Id));
        Assert.Equal(FaultCodes.InvalidState, results[2].Split!.Fault!.Code);
        var d = results[3].Transfer!;
        Assert.True(d.IsOk, d.Fault?.Detail);
        Assert.Equal(Money.FromYuan(150), d.Value!.Transferred.Amount);
        Assert.Equal(Money.FromYuan(250), d.Value.Remainder!.Amount);
        var repeat = results[4].Split!;
        Assert.True(repeat.IsOk);
        Assert.Equal(a.Value.Children.Select(c => c.Id), repeat.Value!.Children.Select(c => c.Id));
        Assert.Equal(VoucherStatus.Split, repeat.Value.Children[0].Status); // a replay shows the fragments as they are now

        Assert.Equal(before + 1, await StoredVersion(root));
        var rows = await ReadModel(root);
        Assert.Equal(("split", holder.Id, 600m), rows[Part(1)]);
        Assert.Equal(("transferred", holder.Id, 400m), rows[Part(2)]);
        Assert.Equal(("active", holder.Id, 300m), rows[Part(3)]);
        Assert.Equal(("pending", other, 150m), rows[Part(5)]);
        Assert.Equal(("active", holder.Id, 250m), rows[Part(6)]);
        Assert.Equal(1_000m, rows.Values.Where(r => r.Status is "active" or "pending").Sum(r => r.Amount));

        // Each done command is an operation of its own: retried alone later, it answers what it did and changes nothing.
        var retried = await tree.Split(holder, "b", Part(1), [Money.FromYuan(300), Money.FromYuan(300)]);
        Assert.Equal(b.Value.Children.Select(c => c.Id), retried.Value!.Children.Select(c => c.Id));
        Assert.Equal(before + 1, await StoredVersion(root));
    }

    [Fact]
    public async Task ABatchWithNothingDone_WritesNothing()
    {
        var (root, holder, _) = await AcceptedRoot(100m);
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        var before = await StoredVersion(root);
        var results = await tree.Apply(
        [
            TreeCommand.Split(holder, "x", root, [Money.FromYuan(60), Money.FromYuan(60)]), // does not sum to the face
            TreeCommand.Transfer(holder, "y", root, "pt" + NewKey("nobody"), Money.FromYuan(10)), // no such participant
        ]);
        Assert.Equal(FaultCodes.ValidationFailed, results[0].Split!.Fault!.Code);
        Assert.Equal(FaultCodes.ValidationFailed, results[1].Transfer!.Fault!.Code);
        Assert.Equal(before, await StoredVersion(root));
        Assert.Equal(VoucherStatus.Active, (await tree.Get(holder, root)).Value!.Status);
    }

    [Fact]
    public async Task TheBatcher_SendsWhatWaitsForATree_InOneCall()
    {
        const int parts = 24;
        var (root, holder, _) = await AcceptedRoot(parts * 10m);
        var split = await G.GetGrain<IVoucherTreeGrain>(root).Split(holder, "parts", root, Enumerable.Repeat(Money.FromYuan(10), parts).ToList());
        Assert.True(split.IsOk);
        var before = await StoredVersion(root);

        var batcher = new TreeBatcher(G);
        var answers = await Task.WhenAll(split.Value!.Children.Select((c, i) =>
            batcher.Send(root, TreeCommand.Split(holder, $"half-{i}", c.Id, [Money.FromYuan(4), Money.FromYuan(6)]))));

        Assert.All(answers, a => Assert.True(a.Split!.IsOk, a.Split.Fault?.Detail));
        Assert.Equal(parts * 2, answers.SelectMany(a => a.Split!.Value!.Children).Select(c => c.Id).Distinct().Count());
        // The first request goes at once, alone; the rest wait for it and go together: two writes, not one each.
        var writes = await StoredVersion(root) - before;
        Assert.InRange(writes, 1, 3);
        var rows = await ReadModel(root);
        Assert.Equal(parts * 10m, rows.Values.Where(r => r.Status == "active").Sum(r => r.Amount));
        Assert.Equal(parts * 2, rows.Values.Count(r => r.Status == "active"));
    }

    [Fact]
    public async Task TheBatcher_PassesOnTheErrorOfAFailedCall_AndKeepsServingTheTree()
    {
        var (root, holder, _) = await AcceptedRoot(100m);
        // Another activation wrote in between: this one's next write is stale and fails, and it deactivates.
        await using (var connection = fixture.Database.Open())
            Assert.Equal(1, await connection.ExecuteAsync("UPDATE orleansstorage SET version = version + 1 WHERE grainidextensionstring = @root", new { root }));
        var batcher = new TreeBatcher(G);
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() =>
            batcher.Send(root, TreeCommand.Split(holder, "stale", root, [Money.FromYuan(30), Money.FromYuan(70)])));

        // The lane is free again: the next request reaches a fresh activation, which knows nothing of the failed split.
        var next = await batcher.Send(root, TreeCommand.Split(holder, "next", root, [Money.FromYuan(50), Money.FromYuan(50)]));
        Assert.True(next.Split!.IsOk, next.Split.Fault?.Detail);
        var again = await batcher.Send(root, TreeCommand.Split(holder, "stale", root, [Money.FromYuan(30), Money.FromYuan(70)]));
        Assert.Equal(FaultCodes.InvalidState, again.Split!.Fault!.Code);
    }

    [Fact]
    public async Task ABatchThatThrowsWhileDeciding_StoresNothing_AndLeavesNothingStagedInMemory()
    {
        var (root, holder, _) = await AcceptedRoot(100m);
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        var before = await StoredVersion(root);
        // The second command's amounts overflow when summed (the API's validation never lets such amounts through): the
        // tree throws after the first command was decided and staged in memory.
        var huge = new Money(long.MaxValue);
        await Assert.ThrowsAnyAsync<Exception>(() => tree.Apply(
        [
            TreeCommand.Split(holder, "staged", root, [Money.FromYuan(40), Money.FromYuan(60)]),
            TreeCommand.Split(holder, "boom", Ids.Fragment(root, 1), [huge, huge]),
        ]));

        Assert.Equal(before, await StoredVersion(root));
        // Nothing of the first command survives in memory either: the root is still whole and active, and the first
        // operation, sent again, is decided afresh.
        Assert.Equal(VoucherStatus.Active, (await tree.Get(holder, root)).Value!.Status);
        var again = await tree.Split(holder, "staged", root, [Money.FromYuan(50), Money.FromYuan(50)]);
        Assert.True(again.IsOk, again.Fault?.Detail);
        Assert.Equal(Money.FromYuan(50), again.Value!.Children[0].Amount);
    }

    [Fact]
    public async Task AcceptsAndRejects_OfOneTree_GoTogetherToo()
    {
        var (root, holder, other) = await AcceptedRoot(100m);
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        var parts = await tree.Split(holder, "parts", root, Enumerable.Repeat(Money.FromYuan(25), 4).ToList());
        var passed = await tree.Apply(parts.Value!.Children
            .Select((c, i) => TreeCommand.Transfer(holder, $"pass-{i}", c.Id, other, Money.FromYuan(25))).ToList());
        var pending = passed.Select(p => p.Transfer!.Value!.Transferred).ToList();
        Assert.All(pending, p => Assert.Equal(VoucherStatus.Pending, p.Status));
        var before = await StoredVersion(root);

        var recipient = new Caller(other, Role.Supplier);
        var batcher = new TreeBatcher(G);
        var answers = await Task.WhenAll(
            batcher.Send(root, TreeCommand.Accept(recipient, "accept-0", pending[0].Id)),
            batcher.Send(root, TreeCommand.Accept(recipient, "accept-1", pending[1].Id)),
            batcher.Send(root, TreeCommand.Accept(recipient, "accept-2", pending[2].Id)),
            batcher.Send(root, TreeCommand.Reject(recipient, "reject-3", pending[3].Id)),
            batcher.Send(root, TreeCommand.Accept(recipient, "accept-3", pending[3].Id))); // rejected just before

        Assert.All(answers.Take(3), a => Assert.Equal(VoucherStatus.Active, a.Voucher!.Value!.Status));
        Assert.Equal(VoucherStatus.Rejected, answers[3].Voucher!.Value!.Status);
        Assert.Equal(FaultCodes.InvalidState, answers[4].Voucher!.Fault!.Code);
        Assert.InRange(await StoredVersion(root) - before, 1, 3);
        var rows = await ReadModel(root);
        Assert.All(pending.Take(3), p => Assert.Equal(("active", other, 25m), rows[p.Id]));
        Assert.Equal(("rejected", other, 25m), rows[pending[3].Id]);
        // The rejected part went back to its sender as a new active fragment: the tree still sums to its face.
        Assert.Equal(25m, rows.Values.Where(r => r.Status == "active" && r.Holder == holder.Id).Sum(r => r.Amount));
        Assert.Equal(100m, rows.Values.Where(r => r.Status is "active" or "pending").Sum(r => r.Amount));
    }
}
