using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// The loan rules of <see cref="LoanLedger"/> over one <see cref="LoanState"/>, every figure worked out by hand.
/// The rule: the loan's life is cut into periods at each repayment; within a period the principal is constant and the
/// period's interest = round(principalFen × annualRate × days / 360), half away from zero, to the fen. Interest stops on
/// the default date (due date + 30 days). A repayment ends the running period, pays interest first, then principal.
/// </summary>
public sealed class LoanLedgerTests
{
    private static readonly DateOnly Jan1 = new(2026, 1, 1);

    private static LoanState NewLoan(long principalFen, decimal annualRate, DateOnly disbursedOn, DateOnly dueDate) => new()
    {
        Phase = LoanPhase.Disbursed,
        Status = LoanStatus.Active,
        BorrowerId = "pt-supplier",
        FunderId = "pt-funder",
        OrderId = "or-order",
        PrincipalFen = principalFen,
        OutstandingFen = principalFen,
        AnnualRate = annualRate,
        DisbursedOn = disbursedOn,
        AccruedTo = disbursedOn,
        DueDate = dueDate,
    };

    private static LoanLedger Ledger(LoanState state) => new(state, new PlatformRules());

    /// <summary>Everything the ledger may change, as one comparable text.</summary>
    private static string Describe(LoanState s) =>
        $"status {s.Status} outstanding {s.OutstandingFen} interestDue {s.InterestDueFen} accruedTo {s.AccruedTo:yyyy-MM-dd} " +
        $"interestPaid {s.InterestPaidFen} principal {s.PrincipalFen} due {s.DueDate:yyyy-MM-dd} repayments " +
        string.Join("; ", s.Repayments.Select(r => $"{r.On:yyyy-MM-dd} {r.AmountFen}={r.InterestFen}+{r.PrincipalFen} {r.Source} {r.VoucherId}"));

    // ------------------------------------------------------------------------------------------------
    // Accrual and rounding.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public void PlainAccrual_IsPrincipalTimesRateTimesDaysOver360_RoundedToTheFen()
    {
        // 12,345.67 at 4.35% from 2026-01-01 to 2026-02-01 = 31 days:
        // 1,234,567 fen × 0.0435 × 31 / 360 = 4,624.4822… fen → 4,624 fen = 46.24.
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);

