using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Risk;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// The exposure figures a tree and a loan announce to risk (who holds how much of which obligor, as funder or
/// supplier; they feed the funder-held / supplier-held totals and the concentration alerts). No unit test reached
/// them before the mutation run (tests/mutation.sh); each test names the Stryker mutants it kills.
/// </summary>
public sealed class ExposurePositionTests
{
    private const string Root = "vcdddddddddddddddddddd";
    private static readonly DateOnly Today = new(2026, 3, 2);
    private static readonly DateTimeOffset At = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly Caller S1 = new("s1", Role.Supplier);

    private static TreeLedger Created(decimal amount, int days)
    {
        var ledger = new TreeLedger(new VoucherTreeState(), Root, new PlatformRules());
        ledger.CreateRoot("core", new IssueVoucher("s1", Money.FromYuan(amount), Today.AddDays(days), null), Today);
        return ledger;
    }

    private static string Text(ExposurePosition? p) => p is null ? "-" : $"{p.HolderId}/{p.HolderRole}/{p.Status}/t{p.Tier}/{p.AmountFen}";

    /// <summary>Each event as "id kind: before → after".</summary>
    private static List<string> Events(IEnumerable<ExposureEvent> events) =>
        events.Select(e => $"{e.Id} {e.Kind}: {Text(e.Before)} -> {Text(e.After)}").ToList();

    [Fact]
    public void TreeExposure_EachChangeAnnouncesTheHoldersPositionBeforeAndAfter_NothingElse()
    {
        var ledger = Created(1000m, days: 30);

        // Kills :286 (Position: live or not, "funder" / "supplier"), :298 (unchanged skipped), :300 ("closed_loop" only at
        // issue for funder-held parts; otherwise the operation's kind, else the calendar's) and :301 (the event, its id).
        Assert.Equal([$"{Root}:1:{Root} issued: - -> s1/supplier/pending/t1/100000"], Events(ledger.TakeExposureChanges(1, At, "issued")));
        Assert.Empty(ledger.TakeExposureChanges(2, At));

        ledger.Accept(S1, Root);
        Assert.Equal([$"{Root}:3:{Root} accepted: s1/supplier/pending/t1/100000 -> s1/supplier/active/t1/100000"],
            Events(ledger.TakeExposureChanges(3, At, "accepted")));

        var plan = ledger.PlanDiscount(S1, Root, Role.Funder, Money.FromYuan(400m), Today).Value!;
        ledger.HoldSequence(plan);
        ledger.ApplyDiscount(S1, plan, "f", 0.036m, Today);
        Assert.Equal(
        [
            $"{Root}:4:{Root} discounted: s1/supplier/active/t1/100000 -> -",
            $"{Root}:4:{Root}-1 discounted: - -> f/funder/financed/t1/40000",
            $"{Root}:4:{Root}-2 discounted: - -> s1/supplier/active/t1/60000",
        ], Events(ledger.TakeExposureChanges(4, At, "discounted")));

        // The calendar names its own kinds (:310 "overdue", :311 "defaulted").
        ledger.CatchUp(Today.AddDays(31));
        Assert.Equal(
        [
            $"{Root}:5:{Root}-1 overdue: f/funder/financed/t1/40000 -> f/funder/overdue/t1/40000",
            $"{Root}:5:{Root}-2 overdue: s1/supplier/active/t1/60000 -> s1/supplier/overdue/t1/60000",
        ], Events(ledger.TakeExposureChanges(5, At)));
        ledger.CatchUp(Today.AddDays(60));
        Assert.Equal(
        [
            $"{Root}:6:{Root}-1 defaulted: f/funder/overdue/t1/40000 -> f/funder/defaulted/t1/40000",
            $"{Root}:6:{Root}-2 defaulted: s1/supplier/overdue/t1/60000 -> s1/supplier/defaulted/t1/60000",
        ], Events(ledger.TakeExposureChanges(6, At)));

        ledger.Repay(new Caller("core", Role.Core), Today.AddDays(60));
        Assert.Equal(
        [
            $"{Root}:7:{Root}-1 settled: f/funder/defaulted/t1/40000 -> -",
            $"{Root}:7:{Root}-2 settled: s1/supplier/defaulted/t1/60000 -> -",
        ], Events(ledger.TakeExposureChanges(7, At, "settled")));
    }

    [Fact]
    public void TreeExposure_AnExpiredRootIsRejected_AClosedLoopPartIsClosedLoop()
    {
        // Kills :313 "rejected" (a root cancelled by the calendar).
        var unanswered = Created(1000m, days: 30);
        unanswered.TakeExposureChanges(1, At, "issued");
        unanswered.CatchUp(Today.AddDays(7));
        Assert.Equal([$"{Root}:2:{Root} rejected: s1/supplier/pending/t1/100000 -> -"], Events(unanswered.TakeExposureChanges(2, At)));

        // Kills :300 ("closed_loop" → "", 'issued && FunderHeld' → '||' or '!='): at issue against a financed order the
        // funder's part is the closed loop moving its risk; the supplier's rest is simply issued.
        var closed = Created(1000m, days: 30);
        closed.ApplyClosedLoop([new ClosedLoopPart { LoanId = "ln", FunderId = "fA", PayoffFen = 30_000, AmountFen = 30_000, FragmentId = $"{Root}-1" }], Today);
        Assert.Equal(
        [
            $"{Root}:1:{Root}-1 closed_loop: - -> fA/funder/financed/t1/30000",
            $"{Root}:1:{Root}-2 issued: - -> s1/supplier/active/t1/70000",
        ], Events(closed.TakeExposureChanges(1, At, "issued")));
    }

    [Fact]
    public void LoanExposure_IsTheOutstandingPrincipal_HeldByTheFunder_WhileDisbursedAndNotRepaid()
    {
        var s = new LoanState
        {
            Phase = LoanPhase.Originating, Status = LoanStatus.Active, BorrowerId = "pt-supplier", FunderId = "pt-funder",
            PrincipalFen = 1_000_000, AnnualRate = 0.05m, DisbursedOn = Today, AccruedTo = Today, DueDate = Today.AddDays(60),
        };
        // Kills LoanLedger.cs:101 'cond ? position : null' → 'true ? …' (a loan not yet disbursed is nobody's exposure).
        Assert.Null(LoanLedger.Position(s));

        s.Phase = LoanPhase.Disbursed;
        s.OutstandingFen = 1_000_000;
        // Kills :101 'false ? …', 'Phase != Disbursed', 'Status == Repaid', 'OutstandingFen < 0', and :102 "funder" → "".
        Assert.Equal("pt-funder/funder/active/t0/1000000", Text(LoanLedger.Position(s)));

        // 400,000 fen repaid on Today + 10: 10 days' interest 1,000,000 × 0.05 × 10 / 360 = 1,388.88… → 1,389 first,
        // then 398,611 principal: 601,389 outstanding.
        new LoanLedger(s, new PlatformRules()).Pay(400_000, Today.AddDays(10), "op-1", "cash", null);
        Assert.Equal("pt-funder/funder/active/t0/601389", Text(LoanLedger.Position(s)));

        s.Status = LoanStatus.Defaulted;
        Assert.Equal("pt-funder/funder/defaulted/t0/601389", Text(LoanLedger.Position(s)));

        new LoanLedger(s, new PlatformRules()).Pay(601_389, Today.AddDays(10), "op-2", "cash", null);
        Assert.Equal(LoanStatus.Repaid, s.Status);
        Assert.Null(LoanLedger.Position(s));
    }
}
