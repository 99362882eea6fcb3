using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Vouchers;

/// <summary>What the tree's fragments are as exposure: positions, and the events that announce their changes.</summary>
public sealed partial class TreeLedger
{
    /// <summary>The exposure a fragment is now: its holder's position if it is live, none otherwise.</summary>
    public static ExposurePosition? Position(FragmentState f) =>
        f.Status.IsLive() ? new(f.HolderId, f.FunderHeld ? "funder" : "supplier", f.Status.Wire(), f.Tier, f.AmountFen) : null;

    /// <summary>
    /// Events for every fragment whose position differs from the one last announced, marking them announced.
    /// Called just before each write, so the events are stored with the change that caused them. Only the fragments the
    /// tree state's change log names (changed or appended since the last call; all of them the first time) are looked at.
    /// </summary>
    public List<ExposureEvent> TakeExposureChanges(long version, DateTimeOffset at, string? operationKind = null, DateOnly? on = null)
    {
        var events = new List<ExposureEvent>();
        var candidates = state.TakeChangedFragments();
        if (ChangeStamps.Verify) VerifyUnchanged(candidates);
        foreach (var f in candidates)
        {
            var now = Position(f);
            if (Equals(now, f.Exposed)) continue;
            // At issuance against a financed order, what the funder receives is the closed loop moving its risk here.
            var kind = operationKind == "issued" && f.FunderHeld ? "closed_loop" : operationKind ?? KindOf(f);
            events.Add(new($"{rootId}:{version}:{f.Id}", rootId, f.Id, state.ObligorId, f.Exposed, now, at, kind, on, state.OrderId));
            f.Exposed = now;
        }
        return events;
    }

    /// <summary>Tests: a fragment the change log did not name has not moved since it was last announced.</summary>
    private void VerifyUnchanged(List<FragmentState> candidates)
    {
        var named = candidates.ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var f in state.Fragments)
            if (!named.Contains(f) && !Equals(Position(f), f.Exposed))
                throw new InvalidOperationException($"Fragment {f.Id} changed its exposure without a change in the tree's log.");
    }

    /// <summary>What the calendar did to a fragment (expiry, overdue, default) when no operation names it.</summary>
    private static string KindOf(FragmentState f) => f.Status switch
    {
        VoucherStatus.Overdue => "overdue",
        VoucherStatus.Defaulted => "defaulted",
        VoucherStatus.Settled => "settled",
        _ => "rejected",
    };
}
