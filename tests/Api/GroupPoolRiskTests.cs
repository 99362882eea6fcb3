using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Risk additions for guarantee groups and risk pools, on DOMAIN.md's worked example through HTTP against the manual clock:
/// the lists by group and by pool and their detail, the stress test with contagion before the default, the guarantee calls
/// as exposures of the members called after it, reconciliation over them, and who may see what. Own database and host.
/// </summary>
public sealed class GroupPoolRiskTests() : OwnHostTest("grouprisk")
{
    [Fact]
    public async Task TheWorkedExample_AsRiskStaffSeeIt_BeforeAndAfterTheDefault()
    {
        var (funder, a, b, c, group, sponsor, pool) = await WorkedExample.Build(S);
        var otherFunder = await S.Participant("funder");
        var loanA = (await a.Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 100_000m, termDays = 90 })).Expect(HttpStatusCode.Created).Id;
        (await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loanA })).Expect(HttpStatusCode.OK);
        var all = await Staff();
        var scopedOther = await Staff(otherFunder.Id);

        // Before the default: the lists and the detail.
        var groups = await Eventually.Value(async () => await Items(all, "group"), i => i.Any(g => Outstanding(g) == 100_000m), TimeSpan.FromSeconds(30),
            "the group's read model shows A's loan");
        var listed = Assert.Single(groups);
        Assert.Equal((group, funder.Id, "active", 200_000m, 100_000m, 0m, 90_000m), GroupRow(listed));
        var pools = await Items(all, "pool");
        Assert.Equal((pool, "active", 100_000m, 120_000m, 30_000m, 20_000m), PoolRow(Assert.Single(pools)));
        var groupDetail = (await all.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(Sorted((a.Id, 30_000m, 0m, 100_000m), (b.Id, 30_000m, 0m, 0m), (c.Id, 30_000m, 0m, 0m)), Members(groupDetail));
        Assert.Equal([(loanA, a.Id, "active", 100_000m)], Loans(groupDetail));
        var poolDetail = (await all.Client.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((100_000m, 120_000m, 30_000m, 30_000m, 0m), (poolDetail.Amount("covered"), poolDetail.Amount("capacity"), poolDetail.Amount("balance"),
            poolDetail.Amount("contributed"), poolDetail.Amount("paidOut")));
        Assert.Equal([(loanA, a.Id, "active", 100_000m)], Loans(poolDetail));

        // The stress test before the default: B and C would pay their caps, the pool half of the rest; with B defaulting too, B's
        // call recovers nothing.
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));
        Assert.Equal([(funder.Id, 100_000m, 60_000m, 20_000m, 20_000m)], await Stress(all, a.Id));
        Assert.Equal([(funder.Id, 100_000m, 30_000m, 20_000m, 50_000m)], await Stress(all, a.Id, b.Id));
        Assert.Empty(await Stress(scopedOther, a.Id));

        // Day 120: A defaults; the waterfall calls B and C 30,000.00 each and the pool pays 21,000.00.
        await AdvanceDays(91);
        await AdvanceDays(29);
        await Eventually.True(async () => (await Loan(funder, loanA)).GetProperty("waterfall").ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30),
            "A's waterfall is taken");
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30), "the guarantee calls reach the aggregates");
        var frozen = await Eventually.Value(async () => Assert.Single(await Items(all, "group")), g => g.GetProperty("status").GetString() == "frozen",
            TimeSpan.FromSeconds(30), "the group's read model is frozen");
        Assert.Equal((group, funder.Id, "frozen", 200_000m, 100_000m, 60_000m, 90_000m), GroupRow(frozen));
        Assert.Equal((pool, "active", 0m, 36_000m, 9_000m, 20_000m), PoolRow(Assert.Single(await Items(all, "pool"))));
        groupDetail = (await all.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(Sorted((a.Id, 30_000m, 0m, 100_000m), (b.Id, 30_000m, 30_000m, 0m), (c.Id, 30_000m, 30_000m, 0m)), Members(groupDetail));
        Assert.Equal([(loanA, a.Id, "defaulted", 100_000m)], Loans(groupDetail));
        poolDetail = (await all.Client.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((0m, 9_000m, 30_000m, 21_000m), (poolDetail.Amount("covered"), poolDetail.Amount("balance"), poolDetail.Amount("contributed"),
            poolDetail.Amount("paidOut")));

        // Each call is an exposure of the member called to the funder (status "called").
        foreach (var member in new[] { b, c })
        {
            var exposure = (await all.Client.Get($"/v1/risk/exposures/obligor/{member.Id}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal(30_000m, exposure.Amount("outstanding"));
            Assert.Equal(30_000m, exposure.GetProperty("byStatus").GetProperty("called").GetDecimal());
            var holder = Assert.Single(exposure.GetProperty("byCounterparty").EnumerateArray().ToList());
            Assert.Equal((funder.Id, 30_000m), (holder.GetProperty("id").GetString(), holder.Amount("amount")));
        }
        var portfolio = (await funder.Client.Get($"/v1/risk/exposures/funder/{funder.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(160_000m, portfolio.Amount("outstanding"));
        var reconciliation = (await all.Client.Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.OK).Json;
        Assert.True(reconciliation.GetProperty("consistent").GetBoolean());
        Assert.Equal((1, 1), (reconciliation.GetProperty("groupsChecked").GetInt32(), reconciliation.GetProperty("poolsChecked").GetInt32()));
        Assert.Empty(reconciliation.GetProperty("bookDifferences").EnumerateArray());

        // After it, the stress test of B: its call is lost in full; nothing guarantees a call.
        Assert.Equal([(funder.Id, 30_000m, 0m, 0m, 30_000m)], await Stress(all, b.Id));

        // Who sees what: staff scoped to another funder see neither the group nor its loans in the pool; the funder sees its own
        // group and its own loans in the pool; members and sponsors are not risk staff.
        Assert.Empty(await Items(scopedOther, "group"));
        Assert.Equal("not_found", (await scopedOther.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.NotFound).Code);
        Assert.Empty(Loans((await scopedOther.Client.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.OK).Json));
        var scopedMine = await Staff(funder.Id);
        Assert.Equal(group, Assert.Single(await Items(scopedMine, "group")).GetProperty("id").GetString());
        (await funder.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.OK);
        (await S.Operator.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.OK);
        Assert.Single(Loans((await S.Operator.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.OK).Json));
        Assert.Single(Loans((await funder.Client.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.OK).Json));
        Assert.Equal("not_found", (await otherFunder.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.NotFound).Code);
        Assert.Equal("not_found", (await otherFunder.Client.Get($"/v1/risk/exposures/pool/{pool}")).Expect(HttpStatusCode.NotFound).Code);
        foreach (var outsider in new[] { a, sponsor })
        {
            Assert.Equal("forbidden", (await outsider.Client.Get($"/v1/risk/exposures/group/{group}")).Expect(HttpStatusCode.Forbidden).Code);
            Assert.Equal("forbidden", (await outsider.Client.Get("/v1/risk/exposures?by=group")).Expect(HttpStatusCode.Forbidden).Code);
        }
        foreach (var odd in new[] { "gg-nope", "rp-nope", "x", new string('g', 65) })
            Assert.Equal("not_found", (await all.Client.Get($"/v1/risk/exposures/{(odd.StartsWith('r') ? "pool" : "group")}/{odd}")).Expect(HttpStatusCode.NotFound).Code);
        Assert.Equal("not_found", (await all.Client.Get($"/v1/risk/exposures/pool/{group}")).Expect(HttpStatusCode.NotFound).Code);
    }

    private async Task<Party> Staff(string? funderId = null)
    {
        var created = (await S.Operator.Post("/v1/risk-staff", new { name = "analyst", funderId })).Expect(HttpStatusCode.Created);
        return new Party(created.Id, "risk", Host.Client(created.Json.GetProperty("apiKey").GetString()));
    }

    private static async Task<List<JsonElement>> Items(Party who, string by) =>
        (await who.Client.Get($"/v1/risk/exposures?by={by}")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray().ToList();

    private static decimal Outstanding(JsonElement g) => g.Amount("outstanding");

    private static (string?, string?, string?, decimal, decimal, decimal, decimal) GroupRow(JsonElement g) =>
        (g.GetProperty("id").GetString(), g.GetProperty("funderId").GetString(), g.GetProperty("status").GetString(), g.Amount("groupLimit"),
            g.Amount("outstanding"), g.Amount("capUsed"), g.Amount("capTotal"));

    private static (string?, string?, decimal, decimal, decimal, decimal) PoolRow(JsonElement p) =>
        (p.GetProperty("id").GetString(), p.GetProperty("status").GetString(), p.Amount("covered"), p.Amount("capacity"), p.Amount("balance"), p.Amount("floor"));

    private static (string, decimal, decimal, decimal)[] Members(JsonElement detail) =>
        detail.GetProperty("members").EnumerateArray()
            .Select(m => (m.GetProperty("id").GetString()!, m.Amount("cap"), m.Amount("capUsed"), m.Amount("outstanding")))
            .OrderBy(m => m.Item1, StringComparer.Ordinal).ToArray();

    private static (string, decimal, decimal, decimal)[] Sorted(params (string, decimal, decimal, decimal)[] rows) =>
        rows.OrderBy(r => r.Item1, StringComparer.Ordinal).ToArray();

    private static List<(string?, string?, string?, decimal)> Loans(JsonElement detail) =>
        detail.GetProperty("loans").EnumerateArray()
            .Select(l => (l.GetProperty("loanId").GetString(), l.GetProperty("borrowerId").GetString(), l.GetProperty("status").GetString(), l.Amount("outstanding")))
            .ToList();

    private static async Task<List<(string?, decimal, decimal, decimal, decimal)>> Stress(Party who, params string[] defaulting) =>
        (await who.Client.Post("/v1/risk/stress", new { defaultingIds = defaulting })).Expect(HttpStatusCode.OK).Json.GetProperty("losses").EnumerateArray()
            .Select(l => (l.GetProperty("funderId").GetString(), l.Amount("exposure"), l.Amount("guarantorRecovery"), l.Amount("poolRecovery"), l.Amount("netLoss")))
            .ToList();

    private static async Task<JsonElement> Loan(Party who, string id) => (await who.Client.Get($"/v1/loans/{id}")).Expect(HttpStatusCode.OK).Json;

}