        Assert.Equal(4_624, ledger.AccruedOn(new DateOnly(2026, 2, 1)));
        Assert.Equal(46.24m, new Money(ledger.AccruedOn(new DateOnly(2026, 2, 1))).Yuan);
        // Payoff = interest + principal: 4,624 + 1,234,567 = 1,239,191 fen.
        Assert.Equal(1_239_191, ledger.PayoffOn(new DateOnly(2026, 2, 1)));
        // Nothing accrues on the day of disbursement (0 days), and one day is 1,234,567 × 0.0435 / 360 = 149.177… → 149.
        Assert.Equal(0, ledger.AccruedOn(Jan1));
        Assert.Equal(1_234_567, ledger.PayoffOn(Jan1));
        Assert.Equal(149, ledger.AccruedOn(Jan1.AddDays(1)));
    }

    [Fact]
    public void HalfFenMidpoint_RoundsUp_AwayFromZero_NotToEven()
    {
        // 1,000.00 at 6.57% for 2 days: 100,000 × 0.0657 × 2 / 360 = 13,140 / 360 = 36.5 fen exactly.
        // Half away from zero → 37 fen (banker's rounding would give 36).
        var state = NewLoan(100_000, 0.0657m, Jan1, new DateOnly(2026, 4, 1));

        Assert.Equal(37, Ledger(state).AccruedOn(Jan1.AddDays(2)));
        // And just below a midpoint stays down: 1 day = 18.25 fen → 18.
        Assert.Equal(18, Ledger(state).AccruedOn(Jan1.AddDays(1)));
    }

    [Fact]
    public void AccruedOn_AndPayoffOn_DoNotChangeTheState()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);
        var before = Describe(state);

        // Asked twice, far out and back again: same answers, and the state reads the same.
        Assert.Equal(4_624, ledger.AccruedOn(new DateOnly(2026, 2, 1)));
        Assert.Equal(1_239_191, ledger.PayoffOn(new DateOnly(2026, 2, 1)));
        _ = ledger.AccruedOn(new DateOnly(2026, 12, 31));
        Assert.Equal(4_624, ledger.AccruedOn(new DateOnly(2026, 2, 1)));

        Assert.Equal(before, Describe(state));
        Assert.Equal((0L, Jan1, LoanStatus.Active), (state.InterestDueFen, state.AccruedTo, state.Status));
    }

    [Fact]
    public void AccrueTo_EndsThePeriod_AndAnEarlierDayDoesNotMoveItBack()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);

        ledger.AccrueTo(new DateOnly(2026, 2, 1));
        Assert.Equal((4_624L, new DateOnly(2026, 2, 1)), (state.InterestDueFen, state.AccruedTo));

        // An earlier or the same day accrues nothing and does not rewind the period's start.
        ledger.AccrueTo(new DateOnly(2026, 1, 15));
        ledger.AccrueTo(new DateOnly(2026, 2, 1));
        Assert.Equal((4_624L, new DateOnly(2026, 2, 1)), (state.InterestDueFen, state.AccruedTo));
    }

    // ------------------------------------------------------------------------------------------------
    // Repayments: interest first, then principal; the next period runs on what is left.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public void PartialRepayment_PaysInterestThenPrincipal_AndTheNextPeriodRunsOnTheLowerPrincipal()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);

        // On 2026-02-01 (31 days) interest is 4,624 fen (see above). A payment of 5,000.00 = 500,000 fen:
        // 4,624 interest, 500,000 − 4,624 = 495,376 principal; outstanding 1,234,567 − 495,376 = 739,191.
        var record = ledger.Pay(500_000, new DateOnly(2026, 2, 1), "op-1", "cash", null);

        Assert.Equal((500_000L, 4_624L, 495_376L, "cash", (string?)null, "op-1"),
            (record.AmountFen, record.InterestFen, record.PrincipalFen, record.Source, record.VoucherId, record.OperationId));
        Assert.Equal(new DateOnly(2026, 2, 1), record.On);
        Assert.Equal((739_191L, 0L, 4_624L, new DateOnly(2026, 2, 1), LoanStatus.Active),
            (state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen, state.AccruedTo, state.Status));
        Assert.Single(state.Repayments);

        // Next period 2026-02-01 → 2026-03-02 = 29 days on 739,191: 739,191 × 0.0435 × 29 / 360 = 2,590.248… → 2,590.
        // (On the original principal it would have been 1,234,567 × 0.0435 × 29 / 360 = 4,326.13… → 4,326.)
        Assert.Equal(2_590, ledger.AccruedOn(new DateOnly(2026, 3, 2)));
        Assert.Equal(739_191 + 2_590, ledger.PayoffOn(new DateOnly(2026, 3, 2)));
        Assert.Equal(1_234_567, state.PrincipalFen);
    }

    [Fact]
    public void RepaymentSmallerThanTheInterest_PaysOnlyInterest_AndTheRestStaysDue()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);

        // 4,624 fen is due on 2026-02-01; 10.00 = 1,000 fen pays 1,000 of it, no principal.
        var record = ledger.Pay(1_000, new DateOnly(2026, 2, 1), "op-1", "cash", null);

        Assert.Equal((1_000L, 1_000L, 0L), (record.AmountFen, record.InterestFen, record.PrincipalFen));
        Assert.Equal((1_234_567L, 3_624L, 1_000L, new DateOnly(2026, 2, 1), LoanStatus.Active),
            (state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen, state.AccruedTo, state.Status));
        // 29 more days on the unchanged principal: 1,234,567 × 0.0435 × 29 / 360 = 4,326.1285… → 4,326;
        // plus the 3,624 still due = 7,950. Unpaid interest does not itself bear interest.
        Assert.Equal(7_950, ledger.AccruedOn(new DateOnly(2026, 3, 2)));
    }

    [Fact]
    public void FullRepayment_ClosesTheLoan()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);

        // Payoff on 2026-02-01: 1,234,567 + 4,624 = 1,239,191 fen.
        var record = ledger.Pay(1_239_191, new DateOnly(2026, 2, 1), "op-1", "cash", null);

        Assert.Equal((1_239_191L, 4_624L, 1_234_567L), (record.AmountFen, record.InterestFen, record.PrincipalFen));
        Assert.Equal((LoanStatus.Repaid, 0L, 0L, 4_624L),
            (state.Status, state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen));
        // Nothing accrues on a repaid loan, later or ever.
        Assert.Equal(0, ledger.AccruedOn(new DateOnly(2026, 12, 31)));
        Assert.Equal(0, ledger.PayoffOn(new DateOnly(2026, 12, 31)));
        // And the calendar no longer moves it: not overdue after its due date, not defaulted after its default date.
        Assert.False(ledger.CatchUp(new DateOnly(2026, 12, 31)));
        Assert.Equal(LoanStatus.Repaid, state.Status);
    }

    [Fact]
    public void TwoPartialRepayments_ThenTheRest_EachPeriodRoundedOnItsOwn()
    {
        // 100,000.00 at 5% from 2026-01-01.
        var state = NewLoan(10_000_000, 0.05m, Jan1, new DateOnly(2026, 6, 1));
        var ledger = Ledger(state);

        // Period 1: 2026-01-01 → 2026-02-06 = 36 days: 10,000,000 × 0.05 × 36 / 360 = 50,000 fen exactly.
        // Pay 30,000.00: 50,000 interest, 2,950,000 principal → outstanding 7,050,000.
        ledger.Pay(3_000_000, new DateOnly(2026, 2, 6), "op-1", "cash", null);
        Assert.Equal((7_050_000L, 0L, 50_000L), (state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen));

        // Period 2: 2026-02-06 → 2026-02-13 = 7 days on 7,050,000: × 0.05 × 7 / 360 = 6,854.1666… → 6,854.
        // Pay 0.01 = 1 fen: all of it interest; 6,853 stays due.
        ledger.Pay(1, new DateOnly(2026, 2, 13), "op-2", "cash", null);
        Assert.Equal((7_050_000L, 6_853L, 50_001L), (state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen));

        // Period 3: 2026-02-13 → 2026-03-13 = 28 days on 7,050,000: × 0.05 × 28 / 360 = 27,416.666… → 27,417.
        // Payoff = 6,853 + 27,417 + 7,050,000 = 7,084,270.
        Assert.Equal(7_084_270, ledger.PayoffOn(new DateOnly(2026, 3, 13)));
        ledger.Pay(7_084_270, new DateOnly(2026, 3, 13), "op-3", "cash", null);

        Assert.Equal(LoanStatus.Repaid, state.Status);
        // Interest paid in all: 50,000 + 1 + 6,853 + 27,417 = 84,271 fen.
        Assert.Equal(84_271, state.InterestPaidFen);
        Assert.Equal([50_000L, 1L, 34_270L], state.Repayments.Select(r => r.InterestFen));
        Assert.Equal([2_950_000L, 0L, 7_050_000L], state.Repayments.Select(r => r.PrincipalFen));
        Assert.Equal(10_000_000, state.Repayments.Sum(r => r.PrincipalFen));
    }

    // ------------------------------------------------------------------------------------------------
    // The calendar: overdue, default, and interest stopping at default.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public void CatchUp_OverdueTheDayAfterTheDueDate_NotOnIt()
    {
        var due = new DateOnly(2026, 3, 2);
        var state = NewLoan(1_000_000, 0.05m, Jan1, due);
        var ledger = Ledger(state);

        Assert.False(ledger.CatchUp(due));
        Assert.Equal(LoanStatus.Active, state.Status);

        Assert.True(ledger.CatchUp(due.AddDays(1)));
        Assert.Equal(LoanStatus.Overdue, state.Status);
        // Becoming overdue does not end the running period: nothing accrued into the state yet.
        Assert.Equal((0L, Jan1), (state.InterestDueFen, state.AccruedTo));
    }

    [Fact]
    public void CatchUp_DefaultedOnDueDatePlus30_NotTheDayBefore_AndInterestStopsThere()
    {
        // 12,345.67 at 4.35%, disbursed 2026-01-01, due 2026-03-02; default date = 2026-03-02 + 30 = 2026-04-01.
        var due = new DateOnly(2026, 3, 2);
        var state = NewLoan(1_234_567, 0.0435m, Jan1, due);
        var ledger = Ledger(state);
        Assert.Equal(new DateOnly(2026, 4, 1), ledger.DefaultDate);

        Assert.True(ledger.CatchUp(due.AddDays(1)));
        Assert.False(ledger.CatchUp(new DateOnly(2026, 3, 31)));
        Assert.Equal(LoanStatus.Overdue, state.Status);

        Assert.True(ledger.CatchUp(new DateOnly(2026, 4, 1)));
        Assert.Equal(LoanStatus.Defaulted, state.Status);
        // 2026-01-01 → 2026-04-01 = 31 + 28 + 31 = 90 days: 1,234,567 × 0.0435 × 90 / 360 = 13,425.91… → 13,426 fen.
        Assert.Equal((13_426L, new DateOnly(2026, 4, 1), 1_234_567L), (state.InterestDueFen, state.AccruedTo, state.OutstandingFen));
        Assert.Equal(13_426, ledger.AccruedOn(new DateOnly(2026, 4, 1)));
        Assert.Equal(13_426, ledger.AccruedOn(new DateOnly(2027, 4, 1)));
    }

    [Fact]
    public void InterestStopsOnTheDefaultDate_EvenBeforeTheCalendarIsCaughtUp()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 3, 2));
        var ledger = Ledger(state);

        // Active still (nobody caught up), asked about a day long after the default date: only the 90 days to 2026-04-01 count.
        Assert.Equal(13_426, ledger.AccruedOn(new DateOnly(2026, 4, 1)));
        Assert.Equal(13_426, ledger.AccruedOn(new DateOnly(2026, 7, 1)));
        // The day before the default date still accrues: 89 days = 13,276.74… → 13,277.
        Assert.Equal(13_277, ledger.AccruedOn(new DateOnly(2026, 3, 31)));
    }

    [Fact]
    public void LateCatchUp_PastTheDefaultDate_GivesTheSameStateAsDailyCatchUps()
    {
        var due = new DateOnly(2026, 3, 2);
        var lateDay = new DateOnly(2026, 5, 15); // 44 days after the default date, 2026-04-01

        var daily = NewLoan(1_234_567, 0.0435m, Jan1, due);
        var dailyLedger = Ledger(daily);
        for (var day = Jan1; day <= lateDay; day = day.AddDays(1)) dailyLedger.CatchUp(day);

        var late = NewLoan(1_234_567, 0.0435m, Jan1, due);
        var lateLedger = Ledger(late);
        Assert.True(lateLedger.CatchUp(lateDay));

        Assert.Equal(Describe(daily), Describe(late));
        // Interest accrued only to the default date: 90 days → 13,426 fen (not the 134 days to 2026-05-15, which would be 19,990).
        Assert.Equal((LoanStatus.Defaulted, 13_426L, new DateOnly(2026, 4, 1)), (late.Status, late.InterestDueFen, late.AccruedTo));
        Assert.Equal(lateLedger.AccruedOn(lateDay), dailyLedger.AccruedOn(lateDay));
        Assert.Equal(1_234_567 + 13_426, lateLedger.PayoffOn(lateDay));
    }

    [Fact]
    public void LateCatchUp_AfterAPartialRepayment_MatchesDailyCatchUps()
    {
        var due = new DateOnly(2026, 3, 2);
        var states = new[] { NewLoan(1_234_567, 0.0435m, Jan1, due), NewLoan(1_234_567, 0.0435m, Jan1, due) };
        foreach (var s in states) Ledger(s).Pay(500_000, new DateOnly(2026, 2, 1), "op-1", "cash", null);

        var daily = Ledger(states[0]);
        for (var day = new DateOnly(2026, 2, 1); day <= new DateOnly(2026, 6, 30); day = day.AddDays(1)) daily.CatchUp(day);
        Assert.True(Ledger(states[1]).CatchUp(new DateOnly(2026, 6, 30)));

        Assert.Equal(Describe(states[0]), Describe(states[1]));
        // After the payment (outstanding 739,191 from 2026-02-01), the period runs to the default date 2026-04-01 = 59 days:
        // 739,191 × 0.0435 × 59 / 360 = 5,269.8158… → 5,270 fen.
        Assert.Equal((LoanStatus.Defaulted, 739_191L, 5_270L), (states[1].Status, states[1].OutstandingFen, states[1].InterestDueFen));
    }

    [Fact]
    public void CatchUp_IsIdempotent()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 3, 2));
        var ledger = Ledger(state);

        Assert.True(ledger.CatchUp(new DateOnly(2026, 3, 3)));
        var overdue = Describe(state);
        Assert.False(ledger.CatchUp(new DateOnly(2026, 3, 3)));
        Assert.Equal(overdue, Describe(state));

        Assert.True(ledger.CatchUp(new DateOnly(2026, 4, 10)));
        var defaulted = Describe(state);
        Assert.False(ledger.CatchUp(new DateOnly(2026, 4, 10)));
        Assert.False(ledger.CatchUp(new DateOnly(2026, 9, 10)));
        // An earlier day (a stale clock) changes nothing either.
        Assert.False(ledger.CatchUp(new DateOnly(2026, 3, 1)));
        Assert.Equal(defaulted, Describe(state));
        Assert.Equal(13_426, state.InterestDueFen);
    }

    [Fact]
    public void RepaymentAfterDefault_OwesNoInterestPastTheDefaultDate()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 3, 2));
        var ledger = Ledger(state);
        ledger.CatchUp(new DateOnly(2026, 4, 20));
        Assert.Equal(LoanStatus.Defaulted, state.Status);

        // Owed on 2026-06-01: 13,426 interest (to 2026-04-01) + 1,234,567 principal = 1,247,993.
        Assert.Equal(1_247_993, ledger.PayoffOn(new DateOnly(2026, 6, 1)));
        var record = ledger.Pay(1_247_993, new DateOnly(2026, 6, 1), "op-1", "cash", null);

        Assert.Equal((13_426L, 1_234_567L), (record.InterestFen, record.PrincipalFen));
        Assert.Equal((LoanStatus.Repaid, 0L, 0L, 13_426L), (state.Status, state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen));
    }

    [Fact]
    public void OverdueLoan_KeepsAccruingUntilItsDefaultDate()
    {
        var state = NewLoan(1_000_000, 0.05m, Jan1, new DateOnly(2026, 3, 2));
        var ledger = Ledger(state);
        ledger.CatchUp(new DateOnly(2026, 3, 10));
        Assert.Equal(LoanStatus.Overdue, state.Status);

        // 2026-01-01 → 2026-03-10 = 68 days: 1,000,000 × 0.05 × 68 / 360 = 9,444.44… → 9,444.
        Assert.Equal(9_444, ledger.AccruedOn(new DateOnly(2026, 3, 10)));
        // A payment while overdue is split like any other; 10,000 fen: 9,444 interest, 556 principal.
        var record = ledger.Pay(10_000, new DateOnly(2026, 3, 10), "op-1", "cash", null);
        Assert.Equal((9_444L, 556L), (record.InterestFen, record.PrincipalFen));
        Assert.Equal((LoanStatus.Overdue, 999_444L), (state.Status, state.OutstandingFen));
    }

    // ------------------------------------------------------------------------------------------------
    // The closed loop's settlement.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public void SettleInFull_PaysThePinnedPayoff_AndClosesTheLoan()
    {
        // 70,000.00 at 4.35% for 45 days (2026-01-01 → 2026-02-15): 7,000,000 × 0.0435 × 45 / 360 = 38,062.5 fen → 38,063.
        var state = NewLoan(7_000_000, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);
        var on = new DateOnly(2026, 2, 15);
        var payoff = ledger.PayoffOn(on);
        Assert.Equal(7_038_063, payoff);

        var record = ledger.SettleInFull(payoff, on, "vc-root");

        Assert.Equal((7_038_063L, 38_063L, 7_000_000L, "voucher", "vc-root", "vc-root", on),
            (record.AmountFen, record.InterestFen, record.PrincipalFen, record.Source, record.VoucherId, record.OperationId, record.On));
        Assert.Equal((LoanStatus.Repaid, 0L, 0L, 38_063L, on),
            (state.Status, state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen, state.AccruedTo));
        Assert.Single(state.Repayments);
        Assert.Equal(0, ledger.PayoffOn(new DateOnly(2026, 12, 31)));
    }

    [Fact]
    public void SettleInFull_AfterAPartialRepayment_PaysTheInterestOfBothPeriodsOnlyOnce()
    {
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 4, 1));
        var ledger = Ledger(state);
        // Repay 1,000 fen on 2026-02-01: interest only (4,624 due → 3,624 due).
        ledger.Pay(1_000, new DateOnly(2026, 2, 1), "op-1", "cash", null);

        // On 2026-03-02: 3,624 + 4,326 (29 days on 1,234,567) = 7,950 interest; payoff 1,242,517.
        var on = new DateOnly(2026, 3, 2);
        Assert.Equal(1_242_517, ledger.PayoffOn(on));
        var record = ledger.SettleInFull(1_242_517, on, "vc-root");

        Assert.Equal((7_950L, 1_234_567L), (record.InterestFen, record.PrincipalFen));
        // Interest paid in all: 1,000 in cash + 7,950 from the voucher.
        Assert.Equal((LoanStatus.Repaid, 8_950L), (state.Status, state.InterestPaidFen));
    }

    [Fact]
    public void SettleInFull_PinnedBeforeALateDefault_OwesOnlyWhatWasPinned()
    {
        // Pinned on 2026-03-31 (the day before the default date 2026-04-01): 89 days → 13,277 interest, payoff 1,247,844.
        var state = NewLoan(1_234_567, 0.0435m, Jan1, new DateOnly(2026, 3, 2));
        var ledger = Ledger(state);
        var pinnedOn = new DateOnly(2026, 3, 31);
        var payoff = ledger.PayoffOn(pinnedOn);
        Assert.Equal(1_247_844, payoff);

        // The calendar runs on before the settlement lands: default accrues to 2026-04-01 (13,426).
        ledger.CatchUp(new DateOnly(2026, 4, 2));
        Assert.Equal((LoanStatus.Defaulted, 13_426L), (state.Status, state.InterestDueFen));

        var record = ledger.SettleInFull(payoff, pinnedOn, "vc-root");

        // What the voucher paid is what was owed on the pinned day: the later day's interest is not owed.
        Assert.Equal((1_247_844L, 13_277L, 1_234_567L), (record.AmountFen, record.InterestFen, record.PrincipalFen));
        Assert.Equal((LoanStatus.Repaid, 0L, 0L, 13_277L),
            (state.Status, state.OutstandingFen, state.InterestDueFen, state.InterestPaidFen));
    }
}
