using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// What the tree shows the outside: its read model rows, its positions for reconciliation, and the producer side of
/// exposure events. Events are stored with the change that caused them and sent on the
/// obligor's stream by the durable outbox, re-sent while unacknowledged (memory streams lose what is queued when a
/// silo dies), and dropped once the obligor's risk grain acknowledges them.
/// </summary>
public sealed partial class VoucherTreeGrain
{
    public Task AcknowledgeExposures(IReadOnlyList<string> eventIds)
    {
        Outbox.Acknowledge(eventIds);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<HeldPosition>> GetPositions() =>
        Task.FromResult<IReadOnlyList<HeldPosition>>(S.Phase != TreePhase.Issued
            ? []
            : S.Fragments.Select(TreeLedger.Position).OfType<ExposurePosition>().Select(p => new HeldPosition(S.ObligorId, p)).ToList());

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        Outbox.OnDeactivateAsync(reason, () => Write());

    public async Task Reproject()
    {
        ForgetProjection();
        await ProjectChanges();
    }

    private void ForgetProjection()
    {
        _projected.Clear();
        _projectedUpTo = 0;
    }

    /// <summary>
    /// Writes the fragments that changed since this activation last projected (all of them after activation): only
    /// fragments stamped since then are looked at.
    /// </summary>
    private async Task ProjectChanges()
    {
        var projection = PendingProjection();
        await index.UpsertAsync(RootId, projection.Changed, S.Version, Outbox.Pending);
        Projected(projection);
    }

    /// <summary>
    /// The next write carries the read model's rows in its own statement (one round trip, and the read model commits with
    /// the tree or not at all). When they did not ride along (an index that cannot be written that way, or a storage that
    /// did not take them) they are written after the write, as a separate unit.
    /// </summary>
    private async Task WriteWithProjection()
    {
        var projection = PendingProjection();
        var alongside = index.UpsertAlongside(RootId, projection.Changed, S.Version, Outbox.Pending);
        S.WriteAlongside(alongside);
        bool carried;
        try
        {
            await state.WriteOrDeactivateAsync(this);
        }
        finally
        {
            carried = alongside is not null && S.TakeAlongside() is null;
        }
        if (!carried) await index.UpsertAsync(RootId, projection.Changed, S.Version, Outbox.Pending);
        Projected(projection);
    }

    private sealed record Projection(List<IndexedFragment> Changed, long Mark);

    private Projection PendingProjection()
    {
        var mark = ChangeStamps.Current;
        var changed = new List<IndexedFragment>();
        foreach (var f in S.Fragments)
        {
            var stamped = f.ChangeStamp() > _projectedUpTo;
            if (!stamped && !ChangeStamps.Verify) continue;
            var row = new IndexedFragment(f.Id, RootId, f.ParentId, S.ObligorId, f.HolderId, f.SenderId, new Money(f.AmountFen).Yuan,
                f.IssueDate, S.MaturityDate, f.Tier, f.Status.Wire(), S.OrderId);
            if (_projected.TryGetValue(f.Id, out var last) && last == row) continue;
            if (!stamped) throw new InvalidOperationException($"Fragment {f.Id} changed its read-model row without a change stamp.");
            changed.Add(row);
        }
        return new Projection(changed, mark);
    }

    private void Projected(Projection projection)
    {
        foreach (var f in projection.Changed) _projected[f.Id] = f;
        _projectedUpTo = projection.Mark;
    }
}
