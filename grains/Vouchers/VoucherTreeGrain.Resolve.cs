using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// The tree as the owner of reservations: a holder that kept one open too long asks, and the tree, the authority on
/// whether its operation took effect, tells the holder (one-way; the holder never waits on a tree).
/// </summary>
public sealed partial class VoucherTreeGrain
{
    private const string Abandoned = "The issuance did not complete and was abandoned; issue again with a new Idempotency-Key.";

    public Task Resolve(EntityRef holder, string item) =>
        holder.Kind == EntityKind.Facility ? ResolveDiscount(holder.Id, item)
        : item == RootId ? ResolveIssuance(holder)
        : Task.CompletedTask;

    /// <summary>
    /// The obligor's limit, the order's claim or a loan's pinned payoff, all keyed by the root id. An issued tree commits
    /// the obligor's reservation (closes it if the root is no longer outstanding) and delivers its notices, which commit
    /// or settle the rest; a tree whose issuance never completed closes its id for good and gives everything back,
    /// including what only the asker knew it held.
    /// </summary>
    private async Task ResolveIssuance(EntityRef holder)
    {
        if (S.Phase != TreePhase.None && holder.Kind == EntityKind.Obligor && S.ObligorId != holder.Id) return;
        switch (S.Phase)
        {
            case TreePhase.Issued:
                if (holder.Kind == EntityKind.Obligor)
                    await (S.Fragments.Any(f => f.Status.IsLive()) ? GrainFactory.Holder(holder).Commit(RootId) : GrainFactory.Holder(holder).Close(RootId));
                await Outbox.DeliverAsync();
                return;
            case TreePhase.None or TreePhase.Issuing:
                if (S.Phase == TreePhase.None)
                {
                    if (holder.Kind == EntityKind.Obligor) S.ObligorId = holder.Id;
                    if (holder.Kind == EntityKind.Order) S.OrderId = holder.Id;
                }
                await AbortIssuance(Fault.Conflict(Abandoned));
                break;
            case TreePhase.Aborted:
                await Outbox.DeliverAsync();
                break;
        }
        // Never issued, so it repays nothing: a loan that pinned its payoff for this root (perhaps before this tree
        // stored the loan in its intent) may take cash again.
        await (holder.Kind == EntityKind.Loan
            ? GrainFactory.GetGrain<ILoanGrain>(holder.Id).ReleaseSettlement(RootId)
            : GrainFactory.Holder(holder).Release(RootId));
    }

    /// <summary>
    /// A facility's room for a fragment: committed if the funder holds that fragment, closed if it was settled,
    /// released otherwise.
    /// </summary>
    private async Task ResolveDiscount(string facilityId, string fragmentId)
    {
        var facility = GrainFactory.GetGrain<IFacilityGrain>(facilityId);
        switch (S.Phase)
        {
            case TreePhase.None or TreePhase.Issuing:
                // A closed-loop part of an issuance that never completed (or of none at all): abort it, then release.
                await AbortIssuance(Fault.Conflict(Abandoned));
                await facility.Release(fragmentId);
                return;
            case TreePhase.Aborted:
                await Outbox.DeliverAsync();
                await facility.Release(fragmentId);
                return;
        }
        var f = Ledger.Find(fragmentId);
        var held = f is not null && f.FunderHeld && Ids.Facility(f.HolderId, S.ObligorId) == facilityId;
        if (held && f!.Status.IsLive())
        {
            await facility.Commit(fragmentId);
            return;
        }
        if (held && !f!.Status.IsLive())
        {
            await facility.Close(fragmentId);
            return;
        }
        // The discount never took effect: drop its intent, if any, and store that (a stale activation, which might
        // not know of a discount a newer one applied, fails here), then give the room back.
        S.PendingDiscounts.RemoveAll(p => p.FragmentId == fragmentId);
        await Write();
        await facility.Release(fragmentId);
    }
}
