using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// Issuance against a financed order (the closed loop). Besides the obligor's limit, the tree claims the order,
/// asks each loan drawing on it to pin what it owes today, and reserves room for the funder's part on the funder's
/// facility on the obligor. All of it is keyed by the root id (fragment id for facilities), committed by notices
/// stored with the issued tree, and released if the issuance is abandoned: by the tree, from what it knows, and by
/// each holder's sweep, which asks the tree naming what it holds (so nothing needs storing between the steps).
/// </summary>
public sealed partial class VoucherTreeGrain
{
    /// <summary>Pins each loan's payoff, allocates the face to the loans in order, and reserves facility room. Null when all is ready.</summary>
    private async Task<Fault?> PrepareClosedLoop(DateOnly today)
    {
        var parts = S.ClosedLoop!;
        if (parts.Any(p => p.PayoffFen is null))
        {
            foreach (var part in parts.Where(p => p.PayoffFen is null))
            {
                var payoff = await GrainFactory.GetGrain<ILoanGrain>(part.LoanId).ReserveSettlement(RootId, S.ObligorId, today);
                if (!payoff.IsOk) return payoff.Fault;
                part.PayoffFen = payoff.Value.Fen;
            }
            // The allocation and the fragment ids follow from the pinned payoffs, which a retry gets again unchanged.
            var remaining = S.FaceFen;
            var sequence = 1;
            foreach (var part in parts)
            {
                part.AmountFen = Math.Min(remaining, part.PayoffFen!.Value);
                remaining -= part.AmountFen;
                part.FragmentId = part.AmountFen > 0 ? Ids.Fragment(RootId, sequence++) : null;
            }
        }
        foreach (var part in parts.Where(p => p.FragmentId is not null))
        {
            var room = await GrainFactory.GetGrain<IFacilityGrain>(Ids.Facility(part.FunderId, S.ObligorId))
                .Reserve(part.FragmentId!, RootId, new Money(part.AmountFen), today);
            if (!room.IsOk)
                return room.Fault! with
                {
                    Detail = $"The closed loop needs {new Money(part.AmountFen)} of funder {part.FunderId}'s facility on {S.ObligorId}: {room.Fault.Detail}",
                };
        }
        return null;
    }

    /// <summary>Commit notices for everything the closed loop reserved; they are stored with the issued tree.</summary>
    private void AddClosedLoopNotices()
    {
        if (S.OrderId is null) return;
        foreach (var part in S.ClosedLoop ?? [])
        {
            if (part.FragmentId is not null)
            {
                S.Outbox.Add(new Notice { Kind = NoticeKind.FacilityCommit, Target = Ids.Facility(part.FunderId, S.ObligorId), Item = part.FragmentId });
                S.Outbox.Add(new Notice { Kind = NoticeKind.LoanSettle, Target = part.LoanId, Item = RootId, AmountFen = part.AmountFen });
            }
            else
            {
                S.Outbox.Add(new Notice { Kind = NoticeKind.LoanRelease, Target = part.LoanId, Item = RootId });
            }
        }
        S.Outbox.Add(new Notice { Kind = NoticeKind.OrderCommit, Target = S.OrderId, Item = RootId });
    }

    /// <summary>The issuance will never happen: close the id with <paramref name="fault"/>, then give back whatever it may have reserved.</summary>
    private async Task<Fault> AbortIssuance(Fault fault)
    {
        // Stored first: a stale activation (one that overlapped a newer one) fails this fenced write and so
        // releases nothing that the newer one may have committed to.
        S.Phase = TreePhase.Aborted;
        S.AbortedBecause = fault;
        await Write();
        await ReleaseIssuance();
        return fault;
    }

    /// <summary>Releases are idempotent and ignore what was never reserved (or was committed).</summary>
    private async Task ReleaseIssuance()
    {
        if (S.ObligorId.Length > 0) await GrainFactory.GetGrain<IObligorGrain>(S.ObligorId).Release(RootId);
        if (S.OrderId is null) return;
        foreach (var part in S.ClosedLoop ?? [])
        {
            await GrainFactory.GetGrain<ILoanGrain>(part.LoanId).ReleaseSettlement(RootId);
            if (part.FragmentId is not null)
                await GrainFactory.GetGrain<IFacilityGrain>(Ids.Facility(part.FunderId, S.ObligorId)).Release(part.FragmentId);
        }
        await GrainFactory.GetGrain<IOrderGrain>(S.OrderId).ReleaseClaim(RootId);
    }
}
