using System.Net;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>Moving the manual clock processes what fell due, at once, for every reader including the list.</summary>
public sealed class MaturityTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    [Fact]
    public async Task AdvancingTheClock_MakesVouchersOverdueThenDefaulted_AndExpiresUnansweredOnes()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var s2 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        var facility = await S.Facility(bank, core, 100_000m);
        var due = await S.ActiveVoucher(core, s1, 1_000m, days: 20);
        var discounted = (await s1.Client.Post($"/v1/vouchers/{due}/discount", new { funderId = bank.Id, amount = 400m })).Expect(HttpStatusCode.Created);
        var financedId = discounted.Json.GetProperty("financed").GetProperty("id").GetString();
        var today = await S.Today();
        var unanswered = (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s2.Id, amount = 500m, maturityDate = today.AddDays(60).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Created).Id;
        Assert.Equal(1_500m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());

        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 7 })).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", (await s2.Client.Get("/v1/vouchers")).Json.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.Equal(1_000m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal("cancelled", (await core.Client.Get($"/v1/vouchers/{unanswered}")).Json.GetProperty("status").GetString());

        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 14 })).Expect(HttpStatusCode.OK); // maturity + 1
        var overdue = (await bank.Client.Get("/v1/vouchers")).Json.GetProperty("items");
        Assert.Equal((financedId, "overdue"), (overdue[0].GetProperty("id").GetString(), overdue[0].GetProperty("status").GetString()));
        Assert.Equal(400m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());

        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 29 })).Expect(HttpStatusCode.OK); // maturity + 30
        var tree = (await S.Tree(core, due)).Json.GetProperty("fragments").EnumerateArray()
            .Where(f => f.GetProperty("status").GetString() is not ("transferred" or "split")).ToList();
        Assert.All(tree, f => Assert.Equal("defaulted", f.GetProperty("status").GetString()));
        await S.AssertTreeSums(core, due);

        // A late repayment still settles everyone and frees the limits.
        (await core.Client.Post($"/v1/vouchers/{due}/repay")).Expect(HttpStatusCode.OK);
        Assert.Equal(0m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        Assert.Equal(0m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
    }
}
