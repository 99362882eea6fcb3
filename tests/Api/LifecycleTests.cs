using System.Net;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>Issue → accept → split → transfer → accept → discount → repay over HTTP, with both sides of every movement checked.</summary>
public sealed class LifecycleTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    [Fact]
    public async Task WholeLifecycle_MovesValueExactly_AndFreesLimitsAtSettlement()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var s2 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        var facility = await S.Facility(bank, core, limit: 500_000m, rate: 0.036m);

        var today = await S.Today();
        var issued = (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s1.Id, amount = 100_000m, maturityDate = today.AddDays(90).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Created);
        var root = issued.Id;
        Assert.Equal("pending", issued.Json.GetProperty("status").GetString());
        Assert.Equal(100_000m, issued.Amount());
        Assert.Equal(today.ToString("yyyy-MM-dd"), issued.Json.GetProperty("issueDate").GetString());
        Assert.Equal(100_000m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal(500_000m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("limit").GetDecimal());

        var accepted = (await s1.Client.Post($"/v1/vouchers/{root}/accept")).Expect(HttpStatusCode.OK);
        Assert.Equal("active", accepted.Json.GetProperty("status").GetString());

        var split = (await s1.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 70_000m, 30_000m } })).Expect(HttpStatusCode.Created);
        Assert.Equal("split", split.Json.GetProperty("parent").GetProperty("status").GetString());
        var children = split.Json.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
        Assert.Equal(2, children.Count);

        var transfer = (await s1.Client.Post($"/v1/vouchers/{children[0]}/transfer", new { toId = s2.Id, amount = 20_000m })).Expect(HttpStatusCode.Created);
        var passed = transfer.Json.GetProperty("transferred");
        Assert.Equal((s2.Id, "pending", 2, 20_000m),
            (passed.GetProperty("holderId").GetString(), passed.GetProperty("status").GetString(), passed.GetProperty("tier").GetInt32(), passed.GetProperty("amount").GetDecimal()));
        Assert.Equal(50_000m, transfer.Json.GetProperty("remainder").GetProperty("amount").GetDecimal());
        (await s2.Client.Post($"/v1/vouchers/{passed.GetProperty("id").GetString()}/accept")).Expect(HttpStatusCode.OK);

        var discount = (await s1.Client.Post($"/v1/vouchers/{children[1]}/discount", new { funderId = bank.Id, amount = 30_000m })).Expect(HttpStatusCode.Created);
        // 30 000 × 0.036 × 90 / 360 = 270.00
        Assert.Equal(270.00m, discount.Amount("charge"));
        Assert.Equal(29_730.00m, discount.Amount("proceeds"));
        Assert.Equal(90, discount.Json.GetProperty("days").GetInt32());
        Assert.Equal(0.036m, discount.Json.GetProperty("annualRate").GetDecimal());
        Assert.Equal(bank.Id, discount.Json.GetProperty("financed").GetProperty("holderId").GetString());
        Assert.Equal("financed", discount.Json.GetProperty("financed").GetProperty("status").GetString());
        Assert.Equal(30_000m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());

        await S.AssertTreeSums(core, root);

        // Listing: each party sees what it holds; the core sees what it issued.
        var s2List = (await s2.Client.Get("/v1/vouchers")).Expect(HttpStatusCode.OK).Json.GetProperty("items");
        Assert.Equal([passed.GetProperty("id").GetString()], s2List.EnumerateArray().Select(v => v.GetProperty("id").GetString()).ToList());
        var bankActive = (await bank.Client.Get("/v1/vouchers?status=financed")).Json.GetProperty("items");
        Assert.Single(bankActive.EnumerateArray());
        var coreList = (await core.Client.Get("/v1/vouchers?limit=200")).Json.GetProperty("items");
        Assert.Equal(5, coreList.GetArrayLength()); // root, two split children, transferred part and remainder (the whole-face discount moves a child itself)

        // Not yet mature: refused, nothing changes.
        (await core.Client.Post($"/v1/vouchers/{root}/repay")).Expect(HttpStatusCode.Conflict);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 90 })).Expect(HttpStatusCode.OK);

        var repaid = (await core.Client.Post($"/v1/vouchers/{root}/repay")).Expect(HttpStatusCode.OK);
        var payments = repaid.Json.GetProperty("payments").EnumerateArray()
            .ToDictionary(p => p.GetProperty("toId").GetString()!, p => p.GetProperty("amount").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { [s1.Id] = 50_000m, [s2.Id] = 20_000m, [bank.Id] = 30_000m }, payments);
        Assert.All(repaid.Json.GetProperty("settled").EnumerateArray(), f => Assert.Equal("settled", f.GetProperty("status").GetString()));
        await S.AssertTreeSums(core, root);

        Assert.Equal(0m, (await bank.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        Assert.Equal(0m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal("invalid_state", (await core.Client.Post($"/v1/vouchers/{root}/repay")).Expect(HttpStatusCode.Conflict).Code);
    }

    [Fact]
    public async Task RejectedRoot_IsCancelled_AndFreesTheIssuanceLimit()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        await S.Facility(bank, core, limit: 1_000m);
        var today = await S.Today();
        var root = (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s1.Id, amount = 1_000m, maturityDate = today.AddDays(30).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Created).Id;
        Assert.Equal("limit_exceeded", (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s1.Id, amount = 0.01m, maturityDate = today.AddDays(30).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Conflict).Code);

        var rejected = (await s1.Client.Post($"/v1/vouchers/{root}/reject")).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", rejected.Json.GetProperty("status").GetString());
        Assert.Equal(0m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        (await core.Client.Post("/v1/vouchers", new { beneficiaryId = s1.Id, amount = 1_000m, maturityDate = today.AddDays(30).ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task RejectedTransfer_ReturnsTheAmountToTheSender()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var s2 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        await S.Facility(bank, core, limit: 10_000m);
        var root = await S.ActiveVoucher(core, s1, 1_000m);
        var transferred = (await s1.Client.Post($"/v1/vouchers/{root}/transfer", new { toId = s2.Id, amount = 400m }))
            .Expect(HttpStatusCode.Created).Json.GetProperty("transferred").GetProperty("id").GetString();
        var rejected = (await s2.Client.Post($"/v1/vouchers/{transferred}/reject")).Expect(HttpStatusCode.OK);
        Assert.Equal("rejected", rejected.Json.GetProperty("status").GetString());
        var tree = (await S.Tree(core, root)).Json.GetProperty("fragments").EnumerateArray().ToList();
        var back = tree.Single(f => f.GetProperty("parentId").GetString() == transferred);
        Assert.Equal((s1.Id, "active", 400m, 1), (back.GetProperty("holderId").GetString(), back.GetProperty("status").GetString(),
            back.GetProperty("amount").GetDecimal(), back.GetProperty("tier").GetInt32()));
        await S.AssertTreeSums(core, root);
    }

    [Fact]
    public async Task SixteenConcurrentTransfersOfOneFragment_ExactlyOneWins()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        await S.Facility(bank, core, limit: 10_000m);
        var recipients = new List<Party>();
        for (var i = 0; i < 16; i++) recipients.Add(await S.Participant("supplier"));
        var root = await S.ActiveVoucher(core, s1, 1_000m);

        var results = await Task.WhenAll(recipients.Select((r, i) =>
            s1.Client.Post($"/v1/vouchers/{root}/transfer", new { toId = r.Id, amount = 100m + i })));

        Assert.Equal(1, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(15, results.Count(r => r.Status == HttpStatusCode.Conflict));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.Conflict), r => Assert.Equal("invalid_state", r.Code));
        var tree = (await S.Tree(core, root)).Json.GetProperty("fragments");
        Assert.Equal(3, tree.GetArrayLength());
        await S.AssertTreeSums(core, root);
    }
}
