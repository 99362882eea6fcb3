using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// Money paths of <see cref="TreeLedger"/> that the mutation run (tests/mutation.sh) found unguarded: discounts of a
/// whole fragment, the proceeds boundary, the ids a partial discount reserves, settlement per holder, the closed loop,
/// a configured minimum fragment, and what the calendar does on the maturity date. Every figure is worked out by hand;
/// each test names the Stryker mutants (TreeLedger.cs line, mutation) it kills.
/// </summary>
public sealed class TreeLedgerMoneyTests
{
    private const string Root = "vccccccccccccccccccccc";
    private static readonly DateOnly Today = new(2026, 3, 2);
    private static readonly PlatformRules Rules = new();
    private static readonly Caller Core = new("core", Role.Core);
    private static readonly Caller S1 = new("s1", Role.Supplier);

    private static TreeLedger Issued(decimal amount = 1000m, int days = 90, bool accept = true, PlatformRules? rules = null)
    {
        var ledger = new TreeLedger(new VoucherTreeState(), Root, rules ?? Rules);
        ledger.CreateRoot("core", new IssueVoucher("s1", Money.FromYuan(amount), Today.AddDays(days), null), Today);
        if (accept) Assert.True(ledger.Accept(S1, Root).IsOk);
        return ledger;
    }

    private static Money Y(decimal yuan) => Money.FromYuan(yuan);
    private static string Id(int sequence) => $"{Root}-{sequence}";

    /// <summary>Every fragment, as one comparable text.</summary>
    private static string Describe(TreeLedger l) =>
        $"next {l.State.NextSequence}: " + string.Join("; ", l.State.Fragments.Select(f =>
            $"{f.Id} parent {f.ParentId} holder {f.HolderId} sender {f.SenderId} {f.AmountFen} tier {f.Tier} {f.Status} " +
            $"funderHeld {f.FunderHeld} issued {f.IssueDate:yyyy-MM-dd} pendingSince {f.PendingSince:yyyy-MM-dd}"));

    private static List<(string To, long Fen, string Reason)> Payments(RepayResult r) =>
        r.Payments.Select(p => (p.ToId, p.Amount.Fen, p.Reason)).OrderBy(p => p.ToId).ToList();

    [Fact]
    public void Discount_WholeFragment_PassesTheFragmentItself_AndReservesNoIds()
    {
        var ledger = Issued(1000m, days: 90);

        var plan = ledger.PlanDiscount(S1, Root, Role.Funder, Y(1000), Today).Value!;
        // Kills :224 'whole ? f.Id : new id' → 'false ? …': the facility reserves under plan.FinancedId, and a whole
        // discount finances the fragment itself, so the plan must name it.
        Assert.Equal((true, Root, 90), (plan.Whole, plan.FinancedId, plan.Days));
        ledger.HoldSequence(plan);
        // Kills :231 '!plan.Whole' → 'plan.Whole': a whole discount creates no fragment and holds no sequence numbers.
        Assert.Equal(1, ledger.State.NextSequence);

        var r = ledger.ApplyDiscount(S1, plan, "f", 0.036m, Today).Value!;

        // 1,000.00 × 0.036 × 90 / 360 = 9.00; proceeds 1,000.00 − 9.00 = 991.00.
        Assert.Equal((Y(9m), Y(991m), 0.036m, 90), (r.Charge, r.Proceeds, r.AnnualRate, r.Days));
        // Kills :261 'remainder is null ? null : View(remainder)' → 'false ? …' (View(null) throws).
        Assert.Null(r.Remainder);
        Assert.Equal((Root, "f", VoucherStatus.Financed, 100_000L, 1), (r.Financed.Id, r.Financed.HolderId, r.Financed.Status, r.Financed.Amount.Fen, r.Financed.Tier));
        var f = ledger.Find(Root)!;
        // Kills :250 'f.FunderHeld = true' → 'false' (no test reached it): FunderHeld is what frees the facility's usage at
        // settlement and makes the holder a "funder" in the exposure figures.
        Assert.Equal((true, "s1"), (f.FunderHeld, f.SenderId));
        Assert.Single(ledger.State.Fragments);
        Assert.Equal(100_000, ledger.LiveSumFen());
    }

