using System.Net;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>DOMAIN.md, "Facilities and limits", over HTTP.</summary>
public sealed class FacilityTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    [Fact]
    public async Task Usage_IsTheFaceTheFunderHolds_AndNeverExceedsTheLimit()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        var other = await S.Participant("funder");
        var facility = await S.Facility(bank, core, limit: 1_000m);
        await S.Facility(other, core, limit: 5_000m);
        var root = await S.ActiveVoucher(core, s1, 3_000m);

        var first = (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 600m })).Expect(HttpStatusCode.Created);
        var remainder = first.Json.GetProperty("remainder").GetProperty("id").GetString();
        Assert.Equal(600m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());

        // 400.01 more would pass the limit by a fen: refused, and nothing moves.
        var over = await s1.Client.Post($"/v1/vouchers/{remainder}/discount", new { funderId = bank.Id, amount = 400.01m });
        Assert.Equal("insufficient_limit", over.Expect(HttpStatusCode.Conflict).Code);
        Assert.Equal("active", (await s1.Client.Get($"/v1/vouchers/{remainder}")).Json.GetProperty("status").GetString());
        Assert.Equal(600m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());

        // Exactly to the limit is fine; another funder's facility is independent.
        var exact = (await s1.Client.Post($"/v1/vouchers/{remainder}/discount", new { funderId = bank.Id, amount = 400m })).Expect(HttpStatusCode.Created);
        Assert.Equal(1_000m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        (await s1.Client.Post($"/v1/vouchers/{exact.Json.GetProperty("remainder").GetProperty("id").GetString()}/discount", new { funderId = other.Id, amount = 2_000m }))
            .Expect(HttpStatusCode.Created);
        await S.AssertTreeSums(core, root);
    }

    [Fact]
    public async Task ALimitCutBelowUsage_BlocksNewUsage_UntilUsageFallsUnderIt()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        var facility = await S.Facility(bank, core, limit: 10_000m);
        var first = await S.ActiveVoucher(core, s1, 4_000m, days: 30);
        var second = await S.ActiveVoucher(core, s1, 4_000m, days: 60);
        (await s1.Client.Post($"/v1/vouchers/{first}/discount", new { funderId = bank.Id, amount = 4_000m })).Expect(HttpStatusCode.Created);

        var cut = (await bank.Client.Post($"/v1/facilities/{facility}/limit", new { limit = 3_000m })).Expect(HttpStatusCode.OK);
        Assert.Equal((3_000m, 4_000m), (cut.Json.GetProperty("limit").GetDecimal(), cut.Json.GetProperty("used").GetDecimal()));
        Assert.Equal("insufficient_limit", (await s1.Client.Post($"/v1/vouchers/{second}/discount", new { funderId = bank.Id, amount = 1m }))
            .Expect(HttpStatusCode.Conflict).Code);

        // The first voucher is repaid at maturity: usage falls to 0, under the new limit, and room returns.
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 30 })).Expect(HttpStatusCode.OK);
        (await core.Client.Post($"/v1/vouchers/{first}/repay")).Expect(HttpStatusCode.OK);
        Assert.Equal(0m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        (await s1.Client.Post($"/v1/vouchers/{second}/discount", new { funderId = bank.Id, amount = 3_000m })).Expect(HttpStatusCode.Created);
        Assert.Equal(3_000m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
    }

    [Fact]
    public async Task AnExpiredFacility_GivesNoRoom_AndNoIssuanceLimit()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        var today = await S.Today();
        await S.Facility(bank, core, limit: 10_000m, expiresOn: today.AddDays(10).ToString("yyyy-MM-dd"));
        var root = await S.ActiveVoucher(core, s1, 1_000m, days: 60);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 11 })).Expect(HttpStatusCode.OK);

        Assert.Equal("insufficient_limit", (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 100m }))
            .Expect(HttpStatusCode.Conflict).Code);
        var issuance = (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json;
        Assert.Equal((0m, 1_000m), (issuance.GetProperty("limit").GetDecimal(), issuance.GetProperty("outstanding").GetDecimal()));
        Assert.Equal("limit_exceeded", (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s1.Id, amount = 1m, maturityDate = (await S.Today()).AddDays(30).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Conflict).Code);
    }

    [Fact]
    public async Task ASecondFacilityForTheSamePair_IsAConflict_AndTheSameRequestAgainIsNot()
    {
        var core = await S.Participant("core");
        var bank = await S.Participant("funder");
        var body = new { funderId = bank.Id, obligorId = core.Id, limit = 100m, annualRate = 0.05m, expiresOn = "2030-01-01" };
        (await bank.Client.Post("/v1/facilities", body)).Expect(HttpStatusCode.Created);
        (await bank.Client.Post("/v1/facilities", body)).Expect(HttpStatusCode.Created);
        Assert.Equal("conflict", (await bank.Client.Post("/v1/facilities", body with { limit = 200m })).Expect(HttpStatusCode.Conflict).Code);
    }
}
