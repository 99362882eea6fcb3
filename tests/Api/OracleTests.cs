using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>One database and one silo+API that the tests stop and start again, to edit stored state in between.</summary>
public sealed class OracleFixture : IAsyncLifetime
{
    public TestDatabase Database { get; } = new("oracles");

    public ApiHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = new ApiHost(Database.ConnectionString);
        await Host.StartAsync();
    }

    /// <summary>Stops the silo, lets <paramref name="edit"/> change the database behind its back, and starts it again: state is read from storage anew.</summary>
    public async Task RestartWith(Func<NpgsqlConnection, Task> edit)
    {
        await Host.StopAsync();
        await using (var connection = Database.Open()) await edit(connection);
        Host = new ApiHost(Database.ConnectionString, Host.Time);
        await Host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Database.Dispose();
    }
}

/// <summary>
/// The oracles other tests rely on can say "broken": each is shown a small real ledger first (and says all is well), then
/// the data is broken behind the system's back (SQL on the aggregates, or a grain's stored state edited while the silo is
/// down) and the oracle must name exactly what was broken, with the figures. The tests share one database, so each
/// looks only at its own participants' part of the reconciliation.
/// </summary>
public sealed class OracleTests(OracleFixture fixture) : IClassFixture<OracleFixture>
{
    private ApiHost Host => fixture.Host;

    private Party Rebind(Party p) => p with { Client = Host.Client(p.Client.ApiKey) };

    private sealed record Difference(string ObligorId, string HolderId, string HolderRole, string Status, int Tier, decimal Streamed, decimal Recomputed);


    private sealed record DroppedEvent
    {
        public string Id { get; init; } = "";
        public string BeforeHolder { get; init; } = "";
        public string BeforeRole { get; init; } = "";
        public string BeforeStatus { get; init; } = "";
        public int BeforeTier { get; init; }
        public decimal BeforeAmount { get; init; }
        public string AfterHolder { get; init; } = "";
        public string AfterRole { get; init; } = "";
        public string AfterStatus { get; init; } = "";
        public int AfterTier { get; init; }
        public decimal AfterAmount { get; init; }
    }

    private async Task<JsonElement> Reconcile()
    {
        var answer = (await Host.Client().Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.OK).Json;
        // Whatever else it says, the flag and the list agree.
        Assert.Equal(answer.GetProperty("differences").GetArrayLength() == 0, answer.GetProperty("consistent").GetBoolean());
        return answer;
    }

    /// <summary>The differences on these obligors, in a fixed order.</summary>
    private static List<Difference> DifferencesOn(JsonElement reconciliation, params string[] obligors) =>
        reconciliation.GetProperty("differences").EnumerateArray()
            .Select(d => new Difference(d.GetProperty("obligorId").GetString()!, d.GetProperty("holderId").GetString()!,
                d.GetProperty("holderRole").GetString()!, d.GetProperty("status").GetString()!, d.GetProperty("tier").GetInt32(),
                d.GetProperty("streamed").GetDecimal(), d.GetProperty("recomputed").GetDecimal()))
            .Where(d => obligors.Contains(d.ObligorId))
            .OrderBy(d => d.ObligorId, StringComparer.Ordinal).ThenBy(d => d.HolderId, StringComparer.Ordinal)
            .ThenBy(d => d.Status, StringComparer.Ordinal).ThenBy(d => d.Tier)
            .ToList();

    private static List<Difference> Sorted(params Difference[] differences) =>
        differences.OrderBy(d => d.ObligorId, StringComparer.Ordinal).ThenBy(d => d.HolderId, StringComparer.Ordinal)
            .ThenBy(d => d.Status, StringComparer.Ordinal).ThenBy(d => d.Tier).ToList();

    private static string Id(JsonElement answer, string member) => answer.GetProperty(member).GetProperty("id").GetString()!;

    private static string Child(JsonElement split, int i) => split.GetProperty("children")[i].GetProperty("id").GetString()!;

    private static Task<StoredState> ReadState(NpgsqlConnection c, string type, string key) => StoredStates.ReadAsync(c, type, key);

