using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Data-driven credit lines through HTTP (API.md, "Credit lines"; DOMAIN.md, "Data-driven credit lines"), on the manual
/// clock: a score from what the supplier received, an application decided at once, draws within the room and the term,
/// repayment early and on time (the line grows), an overdue loan (the line shrinks to what is drawn), and each early-warning
/// signal raised with its evidence, suspending draws, and cleared. Its own database and host: the clock is its own.
/// </summary>
public sealed class CreditLineTests() : OwnHostTest("creditlines")
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private async Task<string> Publish(Party funder, string minGrade = "C", decimal lineShare = 0.3m, decimal maxLimit = 500_000m, int maxTermDays = 90) =>
        (await funder.Client.Post("/v1/credit/policies", new
        {
            funderId = funder.Id, minGrade, ratesByGrade = Rates(("A", 0.045m), ("B", 0.055m), ("C", 0.07m), ("D", 0.09m)), lineShare, maxLimit, maxTermDays,
        })).Expect(HttpStatusCode.Created).Id;

    /// <summary>Rates keyed "A" to "D" as API.md writes them (an anonymous object's properties would be camel-cased).</summary>
    private static Dictionary<string, decimal> Rates(params (string Grade, decimal Rate)[] rates) => rates.ToDictionary(r => r.Grade, r => r.Rate);

    private async Task<JsonElement> Score(Party who, Party supplier) =>
        (await who.Client.Get($"/v1/credit/scores/{supplier.Id}")).Expect(HttpStatusCode.OK).Json;

    /// <summary>The score once the events of what just happened reached the supplier's credit: polled, never slept on.</summary>
    private Task<JsonElement> ScoreWhen(Party supplier, Func<JsonElement, bool> done, string because) =>
        Eventually.Value(() => Score(supplier, supplier), done, Within, because);

    private static decimal Factor(JsonElement score, string name) =>
        score.GetProperty("factors").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).GetProperty("value").GetDecimal();

    private static int Points(JsonElement score, string name) =>
        score.GetProperty("factors").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).GetProperty("points").GetInt32();

    /// <summary>The supplier applies to the funder and must be approved: the line's id.</summary>
    private static async Task<string> Approved(Party supplier, Party funder)
    {
        var decision = (await supplier.Client.Post("/v1/credit/applications", new { funderId = funder.Id })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("approved", decision.GetProperty("decision").GetString());
        return decision.GetProperty("line").GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Line(Party who, string lineId) => (await who.Client.Get($"/v1/credit/lines/{lineId}")).Expect(HttpStatusCode.OK).Json;

    private Task<JsonElement> LineWhen(Party who, string lineId, Func<JsonElement, bool> done, string because) =>
        Eventually.Value(() => Line(who, lineId), done, Within, because);

    private async Task<IReadOnlyList<JsonElement>> Signals(Party? risk = null) =>
        (await (risk?.Client ?? S.Operator).Get("/v1/risk/signals?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
        .Select(e => e.Clone()).ToList();

    /// <summary>The signal of that kind on the supplier (that one, when <paramref name="id"/> is given), once it is open or cleared as asked.</summary>
    private Task<JsonElement> SignalWhen(string obligorId, string kind, bool cleared, string because, string? id = null) =>
        Eventually.Value(async () => (await Signals()).FirstOrDefault(s => s.GetProperty("obligorId").GetString() == obligorId && s.GetProperty("kind").GetString() == kind &&
                                                                           (id is null || s.GetProperty("id").GetString() == id) &&
                                                                           (s.GetProperty("clearedAt").ValueKind != JsonValueKind.Null) == cleared),
            s => s.ValueKind == JsonValueKind.Object, Within, because);

    /// <summary>A supplier that received 200,000.00 of core 1's voucher on T0 and a 100,000.00 order from core 2 on T0 + 85; now T0 + 91.</summary>
    private async Task<(Party Supplier, Party Core1, Party Core2)> SupplierWithHistory()
    {
        var core1 = await S.Participant("core");
        var core2 = await S.Participant("core");
        var supplier = await S.Participant("supplier");
        var funderOfCore = await S.Participant("funder");
        await S.Facility(funderOfCore, core1, 10_000_000m);
        await S.ActiveVoucher(core1, supplier, 200_000m, days: 300);
        await AdvanceDays(85);
        await S.Order(core2, supplier, 100_000m, paymentInDays: 60);
        await AdvanceDays(6);
        return (supplier, core1, core2);
    }

    [Fact]
    public async Task Walk_ScoreApplyApproved_Draw_RepayEarly_RepayOnTime_TheLineGrows()
    {
        var (supplier, core1, _) = await SupplierWithHistory();
        var funder = await S.Participant("funder");

        // By hand (README, "Credit scorecard"): 91 days on the platform → 70; 2 cores → 60; 300,000.00 received → 120;
        // largest core 200,000 / 300,000 = 0.6667 → 50; no loans yet → 30; no overdue days → 100; no default → 100;
        // no guarantee calls → 100. 630: grade C.
        var score = await ScoreWhen(supplier, s => Factor(s, "receivedLast180Days") == 300_000m, "both receipts reach the profile");
        Assert.Equal((630, "C"), (score.GetProperty("score").GetInt32(), score.GetProperty("grade").GetString()));
        Assert.Equal((91m, 2m, 0.6667m), (Factor(score, "daysOnPlatform"), Factor(score, "distinctCores"), Factor(score, "largestCoreShare")));
        Assert.Equal((70, 60, 120, 50, 30), (Points(score, "daysOnPlatform"), Points(score, "distinctCores"), Points(score, "receivedLast180Days"),
            Points(score, "largestCoreShare"), Points(score, "loansRepaidOnTime")));
        Assert.Equal((await S.Today()).ToString("yyyy-MM-dd"), score.GetProperty("asOf").GetString());

        // The funder has not been asked: it may not see the score yet.
        AssertProblem(await funder.Client.Get($"/v1/credit/scores/{supplier.Id}"), HttpStatusCode.NotFound, "not_found");

        await Publish(funder);
        var decision = (await supplier.Client.Post("/v1/credit/applications", new { funderId = funder.Id })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("approved", decision.GetProperty("decision").GetString());
        Assert.Equal(630, decision.GetProperty("score").GetProperty("score").GetInt32());
        var line = decision.GetProperty("line");
        var lineId = line.GetProperty("id").GetString()!;
        // 30% of 300,000.00 received in 180 days; the rate of grade C.
        Assert.Equal((90_000m, 0m, 0.07m, "C", "active"), (line.GetProperty("limit").GetDecimal(), line.GetProperty("used").GetDecimal(),
            line.GetProperty("annualRate").GetDecimal(), line.GetProperty("grade").GetString(), line.GetProperty("status").GetString()));
        Assert.Equal((funder.Id, supplier.Id), (line.GetProperty("funderId").GetString(), line.GetProperty("supplierId").GetString()));
        Assert.Equal(630, (await Score(funder, supplier)).GetProperty("score").GetInt32()); // asked now, it may see the score

        // A draw in one call: a loan that draws on the line, at its rate, due after its term.
        var today = await S.Today();
        var loan = (await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 50_000m, termDays = 30 })).Expect(HttpStatusCode.Created).Json;
        var loanId = loan.GetProperty("id").GetString()!;
        Assert.Equal((lineId, funder.Id, 50_000m, 0.07m, today.AddDays(30).ToString("yyyy-MM-dd"), "active"),
            (loan.GetProperty("creditLineId").GetString(), loan.GetProperty("funderId").GetString(), loan.GetProperty("principal").GetDecimal(),
                loan.GetProperty("annualRate").GetDecimal(), loan.GetProperty("dueDate").GetString(), loan.GetProperty("status").GetString()));
        Assert.Equal(50_000m, (await Line(supplier, lineId)).GetProperty("used").GetDecimal());

        // Beyond the room (90,000 − 50,000): 409 insufficient_limit; beyond the policy's term: 400; nothing drawn.
        AssertProblem(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 40_000.01m, termDays = 30 }),
            HttpStatusCode.Conflict, "insufficient_limit");
        AssertValidation(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 91 }), "termDays");
        Assert.Equal(50_000m, (await Line(funder, lineId)).GetProperty("used").GetDecimal());

        // Repay early, in part: 10 days of interest first (50,000 × 0.07 × 10 / 360 = 97.22), then principal.
        await AdvanceDays(10);
        var repaid = (await supplier.Client.Post($"/v1/loans/{loanId}/repay", new { amount = 10_097.22m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(40_000m, repaid.GetProperty("outstandingPrincipal").GetDecimal());
        await LineWhen(supplier, lineId, l => l.GetProperty("used").GetDecimal() == 40_000m, "the line's usage follows the outstanding principal");

        // More business: core 1 passes another 200,000.00; then the rest is repaid in full before the due date.
        await S.ActiveVoucher(core1, supplier, 200_000m, days: 300);
        await ScoreWhen(supplier, s => Factor(s, "receivedLast180Days") == 500_000m, "the new receipt reaches the profile");
        await AdvanceDays(10);
        var owed = (await supplier.Client.Get($"/v1/loans/{loanId}")).Expect(HttpStatusCode.OK).Json;
        var payoff = owed.GetProperty("outstandingPrincipal").GetDecimal() + owed.GetProperty("accruedInterest").GetDecimal();
        Assert.Equal("repaid", (await supplier.Client.Post($"/v1/loans/{loanId}/repay", new { amount = payoff })).Expect(HttpStatusCode.OK).Json
            .GetProperty("status").GetString());

        // Re-scored: one loan on time → 60; 111 days → 70; 500,000.00 → 120; largest share 0.8 → 50: 660, grade B. The line
        // grows to 30% of 500,000.00 = 150,000.00 at B's rate.
        var grown = await LineWhen(supplier, lineId, l => l.GetProperty("limit").GetDecimal() == 150_000m, "the line grows after an on-time repayment");
        Assert.Equal((0m, "B", 0.055m), (grown.GetProperty("used").GetDecimal(), grown.GetProperty("grade").GetString(), grown.GetProperty("annualRate").GetDecimal()));
        var rescored = await Score(supplier, supplier);
        Assert.Equal((660, "B", 1m), (rescored.GetProperty("score").GetInt32(), rescored.GetProperty("grade").GetString(), Factor(rescored, "loansRepaidOnTime")));

        // Same data, same score.
        Assert.Equal(rescored.GetRawText(), (await Score(supplier, supplier)).GetRawText());

        // Reconciliation checks each line's usage against what its loans owe, and names a line whose row says otherwise.
        var draw = (await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 12_345.67m, termDays = 30 })).Expect(HttpStatusCode.Created);
        await S.ExposuresReconcile(Within);
        Assert.True((await S.Operator.Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.OK).Json.GetProperty("creditLinesChecked").GetInt32() >= 1);
        await using (var connection = Db.Open())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE credit_lines SET used = used + 0.01 WHERE line_id = @lineId", new { lineId });
        var broken = (await S.Operator.Get("/v1/risk/reconciliation")).Expect(HttpStatusCode.OK).Json;
        Assert.False(broken.GetProperty("consistent").GetBoolean());
        var difference = Assert.Single(broken.GetProperty("bookDifferences").EnumerateArray());
        Assert.Equal(("creditLine", lineId, "used", 12_345.68m, 12_345.67m), (difference.GetProperty("kind").GetString(), difference.GetProperty("id").GetString(),
            difference.GetProperty("figure").GetString(), difference.GetProperty("projected").GetDecimal(), difference.GetProperty("recomputed").GetDecimal()));
        Assert.Equal(draw.Id, (await supplier.Client.Get($"/v1/loans/{draw.Id}")).Expect(HttpStatusCode.OK).Id);
    }

    [Fact]
    public async Task ALowScore_IsDeclined_WithTheReasons_AndNoLine()
    {
        var supplier = await S.Participant("supplier");
        var funder = await S.Participant("funder");
        await Publish(funder, minGrade: "C");
        var score = await Score(supplier, supplier);
        // Nothing on the platform: 0 + 0 + 0 + 20 (all from "one" core) + 30 + 100 + 100 + 100 = 350: grade D.
        Assert.Equal((350, "D"), (score.GetProperty("score").GetInt32(), score.GetProperty("grade").GetString()));

        var decision = (await supplier.Client.Post("/v1/credit/applications", new { funderId = funder.Id })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("declined", decision.GetProperty("decision").GetString());
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("line").ValueKind);
        var reasons = decision.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(reasons, r => r.StartsWith("grade D (score 350) is below the policy's minimum grade C", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("receivedLast180Days is 0: 0 of 200 points", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("nothing was received in the last 180 days", StringComparison.Ordinal));
        // The funder it applied to may now see the score.
        Assert.Equal(350, (await Score(funder, supplier)).GetProperty("score").GetInt32());
    }

    [Fact]
    public async Task AnOverdueLoan_CutsTheLineToWhatIsDrawn_RaisesTheSignal_RefusesDraws_UntilRepaid()
    {
        var (supplier, _, _) = await SupplierWithHistory();
        var funder = await S.Participant("funder");
        await Publish(funder);
        await ScoreWhen(supplier, s => Factor(s, "receivedLast180Days") == 300_000m, "both receipts reach the profile");
        var lineId = await Approved(supplier, funder);
        var loanId = (await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 20_000m, termDays = 10 })).Expect(HttpStatusCode.Created).Id;

        await AdvanceDays(11); // the day after the due date: overdue
        var cut = await LineWhen(funder, lineId, l => l.GetProperty("status").GetString() == "suspended", "the overdue loan suspends the line");
        Assert.Equal((20_000m, 20_000m), (cut.GetProperty("limit").GetDecimal(), cut.GetProperty("used").GetDecimal()));
        var signal = cut.GetProperty("signals").EnumerateArray().Single();
        Assert.Equal(("loan_overdue", loanId), (signal.GetProperty("kind").GetString(), signal.GetProperty("evidence").GetProperty("loanId").GetString()));
        var listed = await SignalWhen(supplier.Id, "loan_overdue", cleared: false, "the signal is listed for risk staff");
        Assert.Equal(signal.GetProperty("id").GetString(), listed.GetProperty("id").GetString());
        Assert.Equal("20000.00", listed.GetProperty("evidence").GetProperty("outstandingPrincipal").GetString());
        // The cursor a reader polls with: nothing new since it, until the signal clears.
        var cursor = (await S.Operator.Get("/v1/risk/signals?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("next").GetString();
        var nothingNew = (await S.Operator.Get($"/v1/risk/signals?after={cursor}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((0, cursor), (nothingNew.GetProperty("items").GetArrayLength(), nothingNew.GetProperty("next").GetString()));
        AssertProblem(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 0.01m, termDays = 10 }), HttpStatusCode.Conflict, "invalid_state");
        // An alert too.
        var alerts = (await S.Operator.Get("/v1/risk/alerts?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray();
        Assert.Contains(alerts, a => a.GetProperty("kind").GetString() == "early_warning" && a.GetProperty("obligorId").GetString() == supplier.Id);

        // Repaid: the signal clears and the line is active again, its limit what was drawn when it was cut.
        var owed = (await supplier.Client.Get($"/v1/loans/{loanId}")).Expect(HttpStatusCode.OK).Json;
        (await supplier.Client.Post($"/v1/loans/{loanId}/repay", new
        {
            amount = owed.GetProperty("outstandingPrincipal").GetDecimal() + owed.GetProperty("accruedInterest").GetDecimal(),
        })).Expect(HttpStatusCode.OK);
        var active = await LineWhen(supplier, lineId, l => l.GetProperty("status").GetString() == "active", "the repaid loan clears the signal");
        Assert.Equal((20_000m, 0m), (active.GetProperty("limit").GetDecimal(), active.GetProperty("used").GetDecimal()));
        await SignalWhen(supplier.Id, "loan_overdue", cleared: true, "the cleared signal is listed again, with its clearing", listed.GetProperty("id").GetString());
        var since = (await S.Operator.Get($"/v1/risk/signals?after={cursor}")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(since, s => s.GetProperty("id").GetString() == listed.GetProperty("id").GetString() && s.GetProperty("clearedAt").ValueKind == JsonValueKind.String);
        (await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 })).Expect(HttpStatusCode.Created);
        // Repaid late: it counts as overdue days, not as on time.
        var score = await Score(supplier, supplier);
        Assert.Equal((0m, 1m), (Factor(score, "loansRepaidOnTime"), Factor(score, "overdueDays")));
    }

    [Fact]
    public async Task FallingReceipts_RaiseTheSignal_SuspendTheLine_AndANewReceiptClearsIt()
    {
        var (supplier, _, core2) = await SupplierWithHistory();
        var funder = await S.Participant("funder");
        await Publish(funder);
        await ScoreWhen(supplier, s => Factor(s, "receivedLast180Days") == 300_000m, "both receipts reach the profile");
        var lineId = await Approved(supplier, funder);

        // T0 + 91 + 25 = T0 + 116: nothing received since T0 + 85, more than 30 days ago; the 180 days before held 300,000.00,
        // a monthly average of 50,000.00.
        await AdvanceDays(25);
        var signal = await SignalWhen(supplier.Id, "falling_receipts", cleared: false, "the daily look raises falling receipts");
        Assert.Equal(("0.00", "50000.00"), (signal.GetProperty("evidence").GetProperty("receivedLast30Days").GetString(),
            signal.GetProperty("evidence").GetProperty("monthlyAverageBefore").GetString()));
        Assert.Equal("suspended", (await Line(supplier, lineId)).GetProperty("status").GetString());
        AssertProblem(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 }), HttpStatusCode.Conflict, "invalid_state");

        // 30,000.00 received now is above half the average (25,000.00): cleared, draws allowed again.
        await S.Order(core2, supplier, 30_000m, paymentInDays: 60);
        await SignalWhen(supplier.Id, "falling_receipts", cleared: true, "a new receipt clears falling receipts", signal.GetProperty("id").GetString());
        Assert.Equal("active", (await Line(supplier, lineId)).GetProperty("status").GetString());
        (await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ACoreItSellsTo_Overdue_RaisesTheSignal_AndItsRepaymentClearsIt()
    {
        var core = await S.Participant("core");
        var supplier = await S.Participant("supplier");
        var funder = await S.Participant("funder");
        await S.Facility(funder, core, 10_000_000m);
        var root = await S.ActiveVoucher(core, supplier, 200_000m, days: 10);
        // One core, 200,000.00 received today: 0 + 30 + 120 + 20 + 30 + 100 + 100 + 100 = 500, grade C.
        await ScoreWhen(supplier, s => s.GetProperty("score").GetInt32() == 500, "the receipt reaches the profile");
        await Publish(funder, minGrade: "D");
        var lineId = await Approved(supplier, funder);

        await AdvanceDays(11); // the voucher is overdue: the core it sells to is in arrears
        var signal = await SignalWhen(supplier.Id, "core_overdue", cleared: false, "the core's overdue voucher raises the signal");
        Assert.Equal((core.Id, "200000.00"), (signal.GetProperty("evidence").GetProperty("coreId").GetString(),
            signal.GetProperty("evidence").GetProperty("overdue").GetString()));
        AssertProblem(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 }), HttpStatusCode.Conflict, "invalid_state");

        (await core.Client.Post($"/v1/vouchers/{root}/repay")).Expect(HttpStatusCode.OK);
        await SignalWhen(supplier.Id, "core_overdue", cleared: true, "the core's repayment clears the signal", signal.GetProperty("id").GetString());
        Assert.Equal("active", (await Line(supplier, lineId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CalledAsAGuarantor_RaisesTheSignal_WithTheCall_SuspendsTheLine_UntilTheCallIsPaid()
    {
        var funder = await S.Participant("funder");
        var members = new[] { await S.Participant("supplier"), await S.Participant("supplier"), await S.Participant("supplier") };
        // Member 1 has a line with the funder: an order of 100,000.00 received today (score 460, grade D).
        var core = await S.Participant("core");
        await S.Order(core, members[1], 100_000m, paymentInDays: 90);
        await ScoreWhen(members[1], s => Factor(s, "receivedLast180Days") == 100_000m, "the order reaches the profile");
        await Publish(funder, minGrade: "D");
        var lineId = await Approved(members[1], funder);
        var group = (await funder.Client.Post("/v1/guarantee-groups", new
        {
            funderId = funder.Id, memberIds = members.Select(m => m.Id).ToArray(), groupLimit = 100_000m, memberCap = 30_000m, annualRate = 0.06m,
            expiresOn = (await S.Today()).AddDays(365).ToString("yyyy-MM-dd"),
        })).Expect(HttpStatusCode.Created).Id;
        foreach (var m in members) (await m.Client.Post($"/v1/guarantee-groups/{group}/consent")).Expect(HttpStatusCode.OK);
        var loanId = (await members[0].Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 10_000m, termDays = 10 })).Expect(HttpStatusCode.Created).Id;

        await AdvanceDays(11); // overdue: the borrower's own signal
        await SignalWhen(members[0].Id, "loan_overdue", cleared: false, "the borrower's overdue loan raises its signal");
        await AdvanceDays(30); // defaulted: the others are called
        var called = await SignalWhen(members[1].Id, "guarantor_called", cleared: false, "the guarantee call raises the signal");
        var owed = decimal.Parse(called.GetProperty("evidence").GetProperty("owed").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(owed > 0m);
        var score = await Score(members[1], members[1]);
        Assert.Equal(owed, Factor(score, "guaranteeCallsOwed"));
        Assert.Equal(1m, Factor(await Score(members[0], members[0]), "defaults"));
        await S.Order(core, members[1], 100_000m, paymentInDays: 90); // business goes on: receipts do not fall
        AssertProblem(await members[1].Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 }), HttpStatusCode.Conflict, "invalid_state");

        // The member pays its call to the funder, in two parts; more than is owed, or a non-member, changes nothing.
        AssertValidation(await members[1].Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = owed + 0.01m }), "amount");
        AssertProblem(await core.Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = 1m }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await members[0].Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = 1m }), HttpStatusCode.NotFound, "not_found");
        (await members[1].Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = 1_000m })).Expect(HttpStatusCode.OK);
        var paid = (await members[1].Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = owed - 1_000m })).Expect(HttpStatusCode.OK).Json;
        var call = paid.GetProperty("waterfall").GetProperty("guarantorCalls").EnumerateArray().Single(c => c.GetProperty("memberId").GetString() == members[1].Id);
        Assert.Equal((owed, owed), (call.GetProperty("amount").GetDecimal(), call.GetProperty("paid").GetDecimal()));
        AssertProblem(await members[1].Client.Post($"/v1/loans/{loanId}/calls/pay", new { amount = 1m }), HttpStatusCode.Conflict, "invalid_state");

        // Paid: the signal clears, the exposure is gone, the line is active again; the group's capUsed stays what was called.
        await SignalWhen(members[1].Id, "guarantor_called", cleared: true, "paying the call clears the signal", called.GetProperty("id").GetString());
        Assert.Equal(0m, Factor(await Score(members[1], members[1]), "guaranteeCallsOwed"));
        Assert.Equal("active", (await Line(members[1], lineId)).GetProperty("status").GetString());
        (await members[1].Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 })).Expect(HttpStatusCode.Created);
        var member = (await funder.Client.Get($"/v1/guarantee-groups/{group}")).Expect(HttpStatusCode.OK).Json.GetProperty("members").EnumerateArray()
            .Single(m => m.GetProperty("id").GetString() == members[1].Id);
        Assert.Equal(owed, member.GetProperty("capUsed").GetDecimal());
        await S.ExposuresReconcile(Within, "the paid call leaves the member's exposure, and the books reconcile");
        Assert.DoesNotContain((await S.Operator.Get($"/v1/risk/exposures/obligor/{members[1].Id}")).Expect(HttpStatusCode.OK).Json
            .GetProperty("byStatus").EnumerateObject(), p => p.Name == "called" && p.Value.GetDecimal() != 0m);
    }

    [Fact]
    public async Task WhoSeesWhat_AndBadInput_ChangesNothing()
    {
        var (supplier, core, _) = await SupplierWithHistory();
        var other = await S.Participant("supplier");
        var funder = await S.Participant("funder");
        var otherFunder = await S.Participant("funder");
        var policyId = await Publish(funder);

        // Bad policies: a problem naming the field, and the funder's policy stays the one it published.
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { funderId = funder.Id, minGrade = "E", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0.3m, maxLimit = 1m, maxTermDays = 30 }, "minGrade"),
                     (new { funderId = funder.Id, minGrade = "B", ratesByGrade = Rates(("A", 0.05m), ("B", 1.2m)), lineShare = 0.3m, maxLimit = 1m, maxTermDays = 30 }, "ratesByGrade.B"),
                     (new { funderId = funder.Id, minGrade = "B", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0.3m, maxLimit = 1m, maxTermDays = 30 }, "ratesByGrade.B"),
                     (new { funderId = funder.Id, minGrade = "A", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0m, maxLimit = 1m, maxTermDays = 30 }, "lineShare"),
                     (new { funderId = funder.Id, minGrade = "A", ratesByGrade = Rates(("A", 0.05m)), lineShare = 1.5m, maxLimit = 1m, maxTermDays = 30 }, "lineShare"),
                     (new { funderId = funder.Id, minGrade = "A", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0.3m, maxLimit = -1m, maxTermDays = 30 }, "maxLimit"),
                     (new { funderId = funder.Id, minGrade = "A", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0.3m, maxLimit = 1m, maxTermDays = 0 }, "maxTermDays"),
                 })
            AssertValidation(await funder.Client.Post("/v1/credit/policies", body), field);
        AssertProblem(await funder.Client.PostRaw("/v1/credit/policies",
            $$"""{"funderId":"{{funder.Id}}","minGrade":"A","ratesByGrade":{"A":0.05,"E":0.2},"lineShare":0.3,"maxLimit":1,"maxTermDays":30}"""),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(policyId, (await supplier.Client.Get($"/v1/credit/policies/{funder.Id}")).Expect(HttpStatusCode.OK).Id);
        // Only in its own name.
        AssertProblem(await otherFunder.Client.Post("/v1/credit/policies", new
        {
            funderId = funder.Id, minGrade = "A", ratesByGrade = Rates(("A", 0.05m)), lineShare = 0.3m, maxLimit = 1m, maxTermDays = 30,
        }), HttpStatusCode.Forbidden, "forbidden");

        // An application to a funder with no policy, or to a participant that is not a funder.
        AssertProblem(await supplier.Client.Post("/v1/credit/applications", new { funderId = otherFunder.Id }), HttpStatusCode.Conflict, "invalid_state");
        AssertValidation(await supplier.Client.Post("/v1/credit/applications", new { funderId = core.Id }), "funderId");
        AssertProblem(await core.Client.Post("/v1/credit/applications", new { funderId = funder.Id }), HttpStatusCode.Forbidden, "forbidden");

        await ScoreWhen(supplier, s => Factor(s, "receivedLast180Days") == 300_000m, "both receipts reach the profile");
        var lineId = await Approved(supplier, funder);

        // Scores: the supplier, the funder it applied to, staff; not another supplier, another funder or a core.
        AssertProblem(await other.Client.Get($"/v1/credit/scores/{supplier.Id}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await otherFunder.Client.Get($"/v1/credit/scores/{supplier.Id}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await core.Client.Get($"/v1/credit/scores/{supplier.Id}"), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await S.Operator.Get($"/v1/credit/scores/{core.Id}"), HttpStatusCode.NotFound, "not_found");
        (await S.Operator.Get($"/v1/credit/scores/{supplier.Id}")).Expect(HttpStatusCode.OK);
        var scoped = (await S.Operator.Post("/v1/risk-staff", new { name = "desk", funderId = otherFunder.Id })).Expect(HttpStatusCode.Created);
        var scopedStaff = new Party(scoped.Id, "risk", Host.Client(scoped.Json.GetProperty("apiKey").GetString()));

        // Lines: its supplier, its funder, staff (scoped staff: their funder's lines); else 404, as for an id that names nothing.
        AssertProblem(await other.Client.Get($"/v1/credit/lines/{lineId}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await otherFunder.Client.Get($"/v1/credit/lines/{lineId}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await scopedStaff.Client.Get($"/v1/credit/lines/{lineId}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await S.Operator.Get($"/v1/credit/lines/cl-{other.Id}-{funder.Id}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await S.Operator.Get("/v1/credit/lines/cl-nothing"), HttpStatusCode.NotFound, "not_found");
        (await S.Operator.Get($"/v1/credit/lines/{lineId}")).Expect(HttpStatusCode.OK);

        // Draws: only its supplier; bad amounts and terms change nothing.
        AssertProblem(await other.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 10 }), HttpStatusCode.NotFound, "not_found");
        AssertValidation(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 0m, termDays = 10 }), "amount");
        AssertValidation(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1.001m, termDays = 10 }), "amount");
        AssertValidation(await supplier.Client.Post($"/v1/credit/lines/{lineId}/draws", new { amount = 1_000m, termDays = 0 }), "termDays");
        AssertProblem(await supplier.Client.PostRaw($"/v1/credit/lines/{lineId}/draws", """{"amount":1000,"termDays":10,"annualRate":0.01}"""),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(0m, (await Line(supplier, lineId)).GetProperty("used").GetDecimal());

        // Signals: staff only; a scoped desk sees only suppliers its funder has a line on.
        AssertProblem(await supplier.Client.Get("/v1/risk/signals"), HttpStatusCode.Forbidden, "forbidden");
        AssertValidation(await S.Operator.Get("/v1/risk/signals?after=x"), "after");
        Assert.Empty(await Signals(scopedStaff));
    }
}
