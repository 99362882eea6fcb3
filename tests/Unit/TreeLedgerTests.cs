using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Tests.Unit;

/// <summary>The voucher rules of DOMAIN.md, on one tree's state, without Orleans.</summary>
public sealed class TreeLedgerTests
{
    private const string Root = "vcaaaaaaaaaaaaaaaaaaaa";
    private static readonly DateOnly Today = new(2026, 3, 2);
    private static readonly PlatformRules Rules = new();
    private static readonly Caller Core = new("core", Role.Core);
    private static readonly Caller S1 = new("s1", Role.Supplier);
    private static readonly Caller S2 = new("s2", Role.Supplier);
    private static readonly Caller S3 = new("s3", Role.Supplier);

    private static TreeLedger Issued(decimal amount = 1000m, int days = 90, bool accept = true)
    {
        var ledger = new TreeLedger(new VoucherTreeState(), Root, Rules);
        ledger.CreateRoot("core", new IssueVoucher("s1", Money.FromYuan(amount), Today.AddDays(days), null), Today);
        if (accept) Assert.True(ledger.Accept(S1, Root).IsOk);
        return ledger;
    }

    private static Money Y(decimal yuan) => Money.FromYuan(yuan);

    [Fact]
    public void Issue_MaturityRules()
    {
        var ok = new IssueVoucher("s1", Y(1), Today.AddDays(365), null);
        Assert.Null(TreeLedger.ValidateIssue(ok, Role.Supplier, Today, Rules));
        Assert.Equal(FaultCodes.Tenor, TreeLedger.ValidateIssue(ok with { MaturityDate = Today }, Role.Supplier, Today, Rules)!.Code);
        Assert.Equal(FaultCodes.Tenor, TreeLedger.ValidateIssue(ok with { MaturityDate = Today.AddDays(-1) }, Role.Supplier, Today, Rules)!.Code);
        Assert.Equal(FaultCodes.Tenor, TreeLedger.ValidateIssue(ok with { MaturityDate = Today.AddDays(366) }, Role.Supplier, Today, Rules)!.Code);
    }

    [Theory]
    [InlineData(Role.Core)]
    [InlineData(Role.Funder)]
    [InlineData(Role.Sponsor)]
    [InlineData(null)]
    public void Issue_BeneficiaryMustBeSupplier(Role? role)
    {
        var fault = TreeLedger.ValidateIssue(new IssueVoucher("x", Y(1), Today.AddDays(30), null), role, Today, Rules);
        Assert.Equal(FaultCodes.ValidationFailed, fault!.Code);
        Assert.Equal("beneficiaryId", fault.Field);
    }

    [Fact]
    public void Issue_LongTenorIsFlagged()
    {
        Assert.False(Issued(days: 180).IsLongTenor);
        Assert.True(Issued(days: 181).IsLongTenor);
    }

    [Fact]
    public void Root_StartsPendingAtTierOne()
    {
        var ledger = Issued(accept: false);
        var root = ledger.View(ledger.Find(Root)!);
        Assert.Equal(VoucherStatus.Pending, root.Status);
        Assert.Equal(1, root.Tier);
        Assert.Equal("s1", root.HolderId);
        Assert.Null(root.ParentId);
    }

    [Fact]
    public void Accept_OnlyTheRecipient()
    {
        var ledger = Issued(accept: false);
        Assert.Equal(FaultCodes.NotFound, ledger.Accept(S2, Root).Fault!.Code);
        Assert.True(ledger.Accept(S1, Root).IsOk);
        Assert.Equal(FaultCodes.InvalidState, ledger.Accept(S1, Root).Fault!.Code);
    }

    [Fact]
    public void Reject_Root_IsCancelled()
    {
        var ledger = Issued(accept: false);
        var rejected = ledger.Reject(S1, Root, Today);
        Assert.Equal(VoucherStatus.Cancelled, rejected.Value.Rejected.Status);
        Assert.Null(rejected.Value.Returned);
        Assert.Equal(0, ledger.LiveSumFen());
    }

    [Fact]
    public void Reject_Transfer_ReturnsAmountToSender()
    {
        var ledger = Issued(1000m);
        var t = ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(300), Today).Value!;
        var rejected = ledger.Reject(S2, t.Transferred.Id, Today);
        Assert.True(rejected.IsOk);
        Assert.Equal(VoucherStatus.Rejected, rejected.Value.Rejected.Status);
        var back = rejected.Value.Returned!;
        Assert.Equal("s1", back.HolderId);
        Assert.Equal(Y(300), back.Amount);
        Assert.Equal(VoucherStatus.Active, back.Status);
        Assert.Equal(1, back.Tier);
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void Split_ChildrenSumToParent_AndParentIsConsumed()
    {
        var ledger = Issued(1000m);
        var r = ledger.Split(S1, Root, [Y(0.01m), Y(499.99m), Y(500m)], Today);
        Assert.True(r.IsOk);
        Assert.Equal(VoucherStatus.Split, r.Value!.Parent.Status);
        Assert.All(r.Value.Children, c => Assert.Equal(VoucherStatus.Active, c.Status));
        Assert.All(r.Value.Children, c => Assert.Equal("s1", c.HolderId));
        Assert.Equal(100000, r.Value.Children.Sum(c => c.Amount.Fen));
        Assert.Equal(100000, ledger.LiveSumFen());
        Assert.Equal(FaultCodes.InvalidState, ledger.Split(S1, Root, [Y(500), Y(500)], Today).Fault!.Code);
    }