    [Fact]
    public void Discount_Partial_ReservesTwoIds_AndLaterFragmentsNeverReuseThem()
    {
        var ledger = Issued(1000m, days: 90);
        var split = ledger.Split(S1, Root, [Y(600), Y(400)], Today).Value!;
        // Kills :346 'NextSequence++' → 'NextSequence--' (the second child would be -0, and later ids would collide).
        Assert.Equal([Id(1), Id(2)], split.Children.Select(c => c.Id));
        Assert.Equal(3, ledger.State.NextSequence);

        var plan = ledger.PlanDiscount(S1, Id(1), Role.Funder, Y(250), Today).Value!;
        Assert.Equal((false, Id(3)), (plan.Whole, plan.FinancedId));
        ledger.HoldSequence(plan);
        // Kills :231 '!plan.Whole' → 'plan.Whole' and ':231 += 2' → '-= 2': the financed part and the remainder take 3 and 4.
        Assert.Equal(5, ledger.State.NextSequence);

        var r = ledger.ApplyDiscount(S1, plan, "f", 0.036m, Today).Value!;

        // 250.00 × 0.036 × 90 / 360 = 2.25; proceeds 247.75. The remainder is 600.00 − 250.00 = 350.00.
        Assert.Equal((Y(2.25m), Y(247.75m)), (r.Charge, r.Proceeds));
        Assert.Equal((Id(3), "f", 25_000L), (r.Financed.Id, r.Financed.HolderId, r.Financed.Amount.Fen));
        // Kills :259 'sequence + 1' → 'sequence - 1': the remainder would take id 2, the split's other child.
        Assert.Equal((Id(4), "s1", VoucherStatus.Active, 35_000L), (r.Remainder!.Id, r.Remainder.HolderId, r.Remainder.Status, r.Remainder.Amount.Fen));
        // Kills :258 'financed.FunderHeld = true' → 'false'.
        Assert.Equal((true, false), (ledger.Find(Id(3))!.FunderHeld, ledger.Find(Id(4))!.FunderHeld));

        // The next fragments made take 5 and 6: no id is ever given twice.
        var t = ledger.Transfer(S1, Id(2), "s2", Role.Supplier, Y(100), Today).Value!;
        Assert.Equal((Id(5), Id(6)), (t.Transferred.Id, t.Remainder!.Id));
        var ids = ledger.State.Fragments.Select(f => f.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Live: 250 financed + 350 remainder + 100 pending for s2 + 300 remainder = 1,000.00.
        Assert.Equal(100_000, ledger.LiveSumFen());
    }

    [Fact]
    public void Discount_WhoseChargeTakesAllOfTheAmount_IsRefused_OneFenOfProceedsIsNot()
    {
        // Kills :241 'proceeds.Fen <= 0' → '< 0'. At 50% (a rate the API accepts: 0 ≤ rate < 1) for 360 days:
        // 0.01: 1 fen × 0.5 × 360 / 360 = 0.5 fen → half away from zero → 1 fen: the charge is all of it, proceeds 0.
        var all = Issued(0.01m, days: 360);
        var before = Describe(all);
        var plan = all.PlanDiscount(S1, Root, Role.Funder, Y(0.01m), Today).Value!;
        all.HoldSequence(plan);
        Assert.Equal(FaultCodes.InvalidState, all.ApplyDiscount(S1, plan, "f", 0.5m, Today).Fault!.Code);
        Assert.Equal(before, Describe(all));

        // 0.02: 2 fen × 0.5 = 1 fen charge, 1 fen proceeds: accepted.
        var some = Issued(0.02m, days: 360);
        var plan2 = some.PlanDiscount(S1, Root, Role.Funder, Y(0.02m), Today).Value!;
        var r = some.ApplyDiscount(S1, plan2, "f", 0.5m, Today).Value!;
        Assert.Equal((1L, 1L), (r.Charge.Fen, r.Proceeds.Fen));
    }

    [Fact]
    public void Repay_PaysEachHolderTheSumOfAllItsLiveFragments()
    {
        var ledger = Issued(1000m, days: 30);
        ledger.Split(S1, Root, [Y(100), Y(200), Y(700)], Today);
        // The 700.00 goes whole to s2, still pending at maturity: pending is live, it is paid to its holder.
        Assert.True(ledger.Transfer(S1, Id(3), "s2", Role.Supplier, Y(700), Today).IsOk);

        var r = ledger.Repay(Core, Today.AddDays(30)).Value!;

        // Kills :275 'g.Sum' → 'g.Max': s1 holds two fragments, 100.00 + 200.00 = 300.00, not the larger 200.00.
        // (And :275 "settlement" → "": the reason is stored with the payment record and replayed.)
        Assert.Equal([("s1", 30_000L, "settlement"), ("s2", 70_000L, "settlement")], Payments(r));
        Assert.All(r.Payments, p => Assert.Equal("core", p.FromId));
        Assert.Equal(3, r.Settled.Count);
    }

    [Fact]
    public void ClosedLoop_FundersGetTheirParts_TheSupplierTheRest_WithFreshIds()
    {
        // Root 1,000.00 against an order with two loans: 300.00 owed to fA, 200.00 to fB (ids 1 and 2, as the grain
        // numbers them). The supplier keeps 1,000.00 − 300.00 − 200.00 = 500.00, active, as fragment 3.
        var ledger = Issued(1000m, accept: false);
        ledger.ApplyClosedLoop(
        [
            new ClosedLoopPart { LoanId = "lnA", FunderId = "fA", PayoffFen = 30_000, AmountFen = 30_000, FragmentId = Id(1) },
            new ClosedLoopPart { LoanId = "lnB", FunderId = "fB", PayoffFen = 20_000, AmountFen = 20_000, FragmentId = Id(2) },
        ], Today);

        // Kills :56-:66 (no test reached ApplyClosedLoop): the parts' amounts and holders, FunderHeld (:61), the rest's
        // amount (:64 '-' → '+', 'Sum' → 'Max'), its creation (:66 'rest > 0' → '< 0', negated, removed) and its id
        // (:62 'Max' → 'Min', '+ 1' → '- 1' would give it id 1 again).
        Assert.Equal(
            $"next 4: {Root} parent  holder s1 sender  100000 tier 1 Split funderHeld False issued 2026-03-02 pendingSince 2026-03-02; " +
            $"{Id(1)} parent {Root} holder fA sender s1 30000 tier 1 Financed funderHeld True issued 2026-03-02 pendingSince 2026-03-02; " +
            $"{Id(2)} parent {Root} holder fB sender s1 20000 tier 1 Financed funderHeld True issued 2026-03-02 pendingSince 2026-03-02; " +
            $"{Id(3)} parent {Root} holder s1 sender  50000 tier 1 Active funderHeld False issued 2026-03-02 pendingSince 2026-03-02",
            Describe(ledger));
        Assert.Equal(100_000, ledger.LiveSumFen());
    }

    [Fact]
    public void ClosedLoop_UsedUpByTheLoans_LeavesNoZeroFragment_AndAPartWithNothingGetsNoFragment()
    {
        // Root 400.00; loans owe 300.00 (fA), 250.00 (fB), 50.00 (fC): fA gets 300.00, fB the 100.00 left, fC nothing
        // (the grain gives a part of 0 no fragment id). Nothing is left for the supplier.
        var ledger = Issued(400m, accept: false);
        ledger.ApplyClosedLoop(
        [
            new ClosedLoopPart { LoanId = "lnA", FunderId = "fA", PayoffFen = 30_000, AmountFen = 30_000, FragmentId = Id(1) },
            new ClosedLoopPart { LoanId = "lnB", FunderId = "fB", PayoffFen = 25_000, AmountFen = 10_000, FragmentId = Id(2) },
            new ClosedLoopPart { LoanId = "lnC", FunderId = "fC", PayoffFen = 5_000, AmountFen = 0, FragmentId = null },
        ], Today);

        // Kills :66 'rest > 0' → 'rest >= 0' (a live fragment of 0.00 for the supplier) and :54 'is not null' → 'is null'.
        Assert.Equal([(Root, VoucherStatus.Split, 40_000L), (Id(1), VoucherStatus.Financed, 30_000L), (Id(2), VoucherStatus.Financed, 10_000L)],
            ledger.State.Fragments.Select(f => (f.Id, f.Status, f.AmountFen)));
        Assert.Equal(3, ledger.State.NextSequence);
        Assert.Equal(40_000, ledger.LiveSumFen());
    }

    [Fact]
    public void ClosedLoop_WithNoLoanLeftToPay_LeavesTheRootPendingForTheSupplier()
    {
        // The order's only loan was repaid in cash before the voucher: its part is 0, no fragment. The voucher is an
        // ordinary pending root; the supplier must still accept it.
        var ledger = Issued(1000m, accept: false);
        var before = Describe(ledger);
        ledger.ApplyClosedLoop([new ClosedLoopPart { LoanId = "lnA", FunderId = "fA", PayoffFen = 0, AmountFen = 0, FragmentId = null }], Today);

        // Kills :55 'if (paid.Count == 0) return;' → removed: the root would be split and 1,000.00 handed to the
        // supplier active, without its acceptance.
        Assert.Equal(before, Describe(ledger));
    }

    [Fact]
    public void Split_RespectsAConfiguredMinimumFragment()
    {
        // Kills :172 'amounts.Any(a => a < minimum)' → 'All'. The default minimum is 0.01, one fen, which no Money
        // amount is below, so the check only bites with a larger configured minimum (DOMAIN.md marks it (param)): 100.00.
        var ledger = Issued(1000m, rules: new PlatformRules { MinimumFragment = 100m });
        var before = Describe(ledger);

        var refused = ledger.Split(S1, Root, [Y(99.99m), Y(900.01m)], Today);
        Assert.Equal((FaultCodes.ValidationFailed, "amounts"), (refused.Fault!.Code, refused.Fault.Field));
        Assert.Equal(before, Describe(ledger));
        Assert.True(ledger.Split(S1, Root, [Y(100m), Y(900m)], Today).IsOk);
    }

    [Fact]
    public void APendingTransfer_ExpiringOnTheMaturityDate_IsBackWithTheSenderForSettlement()
    {
        // Maturity = Today + 30. A transfer of 300.00 left unanswered from Today + 23 reaches its 7-day deadline on the
        // maturity date itself: it is rejected that day and the 300.00 is back with s1 when the core repays.
        var onTheDay = Issued(1000m, days: 30);
        var t = onTheDay.Transfer(S1, Root, "s2", Role.Supplier, Y(300), Today.AddDays(23)).Value!;
        var caughtUp = onTheDay.CatchUp(Today.AddDays(30));
        // Kills :142 and :143 (the rejected and the returned fragment left out of Touched; the grain writes only when
        // Touched is not empty).
        Assert.Equal([t.Transferred.Id, Id(3)], caughtUp.Touched.Select(f => f.Id));
        // Kills :139 'deadline > MaturityDate' → '>=' (the transfer would stay pending and s2 would be paid 300.00).
        Assert.Equal([("s1", 100_000L, "settlement")], Payments(onTheDay.Repay(Core, Today.AddDays(30)).Value!));

        // One day later (from Today + 24, deadline the day after maturity) it does not expire: s2, pending, is paid.
        var dayAfter = Issued(1000m, days: 30);
        dayAfter.Transfer(S1, Root, "s2", Role.Supplier, Y(300), Today.AddDays(24));
        Assert.Empty(dayAfter.CatchUp(Today.AddDays(30)).Touched);
        Assert.Equal([("s1", 70_000L, "settlement"), ("s2", 30_000L, "settlement")], Payments(dayAfter.Repay(Core, Today.AddDays(30)).Value!));
    }

    [Fact]
    public void CatchUp_NamesWhatItChanged_OnCancellationAndOnDefault()
    {
        // The grain persists (and tells the obligor to free the limit) only when Touched is not empty.
        var unanswered = Issued(1000m, days: 90, accept: false);
        var cancelled = unanswered.CatchUp(Today.AddDays(7));
        // Kills :142 'touched.Add(rejected)' → removed: a cancelled root would leave Touched empty, so the
        // cancellation would not be written and the issuance limit not freed.
        Assert.True(cancelled.RootCancelled);
        Assert.Equal([Root], cancelled.Touched.Select(f => f.Id));

        var unpaid = Issued(1000m, days: 30);
        unpaid.Split(S1, Root, [Y(600), Y(400)], Today);
        Assert.Equal(2, unpaid.CatchUp(Today.AddDays(31)).Touched.Count);
        // Kills :158 'touched.Add(f)' (default) → removed: on the default date the already overdue fragments default,
        // and that change must be reported, or it is never written nor announced.
        Assert.Equal([Id(1), Id(2)], unpaid.CatchUp(Today.AddDays(60)).Touched.Select(f => f.Id));
        Assert.All(unpaid.State.Fragments.Skip(1), f => Assert.Equal(VoucherStatus.Defaulted, f.Status));
    }
}