    /// <summary>Rewrites a grain's stored state and keeps the row's version, so that the grain loads it as its own.</summary>
    private static async Task EditState(NpgsqlConnection c, string type, string key, Action<JsonObject> edit)
    {
        var stored = await ReadState(c, type, key);
        edit(stored.State);
        await StoredStates.WriteAsync(c, type, key, stored.State, stored.Version);
    }

    private static JsonObject Fragment(JsonObject tree, string id) =>
        tree["Fragments"]!.AsArray().Select(f => f!.AsObject()).Single(f => (string?)f["Id"] == id);

    [Fact]
    public async Task Reconciliation_NamesEachBrokenPosition_WithTheStreamedAndRecomputedFigures()
    {
        var s = new Scenario(Host);
        var core = await s.Participant("core");
        var core2 = await s.Participant("core");
        var s1 = await s.Participant("supplier");
        var s2 = await s.Participant("supplier");
        var idle = await s.Participant("supplier"); // holds nothing, ever
        var bank = await s.Participant("funder");
        await s.Facility(bank, core, 1_000_000m);
        await s.Facility(bank, core2, 1_000_000m);
        await s.Facility(bank, s1, 100_000m, rate: 0.0435m);

        // A loan against an order: exposure of the bank to s1.
        var order = await s.Order(core, s1, 100_000m);
        var loanId = (await s.Loan(s1, order, bank, 50_000m)).Id;
        // A tree of core: split, part transferred to s2 and accepted, part discounted to the bank.
        var v1 = await s.ActiveVoucher(core, s1, 100_000m);
        var split = (await s1.Client.Post($"/v1/vouchers/{v1}/split", new { amounts = new[] { 60_000m, 40_000m } })).Expect(HttpStatusCode.Created).Json;
        var transfer = (await s1.Client.Post($"/v1/vouchers/{Child(split, 0)}/transfer", new { toId = s2.Id, amount = 20_000m }))
            .Expect(HttpStatusCode.Created).Json;
        var atS2 = Id(transfer, "transferred");
        (await s2.Client.Post($"/v1/vouchers/{atS2}/accept")).Expect(HttpStatusCode.OK);
        var discount = (await s1.Client.Post($"/v1/vouchers/{Child(split, 1)}/discount", new { funderId = bank.Id, amount = 25_000m }))
            .Expect(HttpStatusCode.Created).Json;
        var kept = Id(discount, "remainder"); // 15,000.00 left with s1
        // A tree of core2, wholly discounted to the bank.
        var v2 = await s.ActiveVoucher(core2, s1, 50_000m);
        (await s1.Client.Post($"/v1/vouchers/{v2}/discount", new { funderId = bank.Id, amount = 50_000m })).Expect(HttpStatusCode.Created);

        var mine = new[] { core.Id, core2.Id, s1.Id };
        await Eventually.True(async () => DifferencesOn(await Reconcile(), mine).Count == 0, TimeSpan.FromSeconds(30), "the exposure stream drains");
        // All good, and the aggregates are what this ledger says (so the breaks below change known figures).
        await using (var c = fixture.Database.Open())
        {
            var positions = (await c.QueryAsync<(string, string, string, string, int, decimal)>(
                    """
                    SELECT obligor_id, holder_id, holder_role, status, tier, amount FROM exposure_positions
                    WHERE obligor_id = ANY(@mine) AND amount <> 0 ORDER BY obligor_id, holder_id, status, tier
                    """, new { mine }))
                .ToHashSet();
            Assert.Equal(new HashSet<(string, string, string, string, int, decimal)>
            {
                (core.Id, s1.Id, "supplier", "active", 1, 55_000m), (core.Id, s2.Id, "supplier", "active", 2, 20_000m),
                (core.Id, bank.Id, "funder", "financed", 1, 25_000m), (core2.Id, bank.Id, "funder", "financed", 1, 50_000m),
                (s1.Id, bank.Id, "funder", "active", 0, 50_000m),
            }, positions);
        }

        // (a) One aggregate row off by a fen.
        const string s2Tier2 = "obligor_id = @core AND holder_id = @holder AND holder_role = 'supplier' AND status = 'active' AND tier = 2";
        await using (var c = fixture.Database.Open())
            Assert.Equal(1, await c.ExecuteAsync($"UPDATE exposure_positions SET amount = amount + 0.01 WHERE {s2Tier2}", new { core = core.Id, holder = s2.Id }));
        var answer = await Reconcile();
        Assert.False(answer.GetProperty("consistent").GetBoolean());
        Assert.Equal([new Difference(core.Id, s2.Id, "supplier", "active", 2, 20_000.01m, 20_000m)], DifferencesOn(answer, mine));
        await using (var c = fixture.Database.Open())
            Assert.Equal(1, await c.ExecuteAsync($"UPDATE exposure_positions SET amount = amount - 0.01 WHERE {s2Tier2}", new { core = core.Id, holder = s2.Id }));
        Assert.Empty(DifferencesOn(await Reconcile(), mine));

        // (c) A position nobody holds: a supplier with nothing at all.
        await using (var c = fixture.Database.Open())
            await c.ExecuteAsync("INSERT INTO exposure_positions VALUES (@core, @idle, 'supplier', 'active', 1, 1234.56)", new { core = core.Id, idle = idle.Id });
        answer = await Reconcile();
        Assert.False(answer.GetProperty("consistent").GetBoolean());
        Assert.Equal([new Difference(core.Id, idle.Id, "supplier", "active", 1, 1_234.56m, 0m)], DifferencesOn(answer, mine));
        await using (var c = fixture.Database.Open())
            Assert.Equal(1, await c.ExecuteAsync("DELETE FROM exposure_positions WHERE obligor_id = @core AND holder_id = @idle", new { core = core.Id, idle = idle.Id }));
        Assert.Empty(DifferencesOn(await Reconcile(), mine));

        // With the silo down: (b) drop v2's discount event as if it had never arrived, (d) change v1's stored tree,
        // (e) change the loan's stored state. Each is on its own obligor.
        await fixture.RestartWith(async c =>
        {
            var dropped = await c.QuerySingleAsync<DroppedEvent>(
                """
                SELECT id AS Id, before_holder AS BeforeHolder, before_role AS BeforeRole, before_status AS BeforeStatus, before_tier AS BeforeTier,
                       before_amount AS BeforeAmount, after_holder AS AfterHolder, after_role AS AfterRole, after_status AS AfterStatus,
                       after_tier AS AfterTier, after_amount AS AfterAmount
                FROM exposure_events WHERE root_id = @v2 AND kind = 'discounted'
                """, new { v2 });
            Assert.Equal(new DroppedEvent { Id = dropped.Id, BeforeHolder = s1.Id, BeforeRole = "supplier", BeforeStatus = "active", BeforeTier = 1, BeforeAmount = 50_000m,
                AfterHolder = bank.Id, AfterRole = "funder", AfterStatus = "financed", AfterTier = 1, AfterAmount = 50_000m }, dropped);
            // Undo exactly what applying it did (ExposureStore.ApplyAsync), and forget it.
            Assert.Equal(2, await c.ExecuteAsync(
                """
                WITH e AS (DELETE FROM exposure_events WHERE id = @id RETURNING *),
                undo AS (
                    SELECT obligor_id, before_holder AS holder_id, before_role AS holder_role, before_status AS status, before_tier AS tier, before_amount AS amount FROM e
                    UNION ALL
                    SELECT obligor_id, after_holder, after_role, after_status, after_tier, -after_amount FROM e)
                INSERT INTO exposure_positions AS p SELECT * FROM undo
                ON CONFLICT (obligor_id, holder_id, holder_role, status, tier) DO UPDATE SET amount = p.amount + EXCLUDED.amount
                """, new { id = dropped.Id }));
            // Its producer must not send it again (it would be applied anew): as if acknowledged, then lost.
            await EditState(c, "voucher-tree", v2, tree =>
            {
                var outbox = tree["ExposureOutbox"]!.AsArray();
                foreach (var e in outbox.Where(e => (string?)e!["Id"] == dropped.Id).ToList()) outbox.Remove(e);
            });

            await EditState(c, "voucher-tree", v1, tree =>
            {
                Assert.Equal(2_000_000L, (long)Fragment(tree, atS2)["AmountFen"]!);
                Fragment(tree, atS2)["AmountFen"] = 2_100_000L;   // s2's 20,000.00 becomes 21,000.00
                Assert.Equal(s1.Id, (string?)Fragment(tree, kept)["HolderId"]);
                Fragment(tree, kept)["HolderId"] = s2.Id;          // s1's 15,000.00 (tier 1) now s2's
            });
            await EditState(c, "loan", loanId, loan =>
            {
                Assert.Equal(5_000_000L, (long)loan["OutstandingFen"]!);
                loan["OutstandingFen"] = 4_000_000L;
            });
        });

        answer = await Reconcile();
        Assert.False(answer.GetProperty("consistent").GetBoolean());
        Assert.Equal(Sorted(
                // (d) the tree now says s2 holds 21,000.00 at tier 2 and 15,000.00 at tier 1, s1 only its 40,000.00
                new Difference(core.Id, s1.Id, "supplier", "active", 1, 55_000m, 40_000m),
                new Difference(core.Id, s2.Id, "supplier", "active", 1, 0m, 15_000m),
                new Difference(core.Id, s2.Id, "supplier", "active", 2, 20_000m, 21_000m),
                // (b) the aggregate never saw the discount: s1 still holds it there, the bank not
                new Difference(core2.Id, bank.Id, "funder", "financed", 1, 0m, 50_000m),
                new Difference(core2.Id, s1.Id, "supplier", "active", 1, 50_000m, 0m),
                // (e) the loan now says 40,000.00 is outstanding
                new Difference(s1.Id, bank.Id, "funder", "active", 0, 50_000m, 40_000m)),
            DifferencesOn(answer, mine));
        Assert.True(answer.GetProperty("treesChecked").GetInt32() >= 2 && answer.GetProperty("loansChecked").GetInt32() >= 1, answer.ToString());
    }

