using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

public sealed partial class VoucherTreeGrain
{
    public async Task<Outcome<DiscountResult>> Discount(Caller caller, string operationId, string fragmentId, string funderId, Money amount)
    {
        if (Replay(operationId) is { } done)
        {
            var parent = await Replayed(done, 0);
            return Outcome<DiscountResult>.Ok(new DiscountResult(parent, View(done.FragmentIds[1]),
                done.FragmentIds.Count > 2 ? View(done.FragmentIds[2]) : null,
                new Money(done.ProceedsFen), new Money(done.ChargeFen), done.AnnualRate, done.Days));
        }
        if (S.Phase != TreePhase.Issued) return Fault.NotFound("Voucher");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["RootId"] = RootId });

        await ReleasePendingDiscounts();
        var today = await TodayAsync();
        await CatchUp(today);
        var funder = await GrainFactory.GetGrain<IParticipantGrain>(funderId).Get();
        var planned = Ledger.PlanDiscount(caller, fragmentId, funder?.Role, amount, today);
        if (!planned.IsOk) return planned.Fault!;
        var plan = planned.Value!;
        var facilityId = Ids.Facility(funderId, S.ObligorId);
        var facility = GrainFactory.GetGrain<IFacilityGrain>(facilityId);

        // 1. Store the intent (and the ids it will use) before the facility is asked for room.
        Ledger.HoldSequence(plan);
        S.PendingDiscounts.Add(new PendingDiscount { OperationId = operationId, FacilityId = facilityId, FragmentId = plan.FinancedId });
        await Write();

        // 2. Reserve room on the facility, keyed by the financed fragment's id.
        var reserved = await facility.Reserve(plan.FinancedId, EntityRef.Tree(RootId), amount, today);
        if (!reserved.IsOk)
        {
            S.PendingDiscounts.RemoveAll(p => p.OperationId == operationId);
            await Write();
            return reserved.Fault!;
        }

        // 3. Apply the discount and record the commit notice in the same write.
        var applied = Ledger.ApplyDiscount(caller, plan, funderId, reserved.Value, today);
        if (!applied.IsOk)
        {
            S.PendingDiscounts.RemoveAll(p => p.OperationId == operationId);
            await Write();
            await facility.Release(plan.FinancedId);
            return applied;
        }
        var r = applied.Value!;
        S.PendingDiscounts.RemoveAll(p => p.OperationId == operationId);
        S.Payments.Add(new PaymentRecord
        {
            OperationId = operationId, FromId = funderId, ToId = caller.Id, AmountFen = r.Proceeds.Fen, Reason = "discount", On = today,
        });
        S.Notices.Add(Notice.Commit(EntityRef.Facility(facilityId), r.Financed.Id));
        List<string> ids = r.Remainder is null ? [r.Parent.Id, r.Financed.Id] : [r.Parent.Id, r.Financed.Id, r.Remainder.Id];
        await Commit(operationId, "discount", ids, record =>
        {
            record.ChargeFen = r.Charge.Fen;
            record.ProceedsFen = r.Proceeds.Fen;
            record.AnnualRate = r.AnnualRate;
            record.Days = r.Days;
        });
        return applied;
    }

    /// <summary>Discounts whose intent is stored but which never took effect: give their reservations back.</summary>
    private async Task ReleasePendingDiscounts()
    {
        if (S.PendingDiscounts.Count == 0) return;
        // Dropped and stored first, so a stale activation releases nothing; a release that fails here is left to the
        // facility's sweep, which asks this tree again.
        var pending = S.PendingDiscounts.ToList();
        S.PendingDiscounts.Clear();
        await Write();
        foreach (var p in pending) await GrainFactory.GetGrain<IFacilityGrain>(p.FacilityId).Release(p.FragmentId);
    }
}
