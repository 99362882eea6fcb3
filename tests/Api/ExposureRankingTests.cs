using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// GET /v1/risk/exposures?by=obligor|funder&amp;top=N over a cast whose every figure is known: largest first, ties by id
/// (ordinal), exactly N items, and the bounds of <c>top</c> (1 to 100, 10 when absent). The list is platform-wide, so this
/// class has its own database and nothing else in it.
/// </summary>
public sealed class ExposureRankingTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    /// <summary>
    /// One supplier holds vouchers of four cores and borrows against an order; four banks hold parts:
    /// core 1: 50,000.00, of which bank 1 discounted 20,000.00 and bank 2 10,000.00 (the supplier keeps 20,000.00);
    /// core 2: 30,000.00, all discounted by bank 3;  core 3: 30,000.00, all the supplier's;  core 4: 5,000.00, all bank 1's;
    /// the supplier as obligor: bank 4's loan of 10,000.00.
    /// By obligor: core 1 50,000.00; cores 2 and 3 30,000.00 each (a tie: by id); the supplier 10,000.00; core 4 5,000.00.
    /// By funder: bank 3 30,000.00; bank 1 25,000.00; banks 2 and 4 10,000.00 each (a tie: by id).
    /// </summary>
    [Fact]
    public async Task TopExposures_LargestFirst_TiesById_ExactlyN_AndTheBoundsOfTop()
    {
        var supplier = await S.Participant("supplier");
        var cores = new List<Party>();
        for (var i = 0; i < 4; i++) cores.Add(await S.Participant("core"));
        var banks = new List<Party>();
        for (var i = 0; i < 4; i++) banks.Add(await S.Participant("funder"));
        await S.Facility(banks[0], cores[0], 1_000_000m);
        await S.Facility(banks[1], cores[0], 1_000_000m);
        await S.Facility(banks[2], cores[1], 1_000_000m);
        await S.Facility(banks[0], cores[2], 1_000_000m);
        await S.Facility(banks[0], cores[3], 1_000_000m);
        await S.Facility(banks[3], supplier, 1_000_000m);

        var v1 = await S.ActiveVoucher(cores[0], supplier, 50_000m);
        var d = (await supplier.Client.Post($"/v1/vouchers/{v1}/discount", new { funderId = banks[0].Id, amount = 20_000m })).Expect(HttpStatusCode.Created).Json;
        (await supplier.Client.Post($"/v1/vouchers/{d.GetProperty("remainder").GetProperty("id").GetString()}/discount",
            new { funderId = banks[1].Id, amount = 10_000m })).Expect(HttpStatusCode.Created);
        var v2 = await S.ActiveVoucher(cores[1], supplier, 30_000m);
        (await supplier.Client.Post($"/v1/vouchers/{v2}/discount", new { funderId = banks[2].Id, amount = 30_000m })).Expect(HttpStatusCode.Created);
        await S.ActiveVoucher(cores[2], supplier, 30_000m);
        var v4 = await S.ActiveVoucher(cores[3], supplier, 5_000m);
        (await supplier.Client.Post($"/v1/vouchers/{v4}/discount", new { funderId = banks[0].Id, amount = 5_000m })).Expect(HttpStatusCode.Created);
        var order = await S.Order(cores[0], supplier, 20_000m);
        await S.Loan(supplier, order, banks[3], 10_000m);
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));

        var (c2, c3) = Ordered(cores[1].Id, cores[2].Id);
        var byObligor = new List<(string, string, decimal, decimal, decimal)>
        {
            ("obligor", cores[0].Id, 50_000m, 30_000m, 20_000m),
            ("obligor", c2, 30_000m, c2 == cores[1].Id ? 30_000m : 0m, c2 == cores[1].Id ? 0m : 30_000m),
            ("obligor", c3, 30_000m, c3 == cores[1].Id ? 30_000m : 0m, c3 == cores[1].Id ? 0m : 30_000m),
            ("obligor", supplier.Id, 10_000m, 10_000m, 0m),
            ("obligor", cores[3].Id, 5_000m, 5_000m, 0m),
        };
        var (b2, b4) = Ordered(banks[1].Id, banks[3].Id);
        var byFunder = new List<(string, string, decimal, decimal, decimal)>
        {
            ("funder", banks[2].Id, 30_000m, 30_000m, 0m),
            ("funder", banks[0].Id, 25_000m, 25_000m, 0m),
            ("funder", b2, 10_000m, 10_000m, 0m),
            ("funder", b4, 10_000m, 10_000m, 0m),
        };

        // N below, at and above the number of items; absent (10); the bounds 1 and 100.
        foreach (var n in new[] { 1, 2, 3, 4, 5, 6, 100 })
        {
            Assert.Equal(byObligor.Take(n), await Top($"by=obligor&top={n}"));
            Assert.Equal(byFunder.Take(n), await Top($"by=funder&top={n}"));
        }
        Assert.Equal(byObligor, await Top("by=obligor"));
        Assert.Equal(byFunder, await Top("by=funder"));
        Assert.Empty(await Top("by=group&top=5"));
        Assert.Empty(await Top("by=pool"));

        foreach (var query in new[] { "by=obligor&top=0", "by=obligor&top=101", "by=funder&top=abc", "by=funder&top=-1", "by=funder&top=1.5",
                     "by=obligor&top=%2B3", "by=obligor&top=99999999999" })
            AssertValidation(await S.Operator.Get($"/v1/risk/exposures?{query}"), "top");
        foreach (var query in new[] { "top=3", "by=holder&top=3", "by=Obligor" })
            AssertValidation(await S.Operator.Get($"/v1/risk/exposures?{query}"), "by");
    }

    private async Task<List<(string, string, decimal, decimal, decimal)>> Top(string query) =>
        (await S.Operator.Get($"/v1/risk/exposures?{query}")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
        .Select(i => (i.GetProperty("kind").GetString()!, i.GetProperty("id").GetString()!, i.GetProperty("amount").GetDecimal(),
            i.GetProperty("funderHeld").GetDecimal(), i.GetProperty("supplierHeld").GetDecimal())).ToList();

    private static (string, string) Ordered(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
}
