using System.Net;
using System.Text.Json;
using Orleans.Runtime;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Risk;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>Exposure events flow from the trees to the risk aggregates; risk staff read them; reconciliation checks them.</summary>
public sealed class RiskTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    private async Task<Party> Staff(string? funderId = null)
    {
        var created = (await S.Operator.Post("/v1/risk-staff", new { name = "analyst", funderId })).Expect(HttpStatusCode.Created);
        return new Party(created.Id, "risk", fixture.Host.Client(created.Json.GetProperty("apiKey").GetString()));
    }

    private static decimal At(JsonElement map, string key) => map.TryGetProperty(key, out var v) ? v.GetDecimal() : 0m;

    [Fact]
    public async Task Events_the_risk_grain_could_not_apply_are_sent_again_by_their_producer_while_it_stays_active()
    {
        var (core, s1, _, _) = await S.Cast(1_000_000m, rate: 0.036m);
        var s2 = await S.Participant("supplier");
        var root = await S.ActiveVoucher(core, s1, 10_000m, days: 90);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));

        // For a while the aggregate refuses every event: the risk grain drops the batch unacknowledged. The sequence counts
        // the refusals (nextval is not rolled back with the statement it is in).
        await using var db = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await db.OpenAsync();
        async Task Sql(string sql) { await using var c = new Npgsql.NpgsqlCommand(sql, db); await c.ExecuteNonQueryAsync(); }
        await Sql("""
            CREATE SEQUENCE test_refusals;
            CREATE FUNCTION test_refuse_exposures() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM nextval('test_refusals'); RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER test_refuse_exposures BEFORE INSERT ON exposure_events FOR EACH STATEMENT EXECUTE FUNCTION test_refuse_exposures();
            """);
        try
        {
            (await s1.Client.Post($"/v1/vouchers/{root}/transfer", new { toId = s2.Id, amount = 4_000m })).Expect(HttpStatusCode.Created);
            await Eventually.True(async () =>
            {
                await using var c = new Npgsql.NpgsqlCommand("SELECT is_called FROM test_refusals", db);
                return (bool)(await c.ExecuteScalarAsync())!;
            }, TimeSpan.FromSeconds(30), "the risk grain tries the transfer's events");
        }
        finally
        {
            await Sql("DROP TRIGGER test_refuse_exposures ON exposure_events; DROP FUNCTION test_refuse_exposures(); DROP SEQUENCE test_refusals;");
        }

        // The tree stays active and writes nothing more: only its timer sends the events again (every 2 s).
        await S.ExposuresReconcile(TimeSpan.FromSeconds(15), "the producer's timer sends the refused events again");
        var obligor = (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((6_000m, 4_000m), (At(obligor.GetProperty("byStatus"), "active"), At(obligor.GetProperty("byStatus"), "pending")));
    }

    [Fact]
    public async Task Exposures_FollowTheLifecycle_ExactlyToTheFen()
    {
        var (core, s1, bank, facility) = await S.Cast(1_000_000m, rate: 0.036m);
        var s2 = await S.Participant("supplier");
        var root = await S.ActiveVoucher(core, s1, 100_000m, days: 90);
        var split = (await s1.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 70_000m, 30_000m } })).Expect(HttpStatusCode.Created).Json;
        var first = split.GetProperty("children")[0].GetProperty("id").GetString();
        var second = split.GetProperty("children")[1].GetProperty("id").GetString();
        (await s1.Client.Post($"/v1/vouchers/{first}/transfer", new { toId = s2.Id, amount = 20_000m })).Expect(HttpStatusCode.Created);
        (await s1.Client.Post($"/v1/vouchers/{second}/discount", new { funderId = bank.Id, amount = 30_000m })).Expect(HttpStatusCode.Created);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));

        var obligor = (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(100_000m, obligor.GetProperty("outstanding").GetDecimal());
        Assert.Equal((50_000m, 20_000m, 30_000m), (At(obligor.GetProperty("byStatus"), "active"), At(obligor.GetProperty("byStatus"), "pending"),
            At(obligor.GetProperty("byStatus"), "financed")));
        Assert.Equal((80_000m, 20_000m), (At(obligor.GetProperty("byTier"), "1"), At(obligor.GetProperty("byTier"), "2")));
        Assert.Equal((70_000m, 30_000m), (At(obligor.GetProperty("byHolderType"), "supplier"), At(obligor.GetProperty("byHolderType"), "funder")));

        var funder = (await bank.Client.Get($"/v1/risk/exposures/funder/{bank.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(30_000m, funder.GetProperty("outstanding").GetDecimal());
        Assert.Equal(1.0m, funder.GetProperty("concentration").GetDecimal());
        Assert.Equal((facility, 30_000m), (funder.GetProperty("facilities")[0].GetProperty("facilityId").GetString(),
            funder.GetProperty("facilities")[0].GetProperty("used").GetDecimal()));

        var chain = (await core.Client.Get($"/v1/risk/chains/{core.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((100_000m, 30_000m, 70_000m), (chain.GetProperty("total").GetDecimal(), chain.GetProperty("funderHeld").GetDecimal(),
            chain.GetProperty("supplierHeld").GetDecimal()));
        Assert.Equal([1, 2], chain.GetProperty("tiers").EnumerateArray().Select(t => t.GetProperty("tier").GetInt32()).ToList());

        var top = (await S.Operator.Get("/v1/risk/exposures?by=funder&top=100")).Expect(HttpStatusCode.OK).Json.GetProperty("items");
        Assert.Contains(top.EnumerateArray(), i => i.GetProperty("id").GetString() == bank.Id && i.GetProperty("amount").GetDecimal() == 30_000m);

        var stress = (await S.Operator.Post("/v1/risk/stress", new { defaultingIds = new[] { core.Id } })).Expect(HttpStatusCode.OK).Json.GetProperty("losses");
        Assert.Equal((bank.Id, 30_000m, 30_000m), (stress[0].GetProperty("funderId").GetString(), stress[0].GetProperty("exposure").GetDecimal(),
            stress[0].GetProperty("netLoss").GetDecimal()));

        // At maturity the core repays: every position closes.
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 90 })).Expect(HttpStatusCode.OK);
        (await core.Client.Post($"/v1/vouchers/{root}/repay")).Expect(HttpStatusCode.OK);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));
        Assert.Equal(0m, (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Json.GetProperty("outstanding").GetDecimal());

        // Each event says what happened, and the deltas of all of them sum to nothing left outstanding.
        var events = await fixture.Host.Services.GetRequiredService<IExposureStore>().EventsAsync(core.Id);
        // The transfer to s2 was never answered: 7 days later it went back to s1 ("rejected").
        Assert.Equal(["accepted", "discounted", "issued", "rejected", "settled", "split", "transferred"], events.Select(e => e.Kind).Distinct().Order().ToList());
        Assert.Equal(0m, events.Sum(e => (e.After?.Amount ?? 0) - (e.Before?.Amount ?? 0)));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task EveryEventDeliveredTwiceAndOutOfOrder_ChangesNothing()
    {
        var (core, s1, bank, _) = await S.Cast(1_000_000m);
        var s2 = await S.Participant("supplier");
        for (var i = 0; i < 3; i++)
        {
            var root = await S.ActiveVoucher(core, s1, 10_000m + i);
            var t = (await s1.Client.Post($"/v1/vouchers/{root}/transfer", new { toId = s2.Id, amount = 4_000m })).Expect(HttpStatusCode.Created).Json;
            (await s2.Client.Post($"/v1/vouchers/{t.GetProperty("transferred").GetProperty("id").GetString()}/accept")).Expect(HttpStatusCode.OK);
            (await s1.Client.Post($"/v1/vouchers/{t.GetProperty("remainder").GetProperty("id").GetString()}/discount", new { funderId = bank.Id, amount = 1_000m }))
                .Expect(HttpStatusCode.Created);
        }
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));
        var before = (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.OK).Text;

        var store = fixture.Host.Services.GetRequiredService<IExposureStore>();
        var events = (await store.EventsAsync(core.Id)).Select(e => new ExposureEvent(e.Id, e.RootId, e.InstrumentId, e.ObligorId,
            Position(e.Before), Position(e.After), e.At, e.Kind)).ToList();
        Assert.True(events.Count >= 12, $"{events.Count} events");

        var risk = fixture.Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IObligorRiskGrain>(core.Id);
        var (_, duplicatesBefore) = await risk.GetCounters();
        var stream = fixture.Host.Services.GetRequiredService<IClusterClient>().GetStreamProvider(Exposures.Provider)
            .GetStream<ExposureBatch>(StreamId.Create(Exposures.Namespace, core.Id));
        var reordered = events.AsEnumerable().Reverse().ToList();
        // A batch comes from one producer (here every event is a tree's), which the risk grain acknowledges.
        async Task Send(IEnumerable<ExposureEvent> replayed)
        {
            foreach (var tree in replayed.GroupBy(e => e.RootId))
                await stream.OnNextAsync(new ExposureBatch(tree.ToList(), EntityRef.Tree(tree.Key)));
        }
        await Send(reordered.Where((_, i) => i % 2 == 0));
        await Send(events);
        await Send(reordered.Where((_, i) => i % 2 == 1));
        await Eventually.True(async () => (await risk.GetCounters()).Duplicates - duplicatesBefore >= 2 * events.Count,
            TimeSpan.FromSeconds(30), "every replayed event reached the risk grain");

        Assert.Equal(before, (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.OK).Text);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));
    }

    private static ExposurePosition? Position(PositionRow? p) =>
        p is null ? null : new ExposurePosition(p.HolderId, p.HolderRole, p.Status, p.Tier, (long)(p.Amount * 100));

    [Fact]
    public async Task RiskEndpoints_AreForRiskStaff_AndScopedStaffSeeOnlyTheirFunder()
    {
        var (core, s1, bank, _) = await S.Cast(1_000_000m);
        var other = await S.Participant("funder");
        await S.Facility(other, core, 1_000_000m);
        var root = await S.ActiveVoucher(core, s1, 10_000m);
        var d = (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 3_000m })).Expect(HttpStatusCode.Created).Json;
        (await s1.Client.Post($"/v1/vouchers/{d.GetProperty("remainder").GetProperty("id").GetString()}/discount", new { funderId = other.Id, amount = 2_000m }))
            .Expect(HttpStatusCode.Created);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));

        foreach (var party in new[] { core, s1 })
            Assert.Equal("forbidden", (await party.Client.Get("/v1/risk/exposures?by=obligor")).Expect(HttpStatusCode.Forbidden).Code);
        Assert.Equal("forbidden", (await bank.Client.Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.Forbidden).Code);
        Assert.Equal("forbidden", (await s1.Client.Post("/v1/risk/stress", new { defaultingIds = new[] { core.Id } })).Expect(HttpStatusCode.Forbidden).Code);
        Assert.Equal("forbidden", (await s1.Client.Get($"/v1/risk/chains/{core.Id}")).Expect(HttpStatusCode.Forbidden).Code);

        // A funder sees its own portfolio, and nobody else's.
        (await bank.Client.Get($"/v1/risk/exposures/funder/{bank.Id}")).Expect(HttpStatusCode.OK);
        Assert.Equal("not_found", (await bank.Client.Get($"/v1/risk/exposures/funder/{other.Id}")).Expect(HttpStatusCode.NotFound).Code);
        Assert.Equal("not_found", (await bank.Client.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.NotFound).Code);
        var core2 = await S.Participant("core");
        Assert.Equal("not_found", (await core2.Client.Get($"/v1/risk/chains/{core.Id}")).Expect(HttpStatusCode.NotFound).Code);

        var scoped = await Staff(bank.Id);
        var all = await Staff();
        var seen = (await scoped.Client.Get($"/v1/risk/exposures/obligor/{core.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(3_000m, seen.GetProperty("outstanding").GetDecimal());
        Assert.Equal([bank.Id], seen.GetProperty("byCounterparty").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList());
        Assert.Equal(10_000m, (await all.Client.Get($"/v1/risk/exposures/obligor/{core.Id}")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal("not_found", (await scoped.Client.Get($"/v1/risk/exposures/funder/{other.Id}")).Expect(HttpStatusCode.NotFound).Code);
        var funders = (await scoped.Client.Get("/v1/risk/exposures?by=funder&top=100")).Json.GetProperty("items");
        Assert.Equal([bank.Id], funders.EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList());
        var losses = (await scoped.Client.Post("/v1/risk/stress", new { defaultingIds = new[] { core.Id } })).Expect(HttpStatusCode.OK).Json.GetProperty("losses");
        Assert.Equal([(bank.Id, 3_000m)], losses.EnumerateArray().Select(l => (l.GetProperty("funderId").GetString(), l.GetProperty("netLoss").GetDecimal())).ToList());
        Assert.Equal(3_000m, (await scoped.Client.Get($"/v1/risk/chains/{core.Id}")).Json.GetProperty("total").GetDecimal());
    }
}
