using SupplyChain.Grains.Common;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// The loan rules as pure functions over one loan's state.
/// Interest (docs/ARCHITECTURE.md, "Loan interest"): simple, on the outstanding principal, ACT/360 by default.
/// The loan's life is cut into periods at each repayment; within a period the principal is constant, and the
/// period's interest is round(principal × annualRate × days / basis) to the fen, half away from zero, where days
/// is the number of calendar days from the period's start to its end. Interest stops accruing on the day the
/// loan defaults. A repayment first ends the running period, then pays interest, then principal.
/// </summary>
public sealed class LoanLedger(LoanState state, PlatformRules rules)
{
    public DateOnly DefaultDate => state.DueDate.AddDays(rules.DefaultAfterOverdueDays);

    /// <summary>Interest accrued and unpaid on <paramref name="on"/>, without changing anything.</summary>
    public long AccruedOn(DateOnly on) => state.InterestDueFen + RunningInterest(on);

    public long PayoffOn(DateOnly on) => AccruedOn(on) + state.OutstandingFen;

    private long RunningInterest(DateOnly on)
    {
        var end = on < DefaultDate ? on : DefaultDate;
        if (state.Status is LoanStatus.Defaulted or LoanStatus.Repaid || end <= state.AccruedTo) return 0;
        return Pricing.Charge(new Money(state.OutstandingFen), state.AnnualRate, end.DayNumber - state.AccruedTo.DayNumber, rules.DayCountBasis).Fen;
    }

    /// <summary>Ends the running period on <paramref name="on"/>: its interest becomes due.</summary>
    public void AccrueTo(DateOnly on)
    {
        state.InterestDueFen += RunningInterest(on);
        if (on > state.AccruedTo) state.AccruedTo = on;
    }

    /// <summary>Pays <paramref name="amountFen"/> on <paramref name="on"/>: interest first, then principal. The caller checks it is at most what is owed.</summary>
    public RepaymentRecord Pay(long amountFen, DateOnly on, string operationId, string source, string? voucherId)
    {
        AccrueTo(on);
        var interest = Math.Min(amountFen, state.InterestDueFen);
        var principal = Math.Min(amountFen - interest, state.OutstandingFen);
        state.InterestDueFen -= interest;
        state.InterestPaidFen += interest;
        state.OutstandingFen -= principal;
        if (state.OutstandingFen == 0 && state.InterestDueFen == 0) state.Status = LoanStatus.Repaid;
        var record = new RepaymentRecord
        {
            OperationId = operationId, On = on, AmountFen = interest + principal, InterestFen = interest, PrincipalFen = principal,
            Source = source, VoucherId = voucherId,
        };
        state.Repayments.Add(record);
        return record;
    }

    /// <summary>
    /// A voucher paid what the loan owed on <paramref name="on"/>, <paramref name="amountFen"/>: the loan is repaid in full as of
    /// that day. Interest a late notice would otherwise have accrued after it is not owed.
    /// </summary>
    public RepaymentRecord SettleInFull(long amountFen, DateOnly on, string rootId)
    {
        AccrueTo(on);
        var principal = state.OutstandingFen;
        var interest = Math.Max(0, amountFen - principal);
        state.InterestPaidFen += interest;
        state.InterestDueFen = 0;
        state.OutstandingFen = 0;
        state.Status = LoanStatus.Repaid;
        var record = new RepaymentRecord
        {
            OperationId = rootId, On = on, AmountFen = interest + principal, InterestFen = interest, PrincipalFen = principal,
            Source = "voucher", VoucherId = rootId,
        };
        state.Repayments.Add(record);
        return record;
    }

    /// <summary>
    /// What the calendar did since the loan was last touched: overdue the day after the due date, defaulted
    /// <see cref="PlatformRules.DefaultAfterOverdueDays"/> days after it (interest stops there). Idempotent, and a
    /// late run gives the same result as timely ones.
    /// </summary>
    public bool CatchUp(DateOnly today)
    {
        var changed = false;
        if (state.Status == LoanStatus.Active && today > state.DueDate)
        {
            state.Status = LoanStatus.Overdue;
            changed = true;
        }
        if (state.Status == LoanStatus.Overdue && today >= DefaultDate)
        {
            AccrueTo(DefaultDate);
            state.Status = LoanStatus.Defaulted;
            changed = true;
        }
        return changed;
    }

    public static ExposurePosition? Position(LoanState s) =>
        s.Phase == LoanPhase.Disbursed && s.Status != LoanStatus.Repaid && s.OutstandingFen > 0
            ? new ExposurePosition(s.FunderId, "funder", s.Status.Wire(), 0, s.OutstandingFen)
            : null;

    /// <summary>
    /// The guarantee calls of the loan's waterfall as exposures: each an obligation of the member called to the funder,
    /// status <c>called</c>, from step 1 of the waterfall on, for what is not yet paid (a call of nothing is no exposure).
    /// </summary>
    public static IEnumerable<(string MemberId, ExposurePosition Position)> CallPositions(LoanState s) =>
        (s.Waterfall?.Calls ?? []).Select(c => (c.MemberId, Position: CallPosition(s, c))).Where(c => c.Position is not null).Select(c => (c.MemberId, c.Position!));

    /// <summary>What the member still owes of its call, as an exposure to the funder; none once paid.</summary>
    public static ExposurePosition? CallPosition(LoanState s, WaterfallCall call) =>
        call.AmountFen - call.PaidFen is > 0 and var owed ? new ExposurePosition(s.FunderId, "funder", CallStatus, 0, owed) : null;

    /// <summary>The status of a guarantee call's exposure (its events are of kind <c>guarantee_call</c> when made, <c>call_paid</c> when paid).</summary>
    public const string CallStatus = "called";
}
