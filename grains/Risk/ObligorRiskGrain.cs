using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Credit;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Risk;

/// <summary>
/// Consumes one obligor's exposure stream. Events are applied in one SQL statement that inserts those it has not
/// seen (the event id is the key) and adds only those to the aggregates, so a duplicate or a late event changes
/// nothing; then the producing trees are told, one-way, to stop re-sending.
/// Batches that arrive while an apply is running are buffered and applied together in the next one: nothing is
/// lost if this activation dies with a buffer, because the trees keep every event until acknowledged.
/// </summary>
[ImplicitStreamSubscription(Exposures.Namespace)]
public sealed class ObligorRiskGrain(
    IExposureStore store,
    IAlertStore alerts,
    ICreditIndex credit,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    ILogger<ObligorRiskGrain> logger)
    : Grain, IObligorRiskGrain, IStreamSubscriptionObserver, IAsyncObserver<ExposureBatch>
{
    private readonly List<(ExposureEvent Event, EntityRef Producer)> _buffer = new();
    private Task? _flushing;
    private long _applied;
    private long _duplicates;
    private readonly HashSet<string> _concentrationToCheck = new();

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<ExposureBatch>().ResumeAsync(this);

    public Task OnNextAsync(ExposureBatch batch, StreamSequenceToken? token = null)
    {
        _buffer.AddRange(batch.Events.Select(e => (e, batch.Producer)));
        // Flush may finish synchronously, so test for completion rather than rely on it clearing a field.
        if (_flushing is null || _flushing.IsCompleted) _flushing = Flush();
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogWarning(ex, "Exposure stream of {ObligorId} reported an error", this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<(long Applied, long Duplicates)> GetCounters() => Task.FromResult((_applied, _duplicates));

    private async Task Flush()
    {
        while (_buffer.Count > 0)
        {
            var received = _buffer.ToList();
            _buffer.Clear();
            var events = received.Select(r => r.Event).ToList();
            int added;
            try
            {
                added = await store.ApplyAsync(events.Select(ToRow).ToList());
            }
            catch (Exception e)
            {
                // Not acknowledged, so the trees send these again.
                logger.LogWarning(e, "Could not apply {Count} exposure events of {ObligorId}; they will be re-sent", events.Count, this.GetPrimaryKeyString());
                continue;
            }
            _applied += added;
            _duplicates += events.Count - added;
            // Any change to a funder's holdings can move its concentration: each funder these events touched is checked,
            // and stays to be checked until a check succeeds (their re-sent events would be duplicates, and check nothing).
            if (added > 0)
                foreach (var funder in events.SelectMany(e => new[] { e.Before, e.After }).Where(p => p?.HolderRole == "funder"))
                    _concentrationToCheck.Add(funder!.HolderId);
            try
            {
                foreach (var funder in _concentrationToCheck.ToList())
                {
                    await alerts.CheckConcentrationAsync(funder, rules.Value.ConcentrationThreshold, time.UtcNow);
                    _concentrationToCheck.Remove(funder);
                }
                // Suppliers' credit profiles are kept from the same events: each is told before the producers stop re-sending,
                // and ignores what it has seen, so a failure here only means the events come again.
                await InformSuppliers(events);
                Acknowledge(received);
                if (events.Any(CreditProfile.ChangesCoreStanding)) await AskSuppliersToLookAgain();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Applied {Count} exposure events of {ObligorId} but could not finish checking concentration or acknowledging; " +
                                     "unacknowledged events are re-sent and ignored as duplicates", events.Count, this.GetPrimaryKeyString());
            }
        }
    }

    /// <summary>The events a supplier's credit depends on: vouchers it accepted, its loans, the guarantee calls it owes; grouped by supplier.</summary>
    private async Task InformSuppliers(List<ExposureEvent> events)
    {
        foreach (var supplier in events.Select(e => (Supplier: CreditProfile.SupplierConcerned(e), Event: e)).Where(x => x.Supplier is not null).GroupBy(x => x.Supplier!))
            await GrainFactory.GetGrain<ISupplierCreditGrain>(supplier.Key).Observe(supplier.Select(x => x.Event).ToList());
    }

    /// <summary>Its suppliers' early warning looks again; one-way and best effort: the sweep also wakes every profile once a business day.</summary>
    private async Task AskSuppliersToLookAgain()
    {
        try
        {
            foreach (var supplier in await credit.SuppliersOfAsync(this.GetPrimaryKeyString()))
                GrainFactory.GetGrain<ISupplierCreditGrain>(supplier).Reevaluate().Ignore();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not ask the suppliers of {ObligorId} to look at its standing again; the daily sweep will", this.GetPrimaryKeyString());
        }
    }

    /// <summary>Tells each producer, by the reference its batch carried, one-way, to stop re-sending what was applied.</summary>
    private void Acknowledge(List<(ExposureEvent Event, EntityRef Producer)> received)
    {
        foreach (var producer in received.GroupBy(r => r.Producer))
            GrainFactory.Producer(producer.Key).AcknowledgeExposures(producer.Select(r => r.Event.Id).Distinct().ToList()).Ignore();
    }

    private static ExposureRow ToRow(ExposureEvent e) =>
        new(e.Id, e.RootId, e.InstrumentId, e.ObligorId, ToRow(e.Before), ToRow(e.After), e.At, e.Kind);

    private static PositionRow? ToRow(ExposurePosition? p) =>
        p is null ? null : new PositionRow(p.HolderId, p.HolderRole, p.Status, p.Tier, new Money(p.AmountFen).Yuan);
}
