using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// The worked example of DOMAIN.md, end to end through HTTP against the manual clock: a group of A, B and C, caps of
/// 30,000.00, 6% a year; a pool with a balance of 30,000.00, leverage 4, coverage 0.5, floor 20,000.00. A borrows
/// 100,000.00 for 90 days and the funder enrolls it (covered 100,000 of capacity 120,000: a pool_capacity alert). Unpaid,
/// it is overdue on day 91 and defaulted on day 120 with a loss of 102,000.00; B and C are called 30,000.00 each; of the
/// 42,000.00 left the pool pays half, 21,000.00 (balance 9,000.00, below the floor: a pool_floor alert); the funder bears
/// 21,000.00; the group is frozen. Then a second default in the same group finds the caps already spent. Own database
/// and host: the clock is this test's own.
/// </summary>
public sealed class GuaranteeWaterfallTests() : OwnHostTest("waterfall")
{
    [Fact]
    public async Task TheWorkedExample_CallsBAndC_ThePoolPaysHalfOfTheRest_TheFunderBearsTheRest_AndASecondDefaultFindsTheCapsSpent()
    {
        var (funder, a, b, c, group, _, pool) = await WorkedExample.Build(S);

        var loanA = (await a.Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 100_000m, termDays = 90 })).Expect(HttpStatusCode.Created).Id;
        var enrolled = (await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loanA })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((30_000m, 100_000m, 120_000m), (enrolled.GetProperty("balance").GetDecimal(), enrolled.GetProperty("covered").GetDecimal(),
            enrolled.GetProperty("capacity").GetDecimal()));
        Assert.Equal(pool, (await Loan(funder, loanA)).GetProperty("poolId").GetString());
        var capacityAlert = await Eventually.Value(async () => await Alerts(pool), found => found.Count > 0, TimeSpan.FromSeconds(30), "the pool_capacity alert");
        Assert.Equal("pool_capacity", Assert.Single(capacityAlert).GetProperty("kind").GetString());
        var loanB = (await b.Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 10_000m, termDays = 100 })).Expect(HttpStatusCode.Created).Id;

        await AdvanceDays(91);
        Assert.Equal("overdue", (await Loan(funder, loanA)).GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, (await Loan(funder, loanA)).GetProperty("waterfall").ValueKind);
        Assert.Equal("active", (await Group(funder, group)).GetProperty("status").GetString());

        // Day 120: A defaults. Interest stops there: 100,000 × 0.06 × 120 / 360 = 2,000.00, so the loss is 102,000.00.
        await AdvanceDays(29);
        var defaulted = await Eventually.Value(async () => await Loan(funder, loanA), l => l.GetProperty("waterfall").ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30), "A's waterfall is taken");
        Assert.Equal("defaulted", defaulted.GetProperty("status").GetString());
        AssertWaterfall(defaulted, 102_000m, Sorted((b.Id, 30_000m), (c.Id, 30_000m)), pool, 21_000m, funderLoss: 21_000m);
        var paid = (await S.Operator.Get($"/v1/risk-pools/{pool}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((9_000m, 0m, 36_000m), (paid.GetProperty("balance").GetDecimal(), paid.GetProperty("covered").GetDecimal(),
            paid.GetProperty("capacity").GetDecimal()));
        var payout = Assert.Single(paid.GetProperty("payouts").EnumerateArray().ToList());
        Assert.Equal((loanA, funder.Id, 21_000m, (await S.Today()).ToString("yyyy-MM-dd")), (payout.GetProperty("loanId").GetString(),
            payout.GetProperty("funderId").GetString(), payout.GetProperty("amount").GetDecimal(), payout.GetProperty("on").GetString()));
        var poolAlerts = await Eventually.Value(async () => await Alerts(pool), found => found.Count > 1, TimeSpan.FromSeconds(30), "the pool_floor alert");
        Assert.Equal(["pool_capacity", "pool_floor"], poolAlerts.Select(x => x.GetProperty("kind").GetString()!).Order().ToArray());

        var frozen = await Group(funder, group);
        Assert.Equal("frozen", frozen.GetProperty("status").GetString());
        Assert.Equal(Sorted((a.Id, 0m), (b.Id, 30_000m), (c.Id, 30_000m)), CapsUsed(frozen));
        AssertProblem(await c.Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 1m, termDays = 10 }), HttpStatusCode.Conflict, "invalid_state");
        var alerts = await Eventually.Value(async () => await Alerts(group), found => found.Count > 0, TimeSpan.FromSeconds(30), "the group_frozen alert");
        Assert.Equal("group_frozen", Assert.Single(alerts).GetProperty("kind").GetString());
        // Every member and the funder see A's loan and how its loss was borne.
        foreach (var who in new[] { a, b, c })
            AssertWaterfall(await Loan(who, loanA), 102_000m, Sorted((b.Id, 30_000m), (c.Id, 30_000m)), pool, 21_000m, funderLoss: 21_000m);

        // Day 130: B defaults. 10,000 × 0.06 × 130 / 360 = 216.666… → 216.67: a loss of 10,216.67. C's cap is spent; A still
        // has its whole cap (a member that defaulted is still bound as a guarantor) and is called for all of it.
        await AdvanceDays(10);
        var second = await Eventually.Value(async () => await Loan(funder, loanB), l => l.GetProperty("waterfall").ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30), "B's waterfall is taken");
        AssertWaterfall(second, 10_216.67m, Sorted((a.Id, 10_216.67m), (c.Id, 0m)), null, 0m, funderLoss: 0m);
        Assert.Equal(Sorted((a.Id, 10_216.67m), (b.Id, 30_000m), (c.Id, 30_000m)), CapsUsed(await Group(funder, group)));
        Assert.Single(await Alerts(group));

        // Time passing and reads change nothing: each call was applied once.
        await AdvanceDays(5);
        AssertWaterfall(await Loan(funder, loanA), 102_000m, Sorted((b.Id, 30_000m), (c.Id, 30_000m)), pool, 21_000m, funderLoss: 21_000m);
        Assert.Equal(9_000m, (await S.Operator.Get($"/v1/risk-pools/{pool}")).Amount("balance"));
        Assert.Equal(Sorted((a.Id, 10_216.67m), (b.Id, 30_000m), (c.Id, 30_000m)), CapsUsed(await Group(funder, group)));
    }

    private static void AssertWaterfall(JsonElement loan, decimal loss, (string, decimal)[] calls, string? poolId, decimal poolPayment, decimal funderLoss)
    {
        var w = loan.GetProperty("waterfall");
        Assert.Equal(loss, w.GetProperty("loss").GetDecimal());
        Assert.Equal(calls, w.GetProperty("guarantorCalls").EnumerateArray()
            .Select(x => (x.GetProperty("memberId").GetString()!, x.GetProperty("amount").GetDecimal())).OrderBy(x => x.Item1, StringComparer.Ordinal)
            .ToArray());
        Assert.Equal(poolId, w.GetProperty("poolId").GetString());
        Assert.Equal(poolPayment, w.GetProperty("poolPayment").GetDecimal());
        Assert.Equal(funderLoss, w.GetProperty("funderLoss").GetDecimal());
        Assert.Equal(loss, calls.Sum(x => x.Item2) + w.GetProperty("poolPayment").GetDecimal() + funderLoss);
    }

    private static (string, decimal)[] Sorted(params (string, decimal)[] rows) => rows.OrderBy(r => r.Item1, StringComparer.Ordinal).ToArray();

    private static (string, decimal)[] CapsUsed(JsonElement group) =>
        group.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("capUsed").GetDecimal()))
            .OrderBy(m => m.Item1, StringComparer.Ordinal).ToArray();

    private static async Task<JsonElement> Loan(Party who, string id) => (await who.Client.Get($"/v1/loans/{id}")).Expect(HttpStatusCode.OK).Json;

    private static async Task<JsonElement> Group(Party who, string id) => (await who.Client.Get($"/v1/guarantee-groups/{id}")).Expect(HttpStatusCode.OK).Json;

    private async Task<List<JsonElement>> Alerts(string subjectId)
    {
        var page = (await S.Operator.Get("/v1/risk/alerts")).Expect(HttpStatusCode.OK).Json;
        return page.GetProperty("items").EnumerateArray().Where(x => x.GetProperty("subjectId").GetString() == subjectId).ToList();
    }

}
