using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Grains.Maturity;

public sealed class MaturitySweepGrain(
    PlatformClock clock,
    IVoucherIndex index,
    ILoanIndex loans,
    IGroupPoolIndex groupsAndPools,
    ICreditIndex credit,
    IOptions<PlatformRules> rules,
    ILogger<MaturitySweepGrain> logger) : Grain, IMaturitySweepGrain, IRemindable
{
    public const string Key = "platform";
    private const int Batch = 500;

    public async Task Start() =>
        await this.RegisterOrUpdateReminder("sweep", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    // Ticks may be skipped or repeated: a sweep only asks trees to catch up to today, which is idempotent.
    public async Task ReceiveReminder(string reminderName, TickStatus status) => await Sweep();

    public async Task<int> Sweep()
    {
        // Trees that died between their write and their read model: let them project again.
        var lagging = await index.LaggingRootsAsync(Batch);
        await Each(lagging, r => GrainFactory.GetGrain<IVoucherTreeGrain>(r).Reproject(), "re-project tree");
        if (lagging.Count > 0) logger.LogWarning("{Trees} voucher trees were behind in the read model and projected again", lagging.Count);

        // Trees that have held unacknowledged exposure events for a while (their silo may have died with the
        // events queued): waking them re-sends the events; re-projecting reports how many are still open.
        var unacknowledged = await index.UnacknowledgedRootsAsync(TimeSpan.FromSeconds(30), Batch);
        await Each(unacknowledged, r => GrainFactory.GetGrain<IVoucherTreeGrain>(r).Reproject(), "wake tree");

        // The same for loans.
        var laggingLoans = await loans.LaggingLoansAsync(Batch);
        var unacknowledgedLoans = await loans.UnacknowledgedLoansAsync(TimeSpan.FromSeconds(30), Batch);
        await Each(laggingLoans.Concat(unacknowledgedLoans).Distinct().ToList(), l => GrainFactory.GetGrain<ILoanGrain>(l).Reproject(), "re-project loan");

        // Groups and pools whose read-model row lags their stored state.
        var laggingBooks = await groupsAndPools.LaggingAsync(Batch);
        await Each(laggingBooks.Select(b => $"{b.Kind}:{b.Id}").ToList(), key => key.StartsWith("group:", StringComparison.Ordinal)
            ? GrainFactory.GetGrain<Groups.IGuaranteeGroupGrain>(key["group:".Length..]).Reproject()
            : GrainFactory.GetGrain<Pools.IRiskPoolGrain>(key["pool:".Length..]).Reproject(), "re-project group or pool");

        var today = await clock.TodayAsync();
        var total = 0;
        while (true)
        {
            var roots = await index.DueRootsAsync(today, rules.Value.PendingExpiryDays, rules.Value.DefaultAfterOverdueDays, Batch);
            await Each(roots, r => GrainFactory.GetGrain<IVoucherTreeGrain>(r).CatchUp(), "catch up tree");
            total += roots.Count;
            // A tree whose pending fragment is not yet due by its own clock stays a candidate: stop when a batch
            // made no progress rather than loop on it.
            if (roots.Count < Batch || total > 100_000) break;
            var again = await index.DueRootsAsync(today, rules.Value.PendingExpiryDays, rules.Value.DefaultAfterOverdueDays, Batch);
            if (again.SequenceEqual(roots)) break;
        }
        var loanTotal = 0;
        while (true)
        {
            var due = await loans.DueLoansAsync(today, rules.Value.DefaultAfterOverdueDays, Batch);
            await Each(due, l => GrainFactory.GetGrain<ILoanGrain>(l).CatchUp(), "catch up loan");
            loanTotal += due.Count;
            if (due.Count < Batch || loanTotal > 100_000) break;
            var again = await loans.DueLoansAsync(today, rules.Value.DefaultAfterOverdueDays, Batch);
            if (again.SequenceEqual(due)) break;
        }
        // Once a business day every supplier's credit looks at what the date changes (falling receipts, its cores' standing).
        // One-way: each looks in its own time; one that misses it (a silo died) is asked again on the next tick.
        var profiles = await credit.DueForEvaluationAsync(today, 20_000);
        await Each(profiles, s => GrainFactory.GetGrain<Credit.ISupplierCreditGrain>(s).Reevaluate(), "re-evaluate credit of");
        if (total + loanTotal > 0)
            logger.LogInformation("Maturity sweep for {Today}: {Trees} trees and {Loans} loans asked to catch up", today, total, loanTotal);
        return total + loanTotal;
    }

    /// <summary>
    /// Runs one call per id, all at once; a failure of one (a grain that cannot write just now) is logged and does not
    /// stop the others or the sweep: everything the sweep does is idempotent, and the next tick or touch retries it.
    /// </summary>
    private async Task Each(IReadOnlyList<string> ids, Func<string, Task> call, string what)
    {
        var failed = 0;
        await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                await call(id);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref failed);
                logger.LogWarning(e, "Maturity sweep could not {What} {Id}; the next sweep retries", what, id);
            }
        }));
        if (failed > 0) logger.LogWarning("Maturity sweep: {Failed} of {Count} calls to {What} failed", failed, ids.Count, what);
    }
}
