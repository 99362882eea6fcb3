using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Grains;

/// <summary>
/// Orders, loans and the closed loop on two silos with ADO.NET storage: every reservation a dead caller leaves
/// behind (order room, facility room, an order claim, a pinned payoff) is resolved by its holder's sweep, and a
/// retried closed-loop issuance takes effect once.
/// </summary>
public sealed class LendingGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IGrainFactory G => fixture.Grains;

    private static string NewKey(string purpose) => Ids.Derive(purpose, Guid.NewGuid().ToString());

    private async Task<DateOnly> Today() => await G.GetGrain<SupplyChain.Grains.Clock.IClockGrain>("platform").Today();

    private async Task<(Caller Core, Caller Supplier, string Funder, string OrderId)> FinancedCast()
    {
        var core = "pt" + NewKey("core");
        var supplier = "pt" + NewKey("supplier");
        var funder = "pt" + NewKey("funder");
        await G.GetGrain<IParticipantGrain>(core).Register("core", Role.Core, null);
        await G.GetGrain<IParticipantGrain>(supplier).Register("supplier", Role.Supplier, null);
        await G.GetGrain<IParticipantGrain>(funder).Register("funder", Role.Funder, null);
        foreach (var obligor in new[] { core, supplier })
            Assert.True((await G.GetGrain<IFacilityGrain>(Ids.Facility(funder, obligor))
                .Grant(new FacilityTerms(funder, obligor, Money.FromYuan(100_000), 0.06m, new DateOnly(2035, 1, 1)))).IsOk);
        var orderId = Ids.Order(NewKey("op"));
        var placed = await G.GetGrain<IOrderGrain>(orderId).Place(new Caller(core, Role.Core), "place",
            new PlaceOrder(supplier, Money.FromYuan(10_000), (await Today()).AddDays(30), "PO-7"));
        Assert.True(placed.IsOk, placed.Fault?.Detail);
        return (new Caller(core, Role.Core), new Caller(supplier, Role.Supplier), funder, orderId);
    }

    [Fact]
    public async Task AFinancingThatNeverCompleted_GivesItsRoomBack_AndItsIdIsClosed()
    {
        var (core, supplier, funder, orderId) = await FinancedCast();
        var order = G.GetGrain<IOrderGrain>(orderId);
        var facility = G.GetGrain<IFacilityGrain>(Ids.Facility(funder, supplier.Id));
        // As if a loan had reserved room on the order and on the facility, then died before storing anything.
        var lost = Ids.Loan("lost-op");
        Assert.True((await order.ReserveDraw(new DrawRequest(lost, supplier.Id, funder, Money.FromYuan(7_000), await Today(), null))).IsOk);
        Assert.True((await facility.Reserve(lost, EntityRef.Loan(lost), Money.FromYuan(7_000), await Today())).IsOk);
        Assert.Equal(FaultCodes.InvalidState, (await order.Cancel(core, "cancel")).Fault?.Code);

        await Eventually.True(async () => (await facility.Get())!.Used == Money.Zero
                                          && (await order.ReserveDraw(new DrawRequest("probe", supplier.Id, funder, Money.FromYuan(7_000), await Today(), null))).IsOk,
            TimeSpan.FromSeconds(20), "the order and the facility give the abandoned loan's room back");
        await order.Release("probe");
        // The abandoned id can never become a loan later.
        var late = await G.GetGrain<ILoanGrain>(lost).Originate(supplier, "lost-op", new DrawLoan(EntityRef.Order(orderId), funder, Money.FromYuan(7_000)));
        Assert.Equal(FaultCodes.Conflict, late.Fault?.Code);
        Assert.True((await order.Cancel(core, "cancel")).IsOk);
    }

    [Fact]
    public async Task ARefusedFinancing_StoresItsReleasesWithTheRefusal_SoADeadAttemptsRoomComesBackOnTheRetry()
    {
        var (core, supplier, funder, orderId) = await FinancedCast();
        var order = G.GetGrain<IOrderGrain>(orderId);
        Assert.True((await G.GetGrain<IFacilityGrain>(Ids.Facility(funder, supplier.Id)).SetLimit(Money.FromYuan(1))).IsOk);
        var loanId = Ids.Loan("refused-op");
        var loan = G.GetGrain<ILoanGrain>(loanId);
        var command = new DrawLoan(EntityRef.Order(orderId), funder, Money.FromYuan(5_000));
        Assert.Equal(FaultCodes.InsufficientLimit, (await loan.Originate(supplier, "refused-op", command)).Fault?.Code);

        // As if the attempt had died after storing its refusal and before its releases reached the order (found by the
        // lending bank test: the order then refused the voucher paying it, "a financing is in progress", until its
        // sweep): the order holds the room again, and the loan's activation is gone.
        Assert.True((await order.ReserveDraw(new DrawRequest(loanId, supplier.Id, funder, Money.FromYuan(5_000), await Today(), null))).IsOk);
        await G.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        // The client's retry gets the stored refusal, and the releases stored with it free the order at once, well before
        // any sweep would ask.
        Assert.Equal(FaultCodes.InsufficientLimit, (await loan.Originate(supplier, "refused-op", command)).Fault?.Code);
        Assert.True((await order.Cancel(core, "cancel")).IsOk);
    }

    [Fact]
    public async Task AClosedLoopIssuanceThatNeverCompleted_ReleasesTheOrderAndTheLoan()
    {
        var (core, supplier, funder, orderId) = await FinancedCast();
        var loanId = Ids.Loan(NewKey("op"));
        var loan = G.GetGrain<ILoanGrain>(loanId);
        Assert.True((await loan.Originate(supplier, "finance", new DrawLoan(EntityRef.Order(orderId), funder, Money.FromYuan(5_000)))).IsOk);

        // As if a tree had claimed the order and pinned the loan's payoff, then died before storing anything.
        var ghost = Ids.VoucherRoot(NewKey("op"));
        Assert.True((await G.GetGrain<IOrderGrain>(orderId).Claim(ghost, core.Id, supplier.Id)).IsOk);
        Assert.True((await loan.ReserveSettlement(ghost, await Today())).IsOk);
        Assert.Equal(FaultCodes.Conflict, (await loan.Repay(supplier, "cash-1", Money.FromYuan(1))).Fault?.Code);

        await Eventually.True(async () => (await loan.Repay(supplier, "cash-1", Money.FromYuan(1))).IsOk, TimeSpan.FromSeconds(20),
            "the pinned payoff is released, so cash repayments go on");

        // The order is free again once its own sweep asked the ghost: a real voucher against it repays the loan
        // (5,000.00 − 1.00 principal, no days of interest). Until then an issuance is refused as a conflict, and its
        // id is closed, so a client tries again with a new key.
        var command = new IssueVoucher(supplier.Id, Money.FromYuan(10_000), (await Today()).AddDays(60), orderId);
        Voucher? issued = null;
        string root = "", key = "";
        await Eventually.True(async () =>
        {
            (key, root) = (NewKey("issue"), Ids.VoucherRoot(NewKey("op")));
            var r = await G.GetGrain<IVoucherTreeGrain>(root).Issue(core, key, command);
            Assert.True(r.IsOk || r.Fault!.Code == FaultCodes.Conflict, r.Fault?.Detail);
            issued = r.Value;
            return r.IsOk;
        }, TimeSpan.FromSeconds(20), "the ghost's claim on the order is released");
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        Assert.Equal(VoucherStatus.Split, issued!.Status);
        var settled = (await loan.Get(Caller.Operator)).Value!;
        Assert.Equal((LoanStatus.Repaid, Money.Zero), (settled.Status, settled.OutstandingPrincipal));
        Assert.Equal(Money.FromYuan(4_999), settled.Repayments.Single(r => r.Source == "voucher").Amount);

        // A retry of the same issuance returns the same root and repays nothing twice.
        var again = await tree.Issue(core, key, command);
        Assert.Equal(issued, again.Value);
        Assert.Single((await loan.Get(Caller.Operator)).Value!.Repayments, r => r.Source == "voucher");
        Assert.Equal(Money.FromYuan(4_999), (await G.GetGrain<IFacilityGrain>(Ids.Facility(funder, core.Id)).Get())!.Used);
        Assert.Equal(Money.Zero, (await G.GetGrain<IFacilityGrain>(Ids.Facility(funder, supplier.Id)).Get())!.Used);
        Assert.Equal(OrderStatus.Paid, (await G.GetGrain<IOrderGrain>(orderId).Get(core)).Value!.Status);
    }
}