    [Fact]
    public async Task TreeViolations_NameTheBrokenSum_TheMissingParent_AndTheDuplicate_OfATreeBrokenInStorage()
    {
        var s = new Scenario(Host);
        var (core, s1, bank, _) = await s.Cast(1_000_000m);
        var s2 = await s.Participant("supplier");

        // Three like trees: 10,000.00 split 6,000.00 / 4,000.00; 1,000.00 of the first passed to s2 (pending), the second discounted whole.
        async Task<(string Root, string Transferred, string Moved, string Remainder, string Financed)> Tree()
        {
            var root = await s.ActiveVoucher(core, s1, 10_000m);
            var split = (await s1.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 6_000m, 4_000m } })).Expect(HttpStatusCode.Created).Json;
            var transfer = (await s1.Client.Post($"/v1/vouchers/{Child(split, 0)}/transfer", new { toId = s2.Id, amount = 1_000m }))
                .Expect(HttpStatusCode.Created).Json;
            (await s1.Client.Post($"/v1/vouchers/{Child(split, 1)}/discount", new { funderId = bank.Id, amount = 4_000m })).Expect(HttpStatusCode.Created);
            return (root, Child(split, 0), Id(transfer, "transferred"), Id(transfer, "remainder"), Child(split, 1));
        }
        var t1 = await Tree();
        var t2 = await Tree();
        var t3 = await Tree();
        foreach (var t in new[] { t1, t2, t3 }) Assert.Empty(Oracles.TreeViolations((await s.Tree(core, t.Root)).Json));

        await fixture.RestartWith(async c =>
        {
            // t1: the remainder 5,000.00 becomes 5,000.50.
            await EditState(c, "voucher-tree", t1.Root, tree => Fragment(tree, t1.Remainder)["AmountFen"] = 500_050L);
            // t2: s2's fragment names a parent that does not exist.
            await EditState(c, "voucher-tree", t2.Root, tree => Fragment(tree, t2.Moved)["ParentId"] = t2.Root + "-99");
            // t3: s2's fragment is stored twice.
            await EditState(c, "voucher-tree", t3.Root, tree => tree["Fragments"]!.AsArray().Add(Fragment(tree, t3.Moved).DeepClone()));
        });
        core = Rebind(core);

        // Every broken tree still loads and is shown as stored; the oracle names what is wrong with each.
        var tree1 = (await new Scenario(Host).Tree(core, t1.Root)).Json;
        Assert.Equal(500_050L, (long)(tree1.GetProperty("fragments").EnumerateArray().Single(f => f.GetProperty("id").GetString() == t1.Remainder)
            .GetProperty("amount").GetDecimal() * 100));
        Assert.Equal(
            [
                $"{t1.Root}: live fragments sum to {10_000.50m} and settled to 0, the face is {10_000.00m} (root split)",
                $"{t1.Root}: transferred {t1.Transferred} of {6_000.00m} has children summing to {6_000.50m}",
            ],
            Oracles.TreeViolations(tree1));

        var tree2 = (await new Scenario(Host).Tree(core, t2.Root)).Json;
        Assert.Equal(
            [
                $"{t2.Root}: {t2.Moved} has parent {t2.Root}-99, not in the tree",
                $"{t2.Root}: transferred {t2.Transferred} of {6_000.00m} has children summing to {5_000.00m}",
            ],
            Oracles.TreeViolations(tree2));

        var tree3 = (await new Scenario(Host).Tree(core, t3.Root)).Json;
        Assert.Equal(2, tree3.GetProperty("fragments").EnumerateArray().Count(f => f.GetProperty("id").GetString() == t3.Moved));
        Assert.Equal(
            [
                $"{t3.Root}: fragment {t3.Moved} appears 2 times",
                $"{t3.Root}: live fragments sum to {11_000.00m} and settled to 0, the face is {10_000.00m} (root split)",
                $"{t3.Root}: transferred {t3.Transferred} of {6_000.00m} has children summing to {7_000.00m}",
            ],
            Oracles.TreeViolations(tree3));

        // The check other tests use fails on each of them.
        foreach (var root in new[] { t1.Root, t2.Root, t3.Root })
            await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => new Scenario(Host).AssertTreeSums(core, root));
    }

    [Fact]
    public async Task AcknowledgedEffects_NameTheMovedTheLostTheInventedAndTheMisreportedFragment()
    {
        var s = new Scenario(Host);
        var (core, s1, bank, _) = await s.Cast(1_000_000m);
        var s2 = await s.Participant("supplier");
        var maturity = (await s.Today()).AddDays(90).ToString("yyyy-MM-dd");
        var acknowledged = new List<JsonElement>();
        async Task<JsonElement> Ack(Party caller, string path, object? body = null)
        {
            var answer = await caller.Client.Post(path, body);
            Assert.True((int)answer.Status is >= 200 and < 300, answer.Text);
            acknowledged.Add(answer.Json);
            return answer.Json;
        }
        async Task<string> Issue()
        {
            var root = (await Ack(core, "/v1/vouchers", new { beneficiaryId = s1.Id, amount = 10_000m, maturityDate = maturity })).GetProperty("id").GetString()!;
            await Ack(s1, $"/v1/vouchers/{root}/accept");
            return root;
        }

        // a: split; 2,000.00 passed to s2, who accepts; the rest discounted whole to the bank.
        var a = await Issue();
        var aSplit = await Ack(s1, $"/v1/vouchers/{a}/split", new { amounts = new[] { 7_000m, 3_000m } });
        var aTransfer = await Ack(s1, $"/v1/vouchers/{Child(aSplit, 0)}/transfer", new { toId = s2.Id, amount = 2_000m });
        var atS2 = Id(aTransfer, "transferred");
        await Ack(s2, $"/v1/vouchers/{atS2}/accept");
        await Ack(s1, $"/v1/vouchers/{Child(aSplit, 1)}/discount", new { funderId = bank.Id, amount = 3_000m });
        // b: split, then 1,000.00 of the first half passed to s2; its stored state just before that transfer is kept.
        var b = await Issue();
        var bSplit = await Ack(s1, $"/v1/vouchers/{b}/split", new { amounts = new[] { 5_000m, 5_000m } });
        StoredState bBefore;
        await using (var c = fixture.Database.Open()) bBefore = await ReadState(c, "voucher-tree", b);
        var bTransfer = await Ack(s1, $"/v1/vouchers/{Child(bSplit, 0)}/transfer", new { toId = s2.Id, amount = 1_000m });
        // c: split.
        var c3 = await Issue();
        var cSplit = await Ack(s1, $"/v1/vouchers/{c3}/split", new { amounts = new[] { 6_000m, 4_000m } });
        var roots = new[] { a, b, c3 };

        async Task<Dictionary<string, JsonElement>> Stored()
        {
            var stored = new Dictionary<string, JsonElement>();
            foreach (var root in roots)
                foreach (var f in (await new Scenario(Host).Tree(Rebind(core), root)).Json.GetProperty("fragments").EnumerateArray())
                    stored.Add(f.GetProperty("id").GetString()!, f);
            return stored;
        }
        var before = await Stored();
        Assert.Equal(13, before.Count); // a: root, 2 halves, transferred and remainder (a whole discount moves a fragment); b: the same; c: root and 2 halves
        Assert.Empty(Oracles.AcknowledgedEffects(acknowledged, before, roots, finalStates: true));

        // (d) An answer that says something other than what happened: c's first child acknowledged as 6,000.01.
        var altered = JsonNode.Parse(cSplit.GetRawText())!;
        altered["children"]![0]!["amount"] = 6_000.01m;
        var misreported = JsonDocument.Parse(altered.ToJsonString()).RootElement;
        var answers = acknowledged.Select(x => x.GetRawText() == cSplit.GetRawText() ? misreported : x).ToList();
        Assert.Equal([$"{Child(cSplit, 0)}: amount was acknowledged as 6000.01 and is stored as {before[Child(cSplit, 0)].GetProperty("amount")}"],
            Oracles.AcknowledgedEffects(answers, before, roots, finalStates: true));

        await fixture.RestartWith(async conn =>
        {
            // (a) s2's accepted 2,000.00 of a is now s1's.
            await EditState(conn, "voucher-tree", a, tree => Fragment(tree, atS2)["HolderId"] = s1.Id);
            // (b) b's transfer lost: the state stored before it, under the row's current version.
            var now = await ReadState(conn, "voucher-tree", b);
            Assert.True(now.Version > bBefore.Version);
            await StoredStates.WriteAsync(conn, "voucher-tree", b, bBefore.State, now.Version);
            // (c) a fragment of 100.00 under c's second child that no answer created.
            await EditState(conn, "voucher-tree", c3, tree =>
            {
                var invented = Fragment(tree, Child(cSplit, 1)).DeepClone().AsObject();
                invented["Id"] = $"{c3}-99";
                invented["ParentId"] = Child(cSplit, 1);
                invented["AmountFen"] = 10_000L;
                tree["Fragments"]!.AsArray().Add(invented);
            });
        });

        var after = await Stored();
        var bTransferred = Id(bTransfer, "transferred");
        var bRemainder = Id(bTransfer, "remainder");
        var expected = new[]
        {
            $"{atS2}: holderId was last acknowledged as {s2.Id} and is stored as {s1.Id}",
            $"acknowledged fragment {bTransferred} is not stored: {bTransfer.GetProperty("transferred")}",
            $"acknowledged fragment {bRemainder} is not stored: {bTransfer.GetProperty("remainder")}",
            $"{Child(bSplit, 0)}: status was last acknowledged as transferred and is stored as active",
            $"{c3}-99 is stored but no acknowledged answer created it: {after[$"{c3}-99"]}",
        };
        Assert.Equal(expected.Order(StringComparer.Ordinal), Oracles.AcknowledgedEffects(acknowledged, after, roots, finalStates: true).Order(StringComparer.Ordinal));
        // Without final states, only what the answers created is checked: the moved holder and the stale status are not its business.
        Assert.Equal(expected.Where(e => !e.Contains("last acknowledged")).Order(StringComparer.Ordinal),
            Oracles.AcknowledgedEffects(acknowledged, after, roots, finalStates: false).Order(StringComparer.Ordinal));
    }
}
