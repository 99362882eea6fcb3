using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Tests.Unit;

/// <summary>Expiry of unanswered fragments, overdue and default, caught up from the calendar.</summary>
public sealed class MaturityRulesTests
{
    private const string Root = "vcbbbbbbbbbbbbbbbbbbbb";
    private static readonly DateOnly Day0 = new(2026, 3, 2);
    private static readonly PlatformRules Rules = new();
    private static readonly Caller S1 = new("s1", Role.Supplier);

    private static TreeLedger Issued(int days, bool accept = true)
    {
        var ledger = new TreeLedger(new VoucherTreeState(), Root, Rules);
        ledger.CreateRoot("core", new IssueVoucher("s1", Money.FromYuan(1000), Day0.AddDays(days), null), Day0);
        if (accept) Assert.True(ledger.Accept(S1, Root).IsOk);
        return ledger;
    }

    private static VoucherStatus StatusOf(TreeLedger l, string id) => l.Find(id)!.Status;

    [Fact]
    public void AnUnansweredRoot_IsCancelledAfterSevenDays_NotBefore()
    {
        var ledger = Issued(90, accept: false);
        Assert.Empty(ledger.CatchUp(Day0.AddDays(6)).Touched);
        Assert.Equal(VoucherStatus.Pending, StatusOf(ledger, Root));
        var result = ledger.CatchUp(Day0.AddDays(7));
        Assert.True(result.RootCancelled);
        Assert.Equal(VoucherStatus.Cancelled, StatusOf(ledger, Root));
        Assert.Empty(ledger.CatchUp(Day0.AddDays(8)).Touched);
    }

    [Fact]
    public void AnUnansweredTransfer_GoesBackToTheSender_OnItsDeadline()
    {
        var ledger = Issued(90);
        var t = ledger.Transfer(S1, Root, "s2", Role.Supplier, Money.FromYuan(300), Day0.AddDays(2)).Value!;
        var result = ledger.CatchUp(Day0.AddDays(20));
        Assert.False(result.RootCancelled);
        Assert.Equal(VoucherStatus.Rejected, StatusOf(ledger, t.Transferred.Id));
        var back = ledger.State.Fragments.Single(f => f.ParentId == t.Transferred.Id);
        Assert.Equal(("s1", VoucherStatus.Active, 30000L, Day0.AddDays(9)), (back.HolderId, back.Status, back.AmountFen, back.IssueDate));
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void TheDayAfterMaturity_LiveFragmentsAreOverdue_AndThirtyDaysAfterMaturityDefaulted()
    {
        var ledger = Issued(30);
        var split = ledger.Split(S1, Root, [Money.FromYuan(600), Money.FromYuan(400)], Day0).Value!;
        Assert.Empty(ledger.CatchUp(Day0.AddDays(30)).Touched);
        Assert.Equal(2, ledger.CatchUp(Day0.AddDays(31)).Touched.Count);
        Assert.All(split.Children, c => Assert.Equal(VoucherStatus.Overdue, StatusOf(ledger, c.Id)));
        Assert.Equal(VoucherStatus.Split, StatusOf(ledger, Root));
        Assert.Empty(ledger.CatchUp(Day0.AddDays(59)).Touched);
        ledger.CatchUp(Day0.AddDays(60));
        Assert.All(split.Children, c => Assert.Equal(VoucherStatus.Defaulted, StatusOf(ledger, c.Id)));
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void ALateCatchUp_AppliesEverythingInDateOrder()
    {
        // Transferred 2 days before maturity and never answered: no expiry before maturity, so it is overdue, then defaulted.
        var ledger = Issued(10);
        var late = ledger.Transfer(S1, Root, "s2", Role.Supplier, Money.FromYuan(100), Day0.AddDays(8)).Value!;
        // An earlier one expired well before maturity: its amount went back to the sender, and then fell overdue with the rest.
        var ledger2 = Issued(30);
        var early = ledger2.Transfer(S1, Root, "s2", Role.Supplier, Money.FromYuan(100), Day0).Value!;

        ledger.CatchUp(Day0.AddDays(365));
        ledger2.CatchUp(Day0.AddDays(365));

        Assert.Equal(VoucherStatus.Defaulted, StatusOf(ledger, late.Transferred.Id));
        Assert.Equal(VoucherStatus.Rejected, StatusOf(ledger2, early.Transferred.Id));
        Assert.Equal(VoucherStatus.Defaulted, ledger2.State.Fragments.Single(f => f.ParentId == early.Transferred.Id).Status);
        Assert.Equal(100000, ledger.LiveSumFen());
        Assert.Equal(100000, ledger2.LiveSumFen());
    }

    [Fact]
    public void AnOverdueFragment_CanNoLongerMove_ButTheObligorCanStillRepay()
    {
        var ledger = Issued(30);
        ledger.CatchUp(Day0.AddDays(31));
        Assert.Equal(FaultCodes.InvalidState, ledger.Split(S1, Root, [Money.FromYuan(500), Money.FromYuan(500)], Day0.AddDays(31)).Fault!.Code);
        var repaid = ledger.Repay(new Caller("core", Role.Core), Day0.AddDays(31));
        Assert.True(repaid.IsOk);
        Assert.Equal(VoucherStatus.Settled, StatusOf(ledger, Root));
    }
}
