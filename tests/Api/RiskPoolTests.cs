using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Risk pools through HTTP (API.md, "Risk pools"): set-up and contributions by the operator, enrollment by the loan's
/// funder within capacity = balance × leverage, cover that follows the loan, who sees a pool, and bad input that answers a
/// problem and changes nothing. (The pool's payment on a default is in GuaranteeWaterfallTests, the worked example.)
/// </summary>
public sealed class RiskPoolTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    private async Task<(string Pool, Party Sponsor)> Pool(decimal balance = 10_000m, decimal leverage = 4m)
    {
        var sponsor = await S.Participant("sponsor");
        var pool = (await S.Operator.Post("/v1/risk-pools", new { name = "Pool", leverage, coverageRatio = 0.5m, floor = 1_000m })).Expect(HttpStatusCode.Created);
        Assert.Equal(("active", 0m, 0m), (pool.Json.GetProperty("status").GetString(), pool.Amount("balance"), pool.Amount("capacity")));
        (await S.Operator.Post($"/v1/risk-pools/{pool.Id}/contributions", new { contributorId = sponsor.Id, amount = balance })).Expect(HttpStatusCode.OK);
        return (pool.Id, sponsor);
    }

    /// <summary>A funder's loan of <paramref name="amount"/> against an order of its supplier.</summary>
    private async Task<(string Loan, Party Supplier, Party Funder)> Loan(decimal amount)
    {
        var core = await S.Participant("core");
        var supplier = await S.Participant("supplier");
        var funder = await S.Participant("funder");
        await S.Facility(funder, supplier, 1_000_000m);
        var order = await S.Order(core, supplier, amount * 2);
        return ((await S.Loan(supplier, order, funder, amount)).Id, supplier, funder);
    }

    private async Task<JsonElement> Read(string pool) => (await S.Operator.Get($"/v1/risk-pools/{pool}")).Expect(HttpStatusCode.OK).Json;

    [Fact]
    public async Task Contributions_AddToTheBalance_OncePerKey()
    {
        var (pool, sponsor) = await Pool(balance: 10_000m);
        var funder = await S.Participant("funder");
        var body = new { contributorId = funder.Id, amount = 2_500.50m };
        (await S.Operator.Post($"/v1/risk-pools/{pool}/contributions", body, "contribute-once")).Expect(HttpStatusCode.OK);
        (await S.Operator.Post($"/v1/risk-pools/{pool}/contributions", body, "contribute-once")).Expect(HttpStatusCode.OK);
        var read = await Read(pool);
        Assert.Equal((12_500.50m, 50_002m), (read.GetProperty("balance").GetDecimal(), read.GetProperty("capacity").GetDecimal()));
        Assert.Equal([(sponsor.Id, 10_000m), (funder.Id, 2_500.50m)], read.GetProperty("contributions").EnumerateArray()
            .Select(c => (c.GetProperty("contributorId").GetString(), c.GetProperty("amount").GetDecimal())).ToArray());
        // The contributor sees the pool; a funder with nothing in it does not.
        (await sponsor.Client.Get($"/v1/risk-pools/{pool}")).Expect(HttpStatusCode.OK);
        (await funder.Client.Get($"/v1/risk-pools/{pool}")).Expect(HttpStatusCode.OK);
        AssertProblem(await (await S.Participant("funder")).Client.Get($"/v1/risk-pools/{pool}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Enrollment_WithinCapacity_CoverFollowsTheLoan_AndALoanIsEnrolledOnce()
    {
        var (pool, _) = await Pool(balance: 10_000m, leverage: 4m); // capacity 40,000.00
        var (loan, supplier, funder) = await Loan(30_000m);
        var (bigger, _, otherFunder) = await Loan(10_000.01m);

        // The loan's funder enrolls it: covered 30,000.00; the funder now sees the pool.
        var enrolled = (await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }, "enroll-1")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(30_000m, enrolled.GetProperty("covered").GetDecimal());
        Assert.Equal(pool, (await funder.Client.Get($"/v1/loans/{loan}")).Expect(HttpStatusCode.OK).Json.GetProperty("poolId").GetString());
        // The same request again replays; another enrollment of the same loan is refused.
        (await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }, "enroll-1")).Expect(HttpStatusCode.OK);
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }), HttpStatusCode.Conflict, "invalid_state");

        // 30,000.00 + 10,000.01 > 40,000.00: limit_exceeded, and nothing changes on either side.
        AssertProblem(await otherFunder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = bigger }), HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(30_000m, (await Read(pool)).GetProperty("covered").GetDecimal());
        Assert.Equal(JsonValueKind.Null, (await otherFunder.Client.Get($"/v1/loans/{bigger}")).Expect(HttpStatusCode.OK).Json.GetProperty("poolId").ValueKind);

        // Cover follows the outstanding principal, and a repaid loan leaves it.
        (await supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 10_000m })).Expect(HttpStatusCode.OK);
        await Eventually.True(async () => (await Read(pool)).GetProperty("covered").GetDecimal() == 20_000m, TimeSpan.FromSeconds(20), "cover follows");
        var owed = (await supplier.Client.Get($"/v1/loans/{loan}")).Expect(HttpStatusCode.OK).Json;
        (await supplier.Client.Post($"/v1/loans/{loan}/repay",
            new { amount = owed.GetProperty("outstandingPrincipal").GetDecimal() + owed.GetProperty("accruedInterest").GetDecimal() })).Expect(HttpStatusCode.OK);
        await Eventually.True(async () => (await Read(pool)).GetProperty("covered").GetDecimal() == 0m, TimeSpan.FromSeconds(20), "a repaid loan leaves cover");
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }), HttpStatusCode.Conflict, "invalid_state");
    }

    [Fact]
    public async Task Enrollment_ByAnyoneButTheLoansFunder_OrOfUnknownThings_IsRefused_AndChangesNothing()
    {
        var (pool, _) = await Pool();
        var (loan, supplier, funder) = await Loan(1_000m);
        var stranger = await S.Participant("funder");
        AssertProblem(await stranger.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await supplier.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await S.Operator.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/rp{new string('z', 20)}/enrollments", new { loanId = loan }), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/nonsense/enrollments", new { loanId = loan }), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = "ln" + new string('z', 20) }), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = "x" }), HttpStatusCode.NotFound, "not_found");
        AssertValidation(await funder.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { }), "loanId");
        AssertProblem(await funder.Client.PostRaw($"/v1/risk-pools/{pool}/enrollments", JsonSerializer.Serialize(new { loanId = loan, covered = 1 })),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(0m, (await Read(pool)).GetProperty("covered").GetDecimal());
        Assert.Equal(JsonValueKind.Null, (await funder.Client.Get($"/v1/loans/{loan}")).Json.GetProperty("poolId").ValueKind);
    }

    [Fact]
    public async Task CreateAndContribute_BadInput_IsAProblemWithTheField_AndChangesNothing()
    {
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { leverage = 4m, coverageRatio = 0.5m, floor = 0m }, "name"),
                     (new { name = "P", leverage = 0m, coverageRatio = 0.5m, floor = 0m }, "leverage"),
                     (new { name = "P", leverage = 4m, coverageRatio = 1.5m, floor = 0m }, "coverageRatio"),
                     (new { name = "P", leverage = 4m, coverageRatio = 0m, floor = 0m }, "coverageRatio"),
                     (new { name = "P", leverage = 4m, coverageRatio = 0.5m, floor = -1m }, "floor"),
                     (new { name = "P", leverage = 4m, coverageRatio = 0.5m, floor = 0.001m }, "floor"),
                     (new { name = "P", leverage = 4m, coverageRatio = 0.5m }, "floor"),
                 })
            AssertValidation(await S.Operator.Post("/v1/risk-pools", body), field);
        AssertProblem(await (await S.Participant("funder")).Client.Post("/v1/risk-pools", new { name = "P", leverage = 4m, coverageRatio = 0.5m, floor = 0m }),
            HttpStatusCode.Forbidden, "forbidden");

        var (pool, sponsor) = await Pool(balance: 10_000m);
        var supplier = await S.Participant("supplier");
        AssertValidation(await S.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = supplier.Id, amount = 1m }), "contributorId");
        AssertValidation(await S.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = sponsor.Id, amount = 0m }), "amount");
        AssertValidation(await S.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = sponsor.Id, amount = 1.005m }), "amount");
        AssertProblem(await S.Operator.Post($"/v1/risk-pools/rp{new string('z', 20)}/contributions", new { contributorId = sponsor.Id, amount = 1m }),
            HttpStatusCode.NotFound, "not_found");
        AssertProblem(await sponsor.Client.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = sponsor.Id, amount = 1m }),
            HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(10_000m, (await Read(pool)).GetProperty("balance").GetDecimal());
    }
}
