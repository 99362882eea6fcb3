using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>
/// The closed loop's edges (docs/ARCHITECTURE.md, "Orders, loans and the closed loop" and "Loan interest"): a voucher smaller
/// than the payoff, several loans on one order, an overdue loan; and the risk figures loans and discounts feed: the stress
/// test with loans and several defaulting ids, and the funder concentration alert at its 25% boundary.
///
/// Interest is simple, ACT/360, on the outstanding principal, rounded half away from zero to the fen per period; a period
/// from day a to day b has b − a days. The figures are worked by hand in the comments.
/// </summary>
public sealed class ClosedLoopEdgeTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    // ------------------------------------------------------------------------------------------------
    // 6(a) A voucher smaller than the loan's payoff repays part of it: interest first, then principal.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task VoucherSmallerThanThePayoff_PaysInterestThenPrincipal_TheLoanStaysActiveWithTheRest()
    {
        var (core, supplier, bank, coreFacility) = await S.Cast(500_000m, rate: 0.05m);
        var lending = await S.Facility(bank, supplier, 100_000m, rate: 0.05m);
        var order = await S.Order(core, supplier, 100_000m, paymentInDays: 60);
        var t0 = await S.Today();
        var loanId = (await S.Loan(supplier, order, bank, 60_000m)).Id;

        // T0 + 30: 6,000,000 fen × 0.05 × 30 / 360 = 25,000 fen = 250.00 interest; the payoff is 60,250.00.
        await Advance(30);
        await AssertLoan(supplier, loanId, "active", 60_000m, 250.00m, 0m);

        // A voucher of 20,000.00 against the order: all of it is the funder's (one financed fragment, no rest for the supplier),
        // and it pays the 250.00 interest, then 19,750.00 principal: 40,250.00 is left, the loan stays active.
        var rootId = await PayOrder(core, supplier, order, 20_000m);
        var tree = (await S.Tree(core, rootId)).Json;
        Assert.Equal("split", tree.GetProperty("root").GetProperty("status").GetString());
        Assert.Equal([($"{rootId}-1", bank.Id, "financed", 20_000m)], Parts(tree));
        await S.AssertTreeSums(core, rootId);

        var loan = await AssertLoan(bank, loanId, "active", 40_250m, 0m, 250.00m);
        Assert.Equal([(t0.AddDays(30), 20_000m, 250.00m, 19_750.00m, "voucher", (string?)rootId)], Repayments(loan));
        Assert.Equal(40_250m, await Used(bank, lending));
        Assert.Equal(20_000m, await Used(bank, coreFacility));
        Assert.Equal(("paid", rootId), await OrderStatus(core, order));

        // The funder's exposure on the supplier follows the outstanding principal (the loan's closed_loop event).
        await Eventually.True(async () => await Outstanding("obligor", supplier.Id) == 40_250m, TimeSpan.FromSeconds(30),
            "the supplier's exposure is the outstanding principal");

        // A new period on the new principal: 4,025,000 fen × 0.05 × 10 / 360 = 5,590.27… fen → 55.90; owed 40,305.90.
        await Advance(10);
        await AssertLoan(supplier, loanId, "active", 40_250m, 55.90m, 250.00m);
        Assert.Equal("validation_failed",
            (await supplier.Client.Post($"/v1/loans/{loanId}/repay", new { amount = 40_305.91m })).Expect(HttpStatusCode.BadRequest).Code);
        var repaid = (await supplier.Client.Post($"/v1/loans/{loanId}/repay", new { amount = 40_305.90m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("repaid", 0m, 0m, 305.90m), (repaid.GetProperty("status").GetString(), repaid.GetProperty("outstandingPrincipal").GetDecimal(),
            repaid.GetProperty("accruedInterest").GetDecimal(), repaid.GetProperty("interestPaid").GetDecimal()));
        Assert.Equal((t0.AddDays(40), 40_305.90m, 55.90m, 40_250.00m, "cash", (string?)null), Repayments(repaid)[1]);
        Assert.Equal(0m, await Used(bank, lending));
        Assert.Equal(20_000m, await Used(bank, coreFacility));
    }

    // ------------------------------------------------------------------------------------------------
    // 6(b) Several loans on one order: the face goes to the loans in the order they were taken.
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Three loans on one order, from two funders (two from the same funder): A (bank A, 30,000.00 at 4%), then B (bank B,
    /// 25,000.00 at 6%), then C (bank A, 15,000.00 at 4%). The order keeps its loans in the order they were reserved
    /// (OrderGrain.Claim: by reservation time, then id); here the ids sort the other way round (C &lt; B &lt; A), so an
    /// allocation by id would differ. The loans are taken a second apart on the platform's clock, as in life.
    /// </summary>
    [Fact]
    public async Task SeveralLoansOnOneOrder_TheFaceIsAllocatedInLoanOrder_OneFinancedFragmentEach_TheLastRepaidInPart()
    {
        var core = await S.Participant("core");
        var supplier = await S.Participant("supplier");
        var bankA = await S.Participant("funder");
        var bankB = await S.Participant("funder");
        var coreA = await S.Facility(bankA, core, 500_000m, rate: 0.05m);
        var coreB = await S.Facility(bankB, core, 500_000m, rate: 0.05m);
        var lendingA = await S.Facility(bankA, supplier, 200_000m, rate: 0.04m);
        var lendingB = await S.Facility(bankB, supplier, 200_000m, rate: 0.06m);
        var order = await S.Order(core, supplier, 100_000m, paymentInDays: 60);
        var t0 = await S.Today();

        var keyA = $"loan-a-{Guid.NewGuid():N}";
        var keyB = KeyFor(supplier.Id, id => string.CompareOrdinal(id, LoanId(supplier.Id, keyA)) < 0);
        var keyC = KeyFor(supplier.Id, id => string.CompareOrdinal(id, LoanId(supplier.Id, keyB)) < 0);
        async Task<string> Borrow(Party bank, decimal amount, string key)
        {
            var id = (await supplier.Client.Post($"/v1/orders/{order}/financing", new { funderId = bank.Id, amount }, key)).Expect(HttpStatusCode.Created).Id;
            Assert.Equal(LoanId(supplier.Id, key), id);
            fixture.Host.Time.Advance(TimeSpan.FromSeconds(1));
            return id;
        }
        var a = await Borrow(bankA, 30_000m, keyA);
        var b = await Borrow(bankB, 25_000m, keyB);
        var c = await Borrow(bankA, 15_000m, keyC);
        Assert.True(string.CompareOrdinal(c, b) < 0 && string.CompareOrdinal(b, a) < 0);
        Assert.Equal((45_000m, 25_000m), (await Used(bankA, lendingA), await Used(bankB, lendingB)));

        // T0 + 20. A: 3,000,000 fen × 0.04 × 20 / 360 = 6,666.67 → 66.67, payoff 30,066.67.
        //          B: 2,500,000 fen × 0.06 × 20 / 360 = 8,333.33 → 83.33, payoff 25,083.33.
        //          C: 1,500,000 fen × 0.04 × 20 / 360 = 3,333.33 → 33.33, payoff 15,033.33.
        await Advance(20);
        await AssertLoan(supplier, a, "active", 30_000m, 66.67m, 0m);
        await AssertLoan(supplier, b, "active", 25_000m, 83.33m, 0m);
        await AssertLoan(supplier, c, "active", 15_000m, 33.33m, 0m);

        // A voucher of 60,000.00: A's payoff, then B's, then what is left, 60,000.00 − 55,150.00 = 4,850.00, to C. Nothing is
        // left for the supplier.
        var rootId = await PayOrder(core, supplier, order, 60_000m);
        var tree = (await S.Tree(core, rootId)).Json;
        Assert.Equal(
        [
            ($"{rootId}-1", bankA.Id, "financed", 30_066.67m),
            ($"{rootId}-2", bankB.Id, "financed", 25_083.33m),
            ($"{rootId}-3", bankA.Id, "financed", 4_850.00m),
        ], Parts(tree));
        await S.AssertTreeSums(core, rootId);

        var day = t0.AddDays(20);
        Assert.Equal([(day, 30_066.67m, 66.67m, 30_000.00m, "voucher", (string?)rootId)], Repayments(await AssertLoan(bankA, a, "repaid", 0m, 0m, 66.67m)));
        Assert.Equal([(day, 25_083.33m, 83.33m, 25_000.00m, "voucher", (string?)rootId)], Repayments(await AssertLoan(bankB, b, "repaid", 0m, 0m, 83.33m)));
        // C: 4,850.00 pays its 33.33 interest, then 4,816.67 principal: 10,183.33 is left.
        Assert.Equal([(day, 4_850.00m, 33.33m, 4_816.67m, "voucher", (string?)rootId)], Repayments(await AssertLoan(bankA, c, "active", 10_183.33m, 0m, 33.33m)));

        // Lending usage follows what is outstanding; each funder's facility on the core carries its fragments.
        Assert.Equal((10_183.33m, 0m), (await Used(bankA, lendingA), await Used(bankB, lendingB)));
        Assert.Equal((34_916.67m, 25_083.33m), (await Used(bankA, coreA), await Used(bankB, coreB)));
        Assert.Equal(60_000m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Expect(HttpStatusCode.OK).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal(("paid", rootId), await OrderStatus(core, order));
    }

    // ------------------------------------------------------------------------------------------------
    // 6(c) An overdue loan repaid by the closed loop: interest to the day the voucher pinned it.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task OverdueLoan_RepaidByTheClosedLoop_WithInterestToThePinnedDay_IsRepaid_AndNeverDefaults()
    {
        var (core, supplier, bank, coreFacility) = await S.Cast(500_000m, rate: 0.05m);
        var lending = await S.Facility(bank, supplier, 100_000m, rate: 0.0585m);
        var order = await S.Order(core, supplier, 100_000m, paymentInDays: 10);
        var t0 = await S.Today();
        var loanId = (await S.Loan(supplier, order, bank, 35_000m)).Id;
        Assert.Equal(t0.AddDays(40).ToString("yyyy-MM-dd"), (await supplier.Client.Get($"/v1/loans/{loanId}")).Json.GetProperty("dueDate").GetString());

        // T0 + 50: overdue since T0 + 41 (default would be on T0 + 70). 3,500,000 fen × 0.0585 × 50 / 360 = 28,437.5 fen → 28,438
        // (half away from zero; half-even would say 28,437) = 284.38; the payoff is 35,284.38.
        await Advance(50);
        await AssertLoan(supplier, loanId, "overdue", 35_000m, 284.38m, 0m);

        // The buyer pays the (past-due) order with 50,000.00: 35,284.38 to the bank, 14,715.62 to the supplier.
        var rootId = await PayOrder(core, supplier, order, 50_000m);
        var tree = (await S.Tree(core, rootId)).Json;
        Assert.Equal(
        [
            ($"{rootId}-1", bank.Id, "financed", 35_284.38m),
            ($"{rootId}-2", supplier.Id, "active", 14_715.62m),
        ], Parts(tree));
        var loan = await AssertLoan(bank, loanId, "repaid", 0m, 0m, 284.38m);
        Assert.Equal([(t0.AddDays(50), 35_284.38m, 284.38m, 35_000.00m, "voucher", (string?)rootId)], Repayments(loan));
        Assert.Equal((0m, 35_284.38m), (await Used(bank, lending), await Used(bank, coreFacility)));

        // Past the date it would have defaulted: still repaid, nothing accrues, and only the overdue alert was ever raised.
        await Advance(30);
        Assert.Equal(loan.ToString(), (await AssertLoan(bank, loanId, "repaid", 0m, 0m, 284.38m)).ToString());
        var alerts = (await S.Operator.Get("/v1/risk/alerts?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
            .Where(x => x.GetProperty("subjectId").GetString() == loanId).Select(x => x.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["overdue"], alerts);
    }

    // ------------------------------------------------------------------------------------------------
    // 5. The stress test with loans and several defaulting ids.
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Funder-held exposures: bank 1 holds 10,000.00 of core 1 and 3,000.25 of core 2 (discounts); bank 2 holds 2,500.50 of
    /// core 1 (a discount) and a loan to supplier 1 whose outstanding principal is 6,000.00 (7,000.00 lent, 1,000.00 repaid the
    /// same day, so no interest). The supplier's own part of core 1 (7,499.50) is nobody's loss in a stress: only funders lose.
    /// </summary>
    [Fact]
    public async Task Stress_WithLoansAndSeveralDefaultingIds_DuplicatesAndIdsWithoutExposure_ExactPerFunder()
    {
        var core1 = await S.Participant("core");
        var core2 = await S.Participant("core");
        var supplier1 = await S.Participant("supplier");
        var supplier2 = await S.Participant("supplier");
        var bank1 = await S.Participant("funder");
        var bank2 = await S.Participant("funder");
        await S.Facility(bank1, core1, 100_000m);
        await S.Facility(bank2, core1, 100_000m);
        await S.Facility(bank1, core2, 100_000m);
        await S.Facility(bank2, supplier1, 100_000m);

        var v1 = await S.ActiveVoucher(core1, supplier1, 20_000m);
        var d = (await supplier1.Client.Post($"/v1/vouchers/{v1}/discount", new { funderId = bank1.Id, amount = 10_000m })).Expect(HttpStatusCode.Created).Json;
        (await supplier1.Client.Post($"/v1/vouchers/{d.GetProperty("remainder").GetProperty("id").GetString()}/discount",
            new { funderId = bank2.Id, amount = 2_500.50m })).Expect(HttpStatusCode.Created);
        var v2 = await S.ActiveVoucher(core2, supplier2, 5_000m);
        (await supplier2.Client.Post($"/v1/vouchers/{v2}/discount", new { funderId = bank1.Id, amount = 3_000.25m })).Expect(HttpStatusCode.Created);
        var order = await S.Order(core1, supplier1, 20_000m);
        var loan = (await S.Loan(supplier1, order, bank2, 7_000m)).Id;
        var part = (await supplier1.Client.Post($"/v1/loans/{loan}/repay", new { amount = 1_000m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(6_000m, part.GetProperty("outstandingPrincipal").GetDecimal());
        await S.ExposuresReconcile(TimeSpan.FromSeconds(30));

        async Task<List<(string?, decimal, decimal, decimal, decimal)>> Stress(params string[] ids) =>
            (await S.Operator.Post("/v1/risk/stress", new { defaultingIds = ids })).Expect(HttpStatusCode.OK).Json.GetProperty("losses").EnumerateArray()
            .Select(l => (l.GetProperty("funderId").GetString(), l.GetProperty("exposure").GetDecimal(), l.GetProperty("guarantorRecovery").GetDecimal(),
                l.GetProperty("poolRecovery").GetDecimal(), l.GetProperty("netLoss").GetDecimal())).ToList();

        Assert.Equal([(bank1.Id, 10_000m, 0m, 0m, 10_000m), (bank2.Id, 2_500.50m, 0m, 0m, 2_500.50m)], await Stress(core1.Id));
        // The loan: the lender's exposure on the borrower is the outstanding principal, not what it lent, and not interest.
        Assert.Equal([(bank2.Id, 6_000m, 0m, 0m, 6_000m)], await Stress(supplier1.Id));
        // Largest loss first: here bank 2's.
        Assert.Equal([(bank2.Id, 6_000m, 0m, 0m, 6_000m), (bank1.Id, 3_000.25m, 0m, 0m, 3_000.25m)], await Stress(core2.Id, supplier1.Id));
        // Two obligors, one of them twice, the loan's borrower, a participant with no exposure and an unknown id: each exposure once.
        // bank 1: 10,000.00 + 3,000.25 = 13,000.25; bank 2: 2,500.50 + 6,000.00 = 8,500.50.
        var ghost = Ids.Participant("nobody " + Guid.NewGuid());
        Assert.Equal([(bank1.Id, 13_000.25m, 0m, 0m, 13_000.25m), (bank2.Id, 8_500.50m, 0m, 0m, 8_500.50m)],
            await Stress(core1.Id, core2.Id, core1.Id, supplier1.Id, supplier2.Id, ghost, supplier1.Id));
        Assert.Empty(await Stress(supplier2.Id, ghost));
    }

    // ------------------------------------------------------------------------------------------------
    // 4. The funder concentration alert: above 25% on one obligor raises one alert per crossing; exactly 25% does not.
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The bank discounts from five cores. Its first discount puts 100% of its portfolio on core 1 (the first crossing, one alert);
    /// 7,500.00 on each of the five brings it to 20% (below: the alert re-arms, alert_states.active = false). 2,500.00 more on
    /// core 1 makes exactly 10,000.00 of 40,000.00 = 25.00%: not above, no alert. One fen more, 10,000.01 of 40,000.01
    /// (25.0000187…%), is above: the second crossing, a second alert.
    /// Exposure events are applied asynchronously (a stream per obligor), so the test waits for the figures, and for a sentinel
    /// to know that the check after the 25% step has run: another bank's first discount on core 1, applied by the same
    /// obligor's risk grain after the bank's event, raises that bank's own alert.
    /// </summary>
    [Fact]
    public async Task Concentration_Exactly25PercentDoesNotAlert_OneFenAboveDoes_OncePerCrossing()
    {
        var bank = await S.Participant("funder");
        var sentinel = await S.Participant("funder");
        var supplier = await S.Participant("supplier");
        var cores = new List<Party>();
        for (var i = 0; i < 5; i++)
        {
            var core = await S.Participant("core");
            await S.Facility(bank, core, 100_000m);
            cores.Add(core);
        }
        await S.Facility(sentinel, cores[0], 100_000m);
        var first = await S.ActiveVoucher(cores[0], supplier, 20_000m);
        var d = (await supplier.Client.Post($"/v1/vouchers/{first}/discount", new { funderId = bank.Id, amount = 7_500m })).Expect(HttpStatusCode.Created).Json;
        var rest = d.GetProperty("remainder").GetProperty("id").GetString()!;
        await Eventually.True(async () => (await ConcentrationAlerts(bank.Id)).Count == 1, TimeSpan.FromSeconds(30), "the first crossing (100%)");

        foreach (var core in cores.Skip(1))
        {
            var root = await S.ActiveVoucher(core, supplier, 10_000m);
            (await supplier.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 7_500m })).Expect(HttpStatusCode.Created);
        }
        await Eventually.True(async () => await State(bank.Id) == (false, 1) && await Funder(bank) == (37_500m, 0.2000m),
            TimeSpan.FromSeconds(30), "20%: below the threshold, re-armed");

        // Exactly 25.00%.
        rest = await Discount(supplier, rest, bank, 2_500m);
        await Eventually.True(async () => await Funder(bank) == (40_000m, 0.2500m), TimeSpan.FromSeconds(30), "10,000.00 of 40,000.00");
        rest = await Discount(supplier, rest, sentinel, 1_000m);
        await Eventually.True(async () => (await ConcentrationAlerts(sentinel.Id)).Count == 1, TimeSpan.FromSeconds(30), "the sentinel's alert");
        Assert.Single(await ConcentrationAlerts(bank.Id));
        Assert.Equal((false, 1), await State(bank.Id));
        var detail = (await bank.Client.Get($"/v1/risk/exposures/funder/{bank.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((cores[0].Id, 10_000m), (detail.GetProperty("byCounterparty")[0].GetProperty("id").GetString(),
            detail.GetProperty("byCounterparty")[0].GetProperty("amount").GetDecimal()));

        // One fen above.
        await Discount(supplier, rest, bank, 0.01m);
        await Eventually.True(async () => (await ConcentrationAlerts(bank.Id)).Count == 2, TimeSpan.FromSeconds(30), "the second crossing");
        var second = (await ConcentrationAlerts(bank.Id))[1];
        Assert.Equal((cores[0].Id, bank.Id), (second.GetProperty("obligorId").GetString(), second.GetProperty("subjectId").GetString()));
        Assert.Equal((true, 2), await State(bank.Id));
        // The figure is rounded to 4 places: 10,000.01 / 40,000.01 = 0.25000018… reads 0.2500.
        Assert.Equal((40_000.01m, 0.2500m), await Funder(bank));
    }

    private async Task<string> Discount(Party supplier, string fragment, Party funder, decimal amount) =>
        (await supplier.Client.Post($"/v1/vouchers/{fragment}/discount", new { funderId = funder.Id, amount })).Expect(HttpStatusCode.Created)
        .Json.GetProperty("remainder").GetProperty("id").GetString()!;

    private async Task<List<JsonElement>> ConcentrationAlerts(string funderId) =>
        (await S.Operator.Get("/v1/risk/alerts?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
        .Where(a => a.GetProperty("kind").GetString() == "concentration" && a.GetProperty("funderId").GetString() == funderId)
        .Select(a => a.Clone()).ToList();

    private async Task<(bool Active, int Crossings)> State(string funderId)
    {
        await using var connection = fixture.Database.Open();
        return await connection.QuerySingleOrDefaultAsync<(bool, int)>(
            "SELECT active, crossings FROM alert_states WHERE key = @key", new { key = "concentration:" + funderId });
    }

    private static async Task<(decimal Outstanding, decimal Concentration)> Funder(Party bank)
    {
        var detail = (await bank.Client.Get($"/v1/risk/exposures/funder/{bank.Id}")).Expect(HttpStatusCode.OK).Json;
        return (detail.GetProperty("outstanding").GetDecimal(), detail.GetProperty("concentration").GetDecimal());
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers.
    // ------------------------------------------------------------------------------------------------

    private async Task Advance(int days) => (await S.Operator.Post("/v1/admin/clock/advance", new { days })).Expect(HttpStatusCode.OK);

    /// <summary>The buyer pays the order with a voucher to its supplier maturing in 60 days; returns the root id.</summary>
    private async Task<string> PayOrder(Party core, Party supplier, string order, decimal amount)
    {
        var root = (await core.Client.Post("/v1/vouchers", new
        {
            beneficiaryId = supplier.Id, amount, maturityDate = (await S.Today()).AddDays(60).ToString("yyyy-MM-dd"), orderId = order,
        })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal((order, amount), (root.GetProperty("orderId").GetString(), root.GetProperty("amount").GetDecimal()));
        return root.GetProperty("id").GetString()!;
    }

    private static List<(string, string, string, decimal)> Parts(JsonElement tree) =>
        tree.GetProperty("fragments").EnumerateArray().Where(f => f.GetProperty("parentId").ValueKind != JsonValueKind.Null)
            .Select(f => (f.GetProperty("id").GetString()!, f.GetProperty("holderId").GetString()!, f.GetProperty("status").GetString()!,
                f.GetProperty("amount").GetDecimal()))
            .OrderBy(f => int.Parse(f.Item1[(f.Item1.IndexOf('-') + 1)..])).ToList();

    private static List<(DateOnly, decimal, decimal, decimal, string, string?)> Repayments(JsonElement loan) =>
        loan.GetProperty("repayments").EnumerateArray()
            .Select(r => (DateOnly.Parse(r.GetProperty("on").GetString()!), r.GetProperty("amount").GetDecimal(), r.GetProperty("interest").GetDecimal(),
                r.GetProperty("principal").GetDecimal(), r.GetProperty("source").GetString()!, r.GetProperty("voucherId").GetString())).ToList();

    private static async Task<JsonElement> AssertLoan(Party reader, string loanId, string status, decimal outstanding, decimal accrued, decimal interestPaid)
    {
        var loan = (await reader.Client.Get($"/v1/loans/{loanId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((status, outstanding, accrued, interestPaid), (loan.GetProperty("status").GetString(), loan.GetProperty("outstandingPrincipal").GetDecimal(),
            loan.GetProperty("accruedInterest").GetDecimal(), loan.GetProperty("interestPaid").GetDecimal()));
        return loan;
    }

    private static async Task<decimal> Used(Party funder, string facility) =>
        (await funder.Client.Get($"/v1/facilities/{facility}")).Expect(HttpStatusCode.OK).Json.GetProperty("used").GetDecimal();

    private static async Task<(string?, string?)> OrderStatus(Party core, string order)
    {
        var o = (await core.Client.Get($"/v1/orders/{order}")).Expect(HttpStatusCode.OK).Json;
        return (o.GetProperty("status").GetString(), o.GetProperty("voucherId").GetString());
    }

    private async Task<decimal> Outstanding(string kind, string id) =>
        (await S.Operator.Get($"/v1/risk/exposures/{kind}/{id}")).Expect(HttpStatusCode.OK).Json.GetProperty("outstanding").GetDecimal();


    private static string LoanId(string supplierId, string key) => Ids.Loan(Ids.Operation(supplierId, key));

    /// <summary>An Idempotency-Key whose loan id (ids derive from the caller and its key) satisfies <paramref name="wanted"/>.</summary>
    private static string KeyFor(string supplierId, Func<string, bool> wanted)
    {
        for (var i = 0; i < 100_000; i++)
        {
            var key = $"loan-{Guid.NewGuid():N}";
            if (wanted(LoanId(supplierId, key))) return key;
        }
        throw new InvalidOperationException("no key found");
    }
}