    [Fact]
    public void Split_Refuses_WrongSum_TooFewOrTooMany()
    {
        var ledger = Issued(1000m);
        Assert.Equal(FaultCodes.ValidationFailed, ledger.Split(S1, Root, [Y(500), Y(499.99m)], Today).Fault!.Code);
        Assert.Equal(FaultCodes.ValidationFailed, ledger.Split(S1, Root, [Y(1000)], Today).Fault!.Code);
        Assert.Equal(FaultCodes.ValidationFailed, ledger.Split(S1, Root, Enumerable.Repeat(Y(9.90m), 101).ToList(), Today).Fault!.Code);
        Assert.True(ledger.Split(S1, Root, Enumerable.Repeat(Y(10m), 100).ToList(), Today).IsOk);
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void Split_OnlyTheHolder()
    {
        var ledger = Issued(1000m);
        Assert.Equal(FaultCodes.NotFound, ledger.Split(S2, Root, [Y(500), Y(500)], Today).Fault!.Code);
        Assert.Equal(FaultCodes.Forbidden, ledger.Split(Core, Root, [Y(500), Y(500)], Today).Fault!.Code);
    }

    [Fact]
    public void Transfer_Partial_SplitsOffPendingChildAtNextTier()
    {
        var ledger = Issued(1000m);
        var r = ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(400), Today).Value!;
        Assert.Equal(VoucherStatus.Transferred, r.Parent.Status);
        Assert.Equal(("s2", VoucherStatus.Pending, 2, 40000L), (r.Transferred.HolderId, r.Transferred.Status, r.Transferred.Tier, r.Transferred.Amount.Fen));
        Assert.Equal(("s1", VoucherStatus.Active, 1, 60000L), (r.Remainder!.HolderId, r.Remainder.Status, r.Remainder.Tier, r.Remainder.Amount.Fen));
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void Transfer_FullFace_MovesTheFragmentItself()
    {
        var ledger = Issued(1000m);
        var r = ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(1000), Today).Value!;
        Assert.Equal(Root, r.Transferred.Id);
        Assert.Null(r.Remainder);
        Assert.Equal(("s2", VoucherStatus.Pending, 2), (r.Transferred.HolderId, r.Transferred.Status, r.Transferred.Tier));
        // The sender still sees what it passed on, and may no longer move it.
        Assert.True(ledger.Visible(S1, Root).IsOk);
        Assert.Equal(FaultCodes.Forbidden, ledger.Transfer(S1, Root, "s3", Role.Supplier, Y(1), Today).Fault!.Code);
    }

