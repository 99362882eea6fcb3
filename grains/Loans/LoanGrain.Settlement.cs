using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// The loan as the holder of the payoff a voucher against its order pins on it (the closed loop), and the loan's
/// positions for reconciliation.
/// </summary>
public sealed partial class LoanGrain
{
    public async Task<Outcome<Money>> ReserveSettlement(string rootId, DateOnly today)
    {
        if (S.Phase != LoanPhase.Disbursed) return Outcome<Money>.Ok(Money.Zero);
        if (S.PendingSettlement is { } pinned)
            return pinned.RootId == rootId
                ? Outcome<Money>.Ok(new Money(pinned.PayoffFen))
                : Fault.Conflict("Another voucher is repaying this loan.");
        if (S.Repayments.Any(r => r.VoucherId == rootId))
            return Outcome<Money>.Ok(new Money(S.Repayments.Where(r => r.VoucherId == rootId).Sum(r => r.AmountFen)));
        await CatchUp(today);
        var payoff = S.Status == LoanStatus.Repaid ? 0 : Ledger.PayoffOn(today);
        if (payoff == 0) return Outcome<Money>.Ok(Money.Zero);
        S.PendingSettlement = new PendingSettlement { RootId = rootId, On = today, PayoffFen = payoff, ReservedAt = time.UtcNow };
        await Write();
        EnsureSweep();
        return Outcome<Money>.Ok(new Money(payoff));
    }

    public async Task Settle(string rootId, Money amount)
    {
        if (S.PendingSettlement is not { } pinned || pinned.RootId != rootId) return; // applied already, or never pinned
        var principalBefore = S.OutstandingFen;
        _businessDate = pinned.On; // repaid as of the day the voucher pinned its payoff
        if (amount.Fen >= pinned.PayoffFen) Ledger.SettleInFull(pinned.PayoffFen, pinned.On, rootId);
        else Ledger.Pay(amount.Fen, pinned.On > S.AccruedTo ? pinned.On : S.AccruedTo, rootId, "voucher", rootId);
        S.PendingSettlement = null;
        AfterPayment(principalBefore);
        await Write("closed_loop");
        await Outbox.DeliverAsync();
    }

    public async Task ReleaseSettlement(string rootId)
    {
        if (S.PendingSettlement?.RootId != rootId) return;
        S.PendingSettlement = null;
        await Write();
    }

    /// <summary>The loan's own position on its borrower, and each guarantee call of its waterfall on the member called.</summary>
    public Task<IReadOnlyList<HeldPosition>> GetPositions() =>
        Task.FromResult<IReadOnlyList<HeldPosition>>(
            (LoanLedger.Position(S) is { } p ? [new HeldPosition(S.BorrowerId, p)] : new List<HeldPosition>())
            .Concat(LoanLedger.CallPositions(S).Select(c => new HeldPosition(c.MemberId, c.Position))).ToList());

    /// <summary>While a voucher's settlement stays pinned too long, ask the tree (the authority) to resolve it.</summary>
    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Loan(LoanId), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => S.PendingSettlement is { } p ? [new OpenReservation(p.RootId, EntityRef.Tree(p.RootId), p.ReservedAt)] : []);
}
