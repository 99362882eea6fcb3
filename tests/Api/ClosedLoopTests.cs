using System.Net;
using System.Text.Json;
using SupplyChain.Db.Stores;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Order financing end to end over HTTP: a supplier borrows against its order, interest accrues, and the buyer's
/// voucher against the order repays the loan (the closed loop), moving the funder's risk from the supplier to the core.
/// </summary>
public sealed class ClosedLoopTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    [Fact]
    public async Task VoucherAgainstAFinancedOrder_RepaysTheLoan_AndMovesTheFundersRiskToTheCore()
    {
        var (core, supplier, bank, coreFacility) = await S.Cast(500_000m, rate: 0.05m);
        var lending = await S.Facility(bank, supplier, 80_000m, rate: 0.0435m);
        var order = await S.Order(core, supplier, 100_000m, paymentInDays: 60);
        var today = await S.Today();

        var loan = (await S.Loan(supplier, order, bank, 70_000m)).Json;
        var loanId = loan.GetProperty("id").GetString()!;
        Assert.Equal(("active", 70_000m, 70_000m, 0m, 0.0435m), (loan.GetProperty("status").GetString(), loan.GetProperty("principal").GetDecimal(),
            loan.GetProperty("outstandingPrincipal").GetDecimal(), loan.GetProperty("accruedInterest").GetDecimal(), loan.GetProperty("annualRate").GetDecimal()));
        Assert.Equal(today.AddDays(90).ToString("yyyy-MM-dd"), loan.GetProperty("dueDate").GetString());
        Assert.Equal(today.ToString("yyyy-MM-dd"), loan.GetProperty("disbursedOn").GetString());
        Assert.Equal(JsonValueKind.Null, loan.GetProperty("groupId").ValueKind);
        Assert.Equal(70_000m, (await bank.Client.Get($"/v1/facilities/{lending}")).Json.GetProperty("used").GetDecimal());
        // The lender now sees the order; the order cannot be cancelled while the loan draws on it.
        Assert.Equal("confirmed", (await bank.Client.Get($"/v1/orders/{order}")).Expect(HttpStatusCode.OK).Json.GetProperty("status").GetString());
        Assert.Equal("invalid_state", (await core.Client.Post($"/v1/orders/{order}/cancel")).Expect(HttpStatusCode.Conflict).Code);

        // 45 days later: 70,000.00 × 0.0435 × 45 / 360 = 380.625 → 380.63 (half away from zero).
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 45 })).Expect(HttpStatusCode.OK);
        Assert.Equal(380.63m, (await supplier.Client.Get($"/v1/loans/{loanId}")).Json.GetProperty("accruedInterest").GetDecimal());

        // The buyer pays the order with a voucher of 100,000.00: 70,380.63 goes to the bank, 29,619.37 to the supplier.
        var maturity = (await S.Today()).AddDays(30).ToString("yyyy-MM-dd");
        var root = (await core.Client.Post("/v1/vouchers", new { beneficiaryId = supplier.Id, amount = 100_000m, maturityDate = maturity, orderId = order }))
            .Expect(HttpStatusCode.Created).Json;
        var rootId = root.GetProperty("id").GetString()!;
        Assert.Equal((order, "split"), (root.GetProperty("orderId").GetString(), root.GetProperty("status").GetString()));
        var fragments = (await S.Tree(core, rootId)).Json.GetProperty("fragments").EnumerateArray().ToList();
        var financed = fragments.Single(f => f.GetProperty("status").GetString() == "financed");
        var rest = fragments.Single(f => f.GetProperty("status").GetString() == "active");
        Assert.Equal((bank.Id, 70_380.63m), (financed.GetProperty("holderId").GetString(), financed.GetProperty("amount").GetDecimal()));
        Assert.Equal((supplier.Id, 29_619.37m), (rest.GetProperty("holderId").GetString(), rest.GetProperty("amount").GetDecimal()));
        await S.AssertTreeSums(core, rootId);

        var repaid = (await bank.Client.Get($"/v1/loans/{loanId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("repaid", 0m, 0m, 380.63m), (repaid.GetProperty("status").GetString(), repaid.GetProperty("outstandingPrincipal").GetDecimal(),
            repaid.GetProperty("accruedInterest").GetDecimal(), repaid.GetProperty("interestPaid").GetDecimal()));
        var repayment = repaid.GetProperty("repayments")[0];
        Assert.Equal(("voucher", rootId, 70_380.63m), (repayment.GetProperty("source").GetString(), repayment.GetProperty("voucherId").GetString(),
            repayment.GetProperty("amount").GetDecimal()));
        // Usage moves from the lending facility on the supplier to the discount facility on the core.
        Assert.Equal(0m, (await bank.Client.Get($"/v1/facilities/{lending}")).Json.GetProperty("used").GetDecimal());
        Assert.Equal(70_380.63m, (await bank.Client.Get($"/v1/facilities/{coreFacility}")).Json.GetProperty("used").GetDecimal());
        var paidOrder = (await core.Client.Get($"/v1/orders/{order}")).Json;
        Assert.Equal(("paid", rootId), (paidOrder.GetProperty("status").GetString(), paidOrder.GetProperty("voucherId").GetString()));

        // The exposure events say so: the bank's exposure to the supplier is gone, its exposure to the core is the financed part.
        // Both of the loan's events applied (an empty aggregate would also read 0 before the first one arrives).
        var store = fixture.Host.Services.GetRequiredService<IExposureStore>();
        await Eventually.True(async () =>
            (await store.EventsAsync(supplier.Id)).Count == 2
            && (await S.Operator.Get($"/v1/risk/exposures/obligor/{core.Id}")).Json.GetProperty("byHolderType").TryGetProperty("funder", out var f)
            && f.GetDecimal() == 70_380.63m, TimeSpan.FromSeconds(30), "the closed loop's exposure events are applied");
        Assert.Equal(0m, (await S.Operator.Get($"/v1/risk/exposures/obligor/{supplier.Id}")).Json.GetProperty("outstanding").GetDecimal());
        var events = await store.EventsAsync(supplier.Id);
        Assert.Equal(["closed_loop", "disbursed"], events.Select(e => e.Kind).Order());
        var moved = events.Single(e => e.Kind == "closed_loop");
        Assert.Equal((bank.Id, 70_000m), (moved.Before!.HolderId, moved.Before.Amount));
        Assert.Null(moved.After);
        var coreEvents = await store.EventsAsync(core.Id);
        Assert.Contains(coreEvents, e => e.Kind == "closed_loop" && e.After?.HolderId == bank.Id && e.After.Amount == 70_380.63m);
        var reconciliation = (await S.Operator.Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.OK).Json;
        Assert.True(reconciliation.GetProperty("consistent").GetBoolean(), reconciliation.ToString());

        // At maturity the core repays the voucher: the bank is paid, and every limit is free.
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 30 })).Expect(HttpStatusCode.OK);
        var settled = (await core.Client.Post($"/v1/vouchers/{rootId}/repay")).Expect(HttpStatusCode.OK).Json;
        Assert.Contains(settled.GetProperty("payments").EnumerateArray(),
            p => p.GetProperty("toId").GetString() == bank.Id && p.GetProperty("amount").GetDecimal() == 70_380.63m);
        Assert.Equal(0m, (await bank.Client.Get($"/v1/facilities/{coreFacility}")).Json.GetProperty("used").GetDecimal());
        Assert.Equal(0m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
    }

    [Fact]
    public async Task AnOrderWhoseVoucherIsRejectedOrExpires_IsUnpaidAgain_AndCanBePaidAgain()
    {
        var (core, supplier, _, _) = await S.Cast(500_000m);
        var order = await S.Order(core, supplier, 20_000m, paymentInDays: 30);
        var maturity = (await S.Today()).AddDays(60).ToString("yyyy-MM-dd");
        async Task<string> Pay() =>
            (await core.Client.Post("/v1/vouchers", new { beneficiaryId = supplier.Id, amount = 20_000m, maturityDate = maturity, orderId = order }))
            .Expect(HttpStatusCode.Created).Id;

        // Without a loan the voucher is an ordinary pending root; the order is paid by it.
        var first = await Pay();
        Assert.Equal(("paid", first), await Status());
        Assert.Equal("invalid_state", (await core.Client.Post("/v1/vouchers",
            new { beneficiaryId = supplier.Id, amount = 1m, maturityDate = maturity, orderId = order })).Expect(HttpStatusCode.Conflict).Code);

        // The supplier rejects it: the root is cancelled and the order is unpaid again.
        (await supplier.Client.Post($"/v1/vouchers/{first}/reject")).Expect(HttpStatusCode.OK);
        Assert.Equal(("confirmed", (string?)null), await Status());

        // Paid again; this time nobody answers for 7 days: the root expires and the order is unpaid again.
        var second = await Pay();
        Assert.Equal(("paid", second), await Status());
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 7 })).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", (await core.Client.Get($"/v1/vouchers/{second}")).Json.GetProperty("status").GetString());
        Assert.Equal(("confirmed", (string?)null), await Status());
        Assert.Equal(0m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());

        async Task<(string?, string?)> Status()
        {
            var o = (await core.Client.Get($"/v1/orders/{order}")).Expect(HttpStatusCode.OK).Json;
            return (o.GetProperty("status").GetString(), o.GetProperty("voucherId").GetString());
        }
    }
}