    [Fact]
    public void Transfer_Refuses_SelfObligorFunderAndUnknown()
    {
        var ledger = Issued(1000m);
        Assert.Equal("toId", ledger.Transfer(S1, Root, "s1", Role.Supplier, Y(1), Today).Fault!.Field);
        Assert.Equal("toId", ledger.Transfer(S1, Root, "core", Role.Core, Y(1), Today).Fault!.Field);
        Assert.Equal("toId", ledger.Transfer(S1, Root, "f", Role.Funder, Y(1), Today).Fault!.Field);
        Assert.Equal("toId", ledger.Transfer(S1, Root, "nobody", null, Y(1), Today).Fault!.Field);
        Assert.Equal("amount", ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(1000.01m), Today).Fault!.Field);
        Assert.Equal(VoucherStatus.Active, ledger.Find(Root)!.Status);
    }

    [Fact]
    public void Transfer_StopsAtMaxTier()
    {
        var ledger = Issued(1000m);
        var holder = S1;
        var id = Root;
        for (var tier = 2; tier <= Rules.MaxTier; tier++)
        {
            var next = new Caller($"t{tier}", Role.Supplier);
            var r = ledger.Transfer(holder, id, next.Id, Role.Supplier, Y(1000), Today);
            Assert.True(r.IsOk, r.Fault?.Detail);
            Assert.True(ledger.Accept(next, id).IsOk);
            Assert.Equal(tier, ledger.Find(id)!.Tier);
            holder = next;
        }
        var refused = ledger.Transfer(holder, id, "one-too-far", Role.Supplier, Y(1000), Today);
        Assert.Equal(FaultCodes.TierLimit, refused.Fault!.Code);
        Assert.Equal(Rules.MaxTier, ledger.Find(id)!.Tier);
    }

    [Fact]
    public void Discount_Partial_FinancedToFunder_RemainderStays()
    {
        var ledger = Issued(1000m, days: 90);
        var plan = ledger.PlanDiscount(S1, Root, Role.Funder, Y(400), Today).Value!;
        Assert.Equal(90, plan.Days);
        ledger.HoldSequence(plan);
        var r = ledger.ApplyDiscount(S1, plan, "f", 0.036m, Today).Value!;
        Assert.Equal(("f", VoucherStatus.Financed, 40000L), (r.Financed.HolderId, r.Financed.Status, r.Financed.Amount.Fen));
        Assert.Equal(plan.FinancedId, r.Financed.Id);
        Assert.Equal(("s1", VoucherStatus.Active, 60000L), (r.Remainder!.HolderId, r.Remainder.Status, r.Remainder.Amount.Fen));
        Assert.Equal(Y(3.60m), r.Charge);          // 400 × 0.036 × 90 / 360
        Assert.Equal(Y(396.40m), r.Proceeds);
        Assert.Equal(100000, ledger.LiveSumFen());
    }

    [Fact]
    public void Discount_NeedsAFunder_AnActiveFragment_AndTenor()
    {
        var ledger = Issued(1000m, days: 1);
        Assert.Equal("funderId", ledger.PlanDiscount(S1, Root, Role.Supplier, Y(1), Today).Fault!.Field);
        Assert.Equal("amount", ledger.PlanDiscount(S1, Root, Role.Funder, Y(2000), Today).Fault!.Field);
        Assert.True(ledger.PlanDiscount(S1, Root, Role.Funder, Y(1), Today).IsOk);
        Assert.Equal(FaultCodes.Tenor, ledger.PlanDiscount(S1, Root, Role.Funder, Y(1), Today.AddDays(1)).Fault!.Code);
        var pending = Issued(accept: false);
        Assert.Equal(FaultCodes.InvalidState, pending.PlanDiscount(S1, Root, Role.Funder, Y(1), Today).Fault!.Code);
    }

    [Fact]
    public void Repay_OnlyObligor_OnlyAtMaturity_PaysEachHolder()
    {
        var ledger = Issued(1000m, days: 30);
        var t = ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(250), Today).Value!;
        Assert.Equal(FaultCodes.NotFound, ledger.Repay(S1, Today.AddDays(30)).Fault!.Code);
        Assert.Equal(FaultCodes.InvalidState, ledger.Repay(Core, Today.AddDays(29)).Fault!.Code);
        var r = ledger.Repay(Core, Today.AddDays(30)).Value!;
        Assert.Equal(2, r.Settled.Count);
        Assert.All(r.Settled, f => Assert.Equal(VoucherStatus.Settled, f.Status));
        Assert.Equal([("s1", 75000L), ("s2", 25000L)], r.Payments.Select(p => (p.ToId, p.Amount.Fen)).OrderBy(p => p.Item1).ToList());
        Assert.Equal(0, ledger.LiveSumFen());
        Assert.Equal(FaultCodes.InvalidState, ledger.Repay(Core, Today.AddDays(31)).Fault!.Code);
        Assert.Equal(VoucherStatus.Settled, ledger.Find(t.Transferred.Id)!.Status);
    }

    [Fact]
    public void Visibility_ObligorHolderSenderStaff_NotOthers()
    {
        var ledger = Issued(1000m);
        var t = ledger.Transfer(S1, Root, "s2", Role.Supplier, Y(100), Today).Value!;
        Assert.True(ledger.Visible(Core, t.Transferred.Id).IsOk);
        Assert.True(ledger.Visible(S2, t.Transferred.Id).IsOk);
        Assert.True(ledger.Visible(S1, t.Transferred.Id).IsOk);
        Assert.True(ledger.Visible(Caller.Operator, t.Transferred.Id).IsOk);
        Assert.True(ledger.Visible(new Caller("r", Role.Risk), t.Transferred.Id).IsOk);
        Assert.False(ledger.Visible(S3, t.Transferred.Id).IsOk);
        Assert.False(ledger.Visible(new Caller("core2", Role.Core), t.Transferred.Id).IsOk);
        Assert.False(ledger.Visible(new Caller("r", Role.Risk, "some-funder"), t.Transferred.Id).IsOk);
        Assert.False(ledger.Visible(S2, Root).IsOk);
        Assert.False(ledger.CanSeeTree(S1));
        Assert.True(ledger.CanSeeTree(Core));
    }
}
