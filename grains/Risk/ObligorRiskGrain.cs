using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Grains.Risk;

/// <summary>
/// Consumes one obligor's exposure stream. Each batch is applied in one SQL statement that inserts the events
/// it has not seen (the event id is the key) and adds only those to the aggregates, so a duplicate or a late
/// event changes nothing; then the producing trees are told, one-way, to stop re-sending.
/// </summary>
[ImplicitStreamSubscription(Exposures.Namespace)]
public sealed class ObligorRiskGrain(
    IExposureStore store,
    IAlertStore alerts,
    PlatformTime time,
    Microsoft.Extensions.Options.IOptions<PlatformRules> rules,
    ILogger<ObligorRiskGrain> logger)
    : Grain, IObligorRiskGrain, IStreamSubscriptionObserver, IAsyncObserver<ExposureBatch>
{
    private long _applied;
    private long _duplicates;

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<ExposureBatch>().ResumeAsync(this);

    public async Task OnNextAsync(ExposureBatch batch, StreamSequenceToken? token = null)
    {
        var added = await store.ApplyAsync(batch.Events.Select(ToRow).ToList());
        _applied += added;
        _duplicates += batch.Events.Count - added;
        // Any change to a funder's holdings can move its concentration: check each funder this batch touched.
        if (added > 0)
            foreach (var funder in batch.Events.SelectMany(e => new[] { e.Before, e.After })
                         .Where(p => p?.HolderRole == "funder").Select(p => p!.HolderId).Distinct())
                await alerts.CheckConcentrationAsync(funder, rules.Value.ConcentrationThreshold, time.UtcNow);
        foreach (var tree in batch.Events.GroupBy(e => e.RootId))
            GrainFactory.GetGrain<IVoucherTreeGrain>(tree.Key).AcknowledgeExposures(tree.Select(e => e.Id).ToList()).Ignore();
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogWarning(ex, "Exposure stream of {ObligorId} reported an error", this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<(long Applied, long Duplicates)> GetCounters() => Task.FromResult((_applied, _duplicates));

    private static ExposureRow ToRow(ExposureEvent e) =>
        new(e.Id, e.RootId, e.InstrumentId, e.ObligorId, ToRow(e.Before), ToRow(e.After), e.At);

    private static PositionRow? ToRow(ExposurePosition? p) =>
        p is null ? null : new PositionRow(p.HolderId, p.HolderRole, p.Status, p.Tier, new Money(p.AmountFen).Yuan);
}
