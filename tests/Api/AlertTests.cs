using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>Risk alerts: raised once per crossing, cursor-paged, and scoped to a funder for scoped staff.</summary>
public sealed class AlertTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    private async Task<List<JsonElement>> AlertsAbout(string subjectOrFunder, ApiClient? client = null)
    {
        var all = new List<JsonElement>();
        string? after = null;
        do
        {
            var page = (await (client ?? S.Operator).Get($"/v1/risk/alerts?limit=50{(after is null ? "" : "&after=" + after)}")).Expect(HttpStatusCode.OK).Json;
            all.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.Clone()));
            after = page.GetProperty("next").GetString();
        } while (after is not null);
        return all.Where(a => a.GetProperty("subjectId").GetString() == subjectOrFunder || a.GetProperty("funderId").GetString() == subjectOrFunder).ToList();
    }

    private static List<string> Kinds(IEnumerable<JsonElement> alerts) => alerts.Select(a => a.GetProperty("kind").GetString()!).Order().ToList();

    [Fact]
    public async Task FacilityUsage_At90And100Percent_RaisesOncePerCrossing()
    {
        var (core, s1, bank, facility) = await S.Cast(1_000m);
        await S.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = 1_000_000m });
        var root = await S.ActiveVoucher(core, s1, 5_000m, days: 30);
        var d1 = (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 899.99m })).Expect(HttpStatusCode.Created).Json;
        Assert.Empty(Kinds((await AlertsAbout(facility)).Where(a => a.GetProperty("kind").GetString()!.StartsWith("facility"))));

        (await s1.Client.Post($"/v1/vouchers/{d1.GetProperty("remainder").GetProperty("id").GetString()}/discount", new { funderId = bank.Id, amount = 0.01m }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(["facility_usage_90"], Kinds((await AlertsAbout(facility)).Where(a => a.GetProperty("subjectId").GetString() == facility)));

        // The limit cut below usage crosses 100%; moving around above it raises nothing more.
        (await bank.Client.Post($"/v1/facilities/{facility}/limit", new { limit = 800m })).Expect(HttpStatusCode.OK);
        (await bank.Client.Post($"/v1/facilities/{facility}/limit", new { limit = 850m })).Expect(HttpStatusCode.OK);
        Assert.Equal(["facility_usage_100", "facility_usage_90"], Kinds((await AlertsAbout(facility)).Where(a => a.GetProperty("subjectId").GetString() == facility)));

        // Usage falls back under both thresholds, then crosses 90% again: a second crossing, a second alert.
        (await bank.Client.Post($"/v1/facilities/{facility}/limit", new { limit = 10_000m })).Expect(HttpStatusCode.OK);
        (await bank.Client.Post($"/v1/facilities/{facility}/limit", new { limit = 950m })).Expect(HttpStatusCode.OK);
        Assert.Equal(["facility_usage_100", "facility_usage_90", "facility_usage_90"],
            Kinds((await AlertsAbout(facility)).Where(a => a.GetProperty("subjectId").GetString() == facility)));
    }

    [Fact]
    public async Task LongTenor_Overdue_Default_AndConcentration_AreRaisedOnce()
    {
        var (core, s1, bank, _) = await S.Cast(1_000_000m);
        var other = await S.Participant("core");
        await S.Facility(bank, other, 1_000_000m);
        var longOne = await S.ActiveVoucher(core, s1, 1_000m, days: 200);
        var root = await S.ActiveVoucher(core, s1, 1_000m, days: 20);
        var d = (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 400m })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal(["long_tenor"], Kinds(await AlertsAbout(longOne)));

        // All of the bank's portfolio is on one obligor (> 25%): one alert, however many discounts follow.
        await Eventually.True(async () => Kinds(await AlertsAbout(bank.Id)).Contains("concentration"), TimeSpan.FromSeconds(30), "concentration alert");
        (await s1.Client.Post($"/v1/vouchers/{d.GetProperty("remainder").GetProperty("id").GetString()}/discount", new { funderId = bank.Id, amount = 100m }))
            .Expect(HttpStatusCode.Created);
        var s2 = await S.Participant("supplier");
        var elsewhere = await S.ActiveVoucher(other, s2, 10_000m, days: 60);
        (await s2.Client.Post($"/v1/vouchers/{elsewhere}/discount", new { funderId = bank.Id, amount = 10_000m })).Expect(HttpStatusCode.Created);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));
        Assert.Single(await AlertsAbout(bank.Id), a => a.GetProperty("kind").GetString() == "concentration");

        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 21 })).Expect(HttpStatusCode.OK);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 1 })).Expect(HttpStatusCode.OK);
        var about = await AlertsAbout(root);
        Assert.Equal(["overdue", "overdue"], Kinds(about)); // one for the platform, one for the funder holding part of it
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 30 })).Expect(HttpStatusCode.OK);
        Assert.Equal(["default", "default", "overdue", "overdue"], Kinds(await AlertsAbout(root)));

        // Staff scoped to the bank see the bank's alerts and nothing else.
        var created = (await S.Operator.Post("/v1/risk-staff", new { name = "bank desk", funderId = bank.Id })).Expect(HttpStatusCode.Created);
        var scoped = fixture.Host.Client(created.Json.GetProperty("apiKey").GetString());
        var seen = await AlertsAbout(bank.Id, scoped);
        Assert.NotEmpty(seen);
        var page = (await scoped.Get("/v1/risk/alerts?limit=200")).Json.GetProperty("items");
        Assert.All(page.EnumerateArray(), a => Assert.Equal(bank.Id, a.GetProperty("funderId").GetString()));
        Assert.Equal("forbidden", (await s1.Client.Get("/v1/risk/alerts")).Expect(HttpStatusCode.Forbidden).Code);
    }
}
