using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Clock;
using SupplyChain.Grains.Maturity;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Order-financing loans against the manual clock: active on the due date, overdue the day after, defaulted 30 days
/// after it; interest per ACT/360 to the fen, half away from zero, frozen on the default date; one "overdue" and one
/// "default" alert; the exposure events; recovery in cash; missed ticks; the sweep running at once when the clock
/// moves, and after a restart. Each test has its own database and host, so the clock and the alerts are its own.
///
/// Every loan here is the same: an order of 100,000.00 paid 15 days from T0, a loan of 70,000.00 at 4.35% disbursed
/// on T0, so due on T0 + 15 + 30 = T0 + 45 and defaulted on T0 + 75. Per day the principal earns
/// 70,000.00 × 0.0435 / 360 = 3,045 / 360 yuan.
/// </summary>
public sealed class LoanMaturityTests() : OwnHostTest("loanmaturity")
{
    private const decimal Principal = 70_000m;
    private const decimal Rate = 0.0435m;

    [Fact]
    public async Task StepByStep_ActiveOnDueDate_OverdueNextDay_DefaultedAfter30Days_InterestFrozen_AlertsOnce_ThenRecoveredInCash()
    {
        var l = await FinancedOrder();

        // Due date, T0 + 45: still active. 3,045 × 45 / 360 = 380.625 → 380.63 (half away from zero; half-even would say 380.62).
        await Advance(45, l.T0);
        Assert.Equal(("active", Principal), await Row(l.LoanId));
        Assert.Empty(await AlertsAbout(l.LoanId));
        await AssertLoan(l, "active", Principal, 380.63m);

        // Due + 1: overdue. The sweep of the advance did it: the row and the alert are there before anyone asks the loan.
        await Advance(1, l.T0);
        Assert.Equal(("overdue", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        Assert.Equal(Principal, await Used(l));
        // 3,045 × 46 / 360 = 389.0833… → 389.08.
        await AssertLoan(l, "overdue", Principal, 389.08m);

        // Due + 29: still overdue, no second alert. 3,045 × 74 / 360 = 625.9166… → 625.92.
        await Advance(28, l.T0);
        Assert.Equal(("overdue", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        await AssertLoan(l, "overdue", Principal, 625.92m);

        // Due + 30: defaulted, before any GET. 3,045 × 75 / 360 = 634.375 → 634.38.
        await Advance(1, l.T0);
        Assert.Equal(("defaulted", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        Assert.Equal(Principal, await Used(l));
        await AssertLoan(l, "defaulted", Principal, 634.38m);

        // Due + 45: interest stopped on the default date (it would be 3,045 × 90 / 360 = 761.25 otherwise); no alert again.
        await Advance(15, l.T0);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        await AssertLoan(l, "defaulted", Principal, 634.38m);

        var events = await EventsOf(l, 3);
        Assert.Equal(
        [
            "disbursed none -> bank/funder/active/t0/70000.00",
            "overdue bank/funder/active/t0/70000.00 -> bank/funder/overdue/t0/70000.00",
            "defaulted bank/funder/overdue/t0/70000.00 -> bank/funder/defaulted/t0/70000.00",
        ], events.Select(e => Describe(e, l)));

        // Recovery: what is owed is 70,000.00 + 634.38 and not one fen more.
        var tooMuch = (await l.Supplier.Client.Post($"/v1/loans/{l.LoanId}/repay", new { amount = 70_634.39m })).Expect(HttpStatusCode.BadRequest);
        Assert.Equal("validation_failed", tooMuch.Code);
        var repaid = (await l.Supplier.Client.Post($"/v1/loans/{l.LoanId}/repay", new { amount = 70_634.38m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("repaid", 0m, 0m, 634.38m), (repaid.GetProperty("status").GetString(), repaid.GetProperty("outstandingPrincipal").GetDecimal(),
            repaid.GetProperty("accruedInterest").GetDecimal(), repaid.GetProperty("interestPaid").GetDecimal()));
        var repayment = Assert.Single(repaid.GetProperty("repayments").EnumerateArray());
        Assert.Equal(("cash", 70_634.38m, 634.38m, 70_000m, l.T0.AddDays(90).ToString("yyyy-MM-dd")),
            (repayment.GetProperty("source").GetString(), repayment.GetProperty("amount").GetDecimal(), repayment.GetProperty("interest").GetDecimal(),
                repayment.GetProperty("principal").GetDecimal(), repayment.GetProperty("on").GetString()));
        Assert.Equal(0m, await Used(l));
        Assert.Equal(("repaid", 0m), await Row(l.LoanId));
        events = await EventsOf(l, 4);
        Assert.Equal("repaid bank/funder/defaulted/t0/70000.00 -> none", Describe(events[3], l));
        await AssertLoan(l, "repaid", 0m, 0m);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
    }

    [Fact]
    public async Task OverdueLoan_RepaidInCash_PartlyThenFully_IsRepaid_FreesTheFacility_AndNeverDefaults()
    {
        var l = await FinancedOrder();

        // Due + 10: overdue; 3,045 × 55 / 360 = 465.2083… → 465.21.
        await Advance(55, l.T0);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        await AssertLoan(l, "overdue", Principal, 465.21m);

        // 10,000.00 pays the 465.21 interest first, then 9,534.79 principal: 60,465.21 is left, and the facility follows it.
        var part = (await l.Supplier.Client.Post($"/v1/loans/{l.LoanId}/repay", new { amount = 10_000m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("overdue", 60_465.21m, 0m, 465.21m), (part.GetProperty("status").GetString(), part.GetProperty("outstandingPrincipal").GetDecimal(),
            part.GetProperty("accruedInterest").GetDecimal(), part.GetProperty("interestPaid").GetDecimal()));
        Assert.Equal(60_465.21m, await Used(l));
        Assert.Equal(("overdue", 60_465.21m), await Row(l.LoanId));

        // Due + 15: a new period on the new principal: 60,465.21 × 0.0435 × 5 / 360 = 36.5310… → 36.53; owed 60,501.74.
        await Advance(5, l.T0);
        await AssertLoan(l, "overdue", 60_465.21m, 36.53m);
        (await l.Supplier.Client.Post($"/v1/loans/{l.LoanId}/repay", new { amount = 60_501.75m })).Expect(HttpStatusCode.BadRequest);
        var repaid = (await l.Supplier.Client.Post($"/v1/loans/{l.LoanId}/repay", new { amount = 60_501.74m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("repaid", 0m, 0m, 501.74m), (repaid.GetProperty("status").GetString(), repaid.GetProperty("outstandingPrincipal").GetDecimal(),
            repaid.GetProperty("accruedInterest").GetDecimal(), repaid.GetProperty("interestPaid").GetDecimal()));
        Assert.Equal(0m, await Used(l));
        Assert.Equal(("repaid", 0m), await Row(l.LoanId));

        // Past what would have been the default date: a repaid loan stays repaid, and no default alert is raised.
        await Advance(20, l.T0);
        await AssertLoan(l, "repaid", 0m, 0m);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        var events = await EventsOf(l, 4);
        Assert.Equal(
        [
            "disbursed none -> bank/funder/active/t0/70000.00",
            "overdue bank/funder/active/t0/70000.00 -> bank/funder/overdue/t0/70000.00",
            "repaid bank/funder/overdue/t0/70000.00 -> bank/funder/overdue/t0/60465.21",
            "repaid bank/funder/overdue/t0/60465.21 -> none",
        ], events.Select(e => Describe(e, l)));
        // The order no longer has a loan drawing on it: the buyer may cancel it.
        (await l.Core.Client.Post($"/v1/orders/{l.Order}/cancel")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MissedTicks_OneJumpStraightPastTheDefaultDate_GivesTheSameLoanAndBothAlerts_AtOnce()
    {
        var l = await FinancedOrder();

        // One jump from T0 to due + 40: no sweep ever saw the due date or the default date.
        await Advance(85, l.T0);
        // Right after the advance returns, before the loan is asked anything: the read model and both alerts.
        Assert.Equal(("defaulted", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        Assert.Equal(Principal, await Used(l));
        // Interest to the default date only, as with small steps: 3,045 × 75 / 360 = 634.375 → 634.38.
        await AssertLoan(l, "defaulted", Principal, 634.38m);

        // One change was stored, so one event carries the exposure from active to defaulted; the position ends where small steps end.
        var events = await EventsOf(l, 2);
        Assert.Equal(
        [
            "disbursed none -> bank/funder/active/t0/70000.00",
            "defaulted bank/funder/active/t0/70000.00 -> bank/funder/defaulted/t0/70000.00",
        ], events.Select(e => Describe(e, l)));
        var buckets = await Host.Services.GetRequiredService<IExposureStore>().BucketsAsync(obligorId: l.Supplier.Id);
        var bucket = Assert.Single(buckets);
        Assert.Equal((l.Bank.Id, "funder", "defaulted", 0, Principal), (bucket.HolderId, bucket.HolderRole, bucket.Status, bucket.Tier, bucket.Amount));

        // Later sweeps raise nothing again.
        await Advance(1, l.T0);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        await AssertLoan(l, "defaulted", Principal, 634.38m);
    }

    [Fact]
    public async Task AcrossRestarts_TheClockMovesPastTheDueDateAndTheDefaultDate_LoanAlertsAndEventsAreRight()
    {
        var l = await FinancedOrder();

        await Restart();
        l = Rebind(l);
        Assert.Equal(l.T0, await S.Today());
        await Advance(46, l.T0); // due + 1
        Assert.Equal(("overdue", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        await AssertLoan(l, "overdue", Principal, 389.08m);

        await Restart();
        l = Rebind(l);
        await Advance(29, l.T0); // due + 30
        Assert.Equal(("defaulted", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        await AssertLoan(l, "defaulted", Principal, 634.38m);
        Assert.Equal(Principal, await Used(l));
        var events = await EventsOf(l, 3);
        Assert.Equal(["disbursed", "overdue", "defaulted"], events.Select(e => e.Kind));
        Assert.Equal(Principal, events[2].After!.Amount);

        await Advance(10, l.T0);
        await AssertLoan(l, "defaulted", Principal, 634.38m);
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
    }

    [Fact]
    public async Task DueAndDefaultDatesPassedWhileTheHostWasDown_TheSweepAfterStartBringsTheLoanUpToDate()
    {
        var l = await FinancedOrder();

        // The calendar moves to due + 31 without a sweep (the clock grain alone, as if the platform were down meanwhile).
        // Nothing has processed it yet (the sweep's reminder first ticks a minute after the host started, well after this).
        var moved = await Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IClockGrain>(ClockGrain.Key).Advance(76);
        Assert.Equal(l.T0.AddDays(76), moved);
        Assert.Equal(("active", Principal), await Row(l.LoanId));
        Assert.Empty(await AlertsAbout(l.LoanId));

        await Restart();
        l = Rebind(l);
        Assert.Equal(l.T0.AddDays(76), await S.Today());
        // The sweep's durable reminder is registered (every minute); its tick runs exactly this call.
        await using (var connection = Db.Open())
            Assert.Equal(60_000L, await connection.QuerySingleAsync<long>("SELECT period FROM orleansreminderstable WHERE remindername = 'sweep'"));
        var swept = await Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IMaturitySweepGrain>(MaturitySweepGrain.Key).Sweep();
        Assert.True(swept >= 1, $"the sweep asked {swept} items to catch up");

        // Up to date without anyone asking the loan: read model, alerts, exposure.
        Assert.Equal(("defaulted", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue", "default");
        var events = await EventsOf(l, 2);
        Assert.Equal(["disbursed", "defaulted"], events.Select(e => e.Kind));
        Assert.Equal(("defaulted", Principal), (events[1].After!.Status, events[1].After!.Amount));
        // Interest to the default date: 634.38.
        await AssertLoan(l, "defaulted", Principal, 634.38m);
        Assert.Equal(Principal, await Used(l));
    }

    [Fact]
    public async Task ReadModelRowLost_TheSweepReprojectsTheLoan_AndStillMakesItOverdueAtOnce()
    {
        var l = await FinancedOrder();

        // The process died between the loan's stored write and its read-model row.
        await using (var connection = Db.Open())
            Assert.Equal(1, await connection.ExecuteAsync("DELETE FROM loans WHERE loan_id = @id", new { id = l.LoanId }));

        await Advance(46, l.T0); // due + 1
        Assert.Equal(("overdue", Principal), await Row(l.LoanId));
        AssertAlerts(l, await AlertsAbout(l.LoanId), "overdue");
        await AssertLoan(l, "overdue", Principal, 389.08m);
    }

    [Fact]
    public async Task PendingTransfersUnansweredFor7Days_ReturnToTheSender_AcrossARestart()
    {
        var core = await S.Participant("core");
        var s1 = await S.Participant("supplier");
        var s2 = await S.Participant("supplier");
        var bank = await S.Participant("funder");
        await S.Facility(bank, core, 100_000m);
        var t0 = await S.Today();

        // Day 0: 300.00 of a 1,000.00 voucher goes to s2 (pending since day 0).
        var partRoot = await S.ActiveVoucher(core, s1, 1_000m, days: 60);
        var part = (await s1.Client.Post($"/v1/vouchers/{partRoot}/transfer", new { toId = s2.Id, amount = 300m })).Expect(HttpStatusCode.Created).Json;
        var partId = part.GetProperty("transferred").GetProperty("id").GetString()!;
        var remainderId = part.GetProperty("remainder").GetProperty("id").GetString()!;
        var wholeRoot = await S.ActiveVoucher(core, s1, 500m, days: 60);

        // Day 3: a whole 500.00 voucher goes to s2 (pending since day 3, although it was issued on day 0).
        await Advance(3, t0);
        var whole = (await s1.Client.Post($"/v1/vouchers/{wholeRoot}/transfer", new { toId = s2.Id, amount = 500m })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal((wholeRoot, "pending"), (whole.GetProperty("transferred").GetProperty("id").GetString(),
            whole.GetProperty("transferred").GetProperty("status").GetString()));

        await Restart();
        core = core with { Client = Host.Client(core.Client.ApiKey) };
        s1 = s1 with { Client = Host.Client(s1.Client.ApiKey) };
        s2 = s2 with { Client = Host.Client(s2.Client.ApiKey) };

        // Day 6: both still pending.
        await Advance(3, t0);
        Assert.Equal(("pending", "pending"), await Held(s2, partId, wholeRoot));

        // Day 7: the partial transfer is rejected (read from the list, the read model: the sweep did it at once) and
        // 300.00 is back with s1 as a new active fragment at tier 1; the whole-voucher transfer has until day 10.
        await Advance(1, t0);
        Assert.Equal(("rejected", "pending"), await Held(s2, partId, wholeRoot));
        var back = (await s1.Client.Get("/v1/vouchers?status=active")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
            .Where(v => v.GetProperty("rootId").GetString() == partRoot).ToList();
        Assert.Equal(1_000m, back.Sum(v => v.GetProperty("amount").GetDecimal()));
        var returned = Assert.Single(back, v => v.GetProperty("id").GetString() != remainderId);
        Assert.Equal((300m, 1, s1.Id, partId), (returned.GetProperty("amount").GetDecimal(), returned.GetProperty("tier").GetInt32(),
            returned.GetProperty("holderId").GetString(), returned.GetProperty("parentId").GetString()));
        await S.AssertTreeSums(core, partRoot);
        Assert.Equal("invalid_state", (await s2.Client.Post($"/v1/vouchers/{partId}/accept")).Expect(HttpStatusCode.Conflict).Code);

        // Day 9: still pending (pending since day 3); day 10: back with s1, whole, at tier 1.
        await Advance(2, t0);
        Assert.Equal(("rejected", "pending"), await Held(s2, partId, wholeRoot));
        await Advance(1, t0);
        Assert.Equal(("rejected", "rejected"), await Held(s2, partId, wholeRoot));
        var wholeBack = Assert.Single((await s1.Client.Get("/v1/vouchers?status=active")).Json.GetProperty("items").EnumerateArray(),
            v => v.GetProperty("rootId").GetString() == wholeRoot);
        Assert.Equal((500m, 1), (wholeBack.GetProperty("amount").GetDecimal(), wholeBack.GetProperty("tier").GetInt32()));
        await S.AssertTreeSums(core, wholeRoot);
        // Returning a transfer frees nothing: the core still owes both vouchers in full.
        Assert.Equal(1_500m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
    }

    // ---------------------------------------------------------------------------------------------------------------

    private sealed record Financed(Party Core, Party Supplier, Party Bank, string Lending, string Order, string LoanId, DateOnly T0);

    /// <summary>The loan every test uses (see the class comment); checks its terms at disbursement.</summary>
    private async Task<Financed> FinancedOrder()
    {
        var (core, supplier, bank, _) = await S.Cast(500_000m, rate: 0.05m);
        var lending = await S.Facility(bank, supplier, 80_000m, rate: Rate);
        var order = await S.Order(core, supplier, 100_000m, paymentInDays: 15);
        var t0 = await S.Today();
        var loan = (await S.Loan(supplier, order, bank, Principal)).Json;
        var l = new Financed(core, supplier, bank, lending, order, loan.GetProperty("id").GetString()!, t0);
        Assert.Equal(("active", t0.AddDays(45).ToString("yyyy-MM-dd"), Rate),
            (loan.GetProperty("status").GetString(), loan.GetProperty("dueDate").GetString(), loan.GetProperty("annualRate").GetDecimal()));
        Assert.Equal(Principal, await Used(l));
        Assert.Equal(("active", Principal), await Row(l.LoanId));
        return l;
    }

    /// <summary>Moves the manual clock; <paramref name="t0"/> only serves to say which day it is in failure messages.</summary>
    private async Task Advance(int days, DateOnly t0)
    {
        var before = await S.Today();
        var today = (await S.Operator.Post("/v1/admin/clock/advance", new { days })).Expect(HttpStatusCode.OK).Json.GetProperty("today").GetString();
        Assert.True(before.AddDays(days).ToString("yyyy-MM-dd") == today, $"clock at T0+{before.DayNumber - t0.DayNumber} + {days} answered {today}");
        // Business time moves too, so that exposure events carry increasing times as they would in production.
        Host.Time.Advance(TimeSpan.FromMinutes(1));
    }

    private Financed Rebind(Financed l) => l with
    {
        Core = l.Core with { Client = Host.Client(l.Core.Client.ApiKey) },
        Supplier = l.Supplier with { Client = Host.Client(l.Supplier.Client.ApiKey) },
        Bank = l.Bank with { Client = Host.Client(l.Bank.Client.ApiKey) },
    };

    /// <summary>The loan as the lender reads it (a GET also catches the loan up, so it comes after the sweep's checks).</summary>
    private static async Task AssertLoan(Financed l, string status, decimal outstanding, decimal accrued)
    {
        var loan = (await l.Bank.Client.Get($"/v1/loans/{l.LoanId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((status, Principal, outstanding, accrued),
            (loan.GetProperty("status").GetString(), loan.GetProperty("principal").GetDecimal(), loan.GetProperty("outstandingPrincipal").GetDecimal(),
                loan.GetProperty("accruedInterest").GetDecimal()));
    }

    /// <summary>The loan's row in the read model the sweep queries.</summary>
    private async Task<(string Status, decimal Outstanding)> Row(string loanId)
    {
        await using var connection = Db.Open();
        var row = await connection.QuerySingleOrDefaultAsync<(string Status, decimal Outstanding)?>(
            "SELECT status, outstanding FROM loans WHERE loan_id = @loanId", new { loanId });
        Assert.True(row.HasValue, $"no read-model row for loan {loanId}");
        return row.Value;
    }

    private static async Task<decimal> Used(Financed l) =>
        (await l.Bank.Client.Get($"/v1/facilities/{l.Lending}")).Expect(HttpStatusCode.OK).Json.GetProperty("used").GetDecimal();

    /// <summary>Every alert about <paramref name="subjectId"/>, as the operator lists them, in the order raised.</summary>
    private async Task<List<JsonElement>> AlertsAbout(string subjectId)
    {
        var found = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            var page = (await S.Operator.Get("/v1/risk/alerts" + (after is null ? "" : $"?after={after}"))).Expect(HttpStatusCode.OK).Json;
            found.AddRange(page.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("subjectId").GetString() == subjectId));
            if (page.GetProperty("next").ValueKind != JsonValueKind.String) return found;
            after = page.GetProperty("next").GetString();
        }
    }

    /// <summary>Exactly these alert kinds, in this order, each naming the lender and the borrower.</summary>
    private static void AssertAlerts(Financed l, List<JsonElement> alerts, params string[] kinds)
    {
        Assert.Equal(kinds, alerts.Select(a => a.GetProperty("kind").GetString()));
        Assert.All(alerts, a => Assert.Equal((l.Bank.Id, l.Supplier.Id),
            (a.GetProperty("funderId").GetString(), a.GetProperty("obligorId").GetString())));
    }

    /// <summary>The borrower's exposure events once at least <paramref name="count"/> have been applied (they travel on a stream).</summary>
    private async Task<IReadOnlyList<ExposureRow>> EventsOf(Financed l, int count)
    {
        var store = Host.Services.GetRequiredService<IExposureStore>();
        IReadOnlyList<ExposureRow> events = [];
        await Eventually.True(async () => (events = await store.EventsAsync(l.Supplier.Id)).Count >= count, TimeSpan.FromSeconds(20),
            $"{count} exposure events on the borrower");
        Assert.All(events, e => Assert.Equal(l.LoanId, e.InstrumentId));
        Assert.Equal(count, events.Count);
        return events;
    }

    private static string Describe(ExposureRow e, Financed l) => $"{e.Kind} {Side(e.Before, l)} -> {Side(e.After, l)}";

    private static string Side(PositionRow? p, Financed l) =>
        p is null
            ? "none"
            : $"{(p.HolderId == l.Bank.Id ? "bank" : p.HolderId)}/{p.HolderRole}/{p.Status}/t{p.Tier}/{p.Amount.ToString("0.00", CultureInfo.InvariantCulture)}";

    /// <summary>The statuses of two fragments <paramref name="holder"/> holds, from its list (the read model).</summary>
    private static async Task<(string? First, string? Second)> Held(Party holder, string first, string second)
    {
        var items = (await holder.Client.Get("/v1/vouchers")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray().ToList();
        string? Status(string id) => items.SingleOrDefault(v => v.GetProperty("id").GetString() == id) is { ValueKind: JsonValueKind.Object } v
            ? v.GetProperty("status").GetString()
            : null;
        return (Status(first), Status(second));
    }
}
