using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Pools;
using SupplyChain.Grains.Risk;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Apis;

/// <summary>
/// Reconciliation: the streamed aggregates against a recomputation from the producers (voucher trees and loans, each
/// asked what it holds now, guarantee calls included), and the group and pool read models against their grains and
/// their loans: a group's outstanding is what its loans owe and its capUsed what they called; a pool's covered is what
/// its live enrolled loans owe, and its balance is contributions − payouts.
/// </summary>
public static partial class RiskApi
{
    private static async Task<ApiResponse> Reconcile(HttpContext http, IExposureStore store, IVoucherIndex index, ILoanIndex loanIndex,
        IGroupPoolIndex books, ICreditIndex credit, IGrainFactory grains, PlatformTime time)
    {
        var scope = Scope(http.Caller());
        var recomputed = new Dictionary<(string, string, string, string, int), decimal>();

        // Walks every producer of exposure (trees, then loans) page by page and adds up what each says it holds now.
        async Task<int> Recompute(Func<string?, Task<IReadOnlyList<string>>> page, Func<string, Task<IReadOnlyList<HeldPosition>>> positions)
        {
            var count = 0;
            string? after = null;
            while (true)
            {
                var ids = await page(after);
                if (ids.Count == 0) return count;
                foreach (var (id, held) in ids.Zip(await Task.WhenAll(ids.Select(positions))))
                    foreach (var (obligorId, p) in held)
                    {
                        if (scope is not null && p.HolderId != scope) continue;
                        var key = (obligorId, p.HolderId, p.HolderRole, p.Status, p.Tier);
                        recomputed[key] = recomputed.GetValueOrDefault(key) + new Money(p.AmountFen).Yuan;
                    }
                count += ids.Count;
                after = ids[^1];
            }
        }
        var trees = await Recompute(after => index.RootsAsync(after, 200), r => grains.GetGrain<IVoucherTreeGrain>(r).GetPositions());
        var loans = await Recompute(after => loanIndex.LoansAsync(after, 200), l => grains.GetGrain<ILoanGrain>(l).GetPositions());
        var streamed = (await store.BucketsAsync(holderId: scope))
            .ToDictionary(b => (b.ObligorId, b.HolderId, b.HolderRole, b.Status, b.Tier), b => b.Amount);
        var differences = streamed.Keys.Union(recomputed.Keys)
            .Select(k => new ReconciliationDifferenceDto(k.Item1, k.Item2, k.Item3, k.Item4, k.Item5,
                streamed.GetValueOrDefault(k), recomputed.GetValueOrDefault(k)))
            .Where(d => d.Streamed != d.Recomputed)
            .OrderBy(d => d.ObligorId, StringComparer.Ordinal).ThenBy(d => d.HolderId, StringComparer.Ordinal).ToList();

        var (groups, pools, lines, bookDifferences) = await ReconcileBooks(scope, loanIndex, books, credit, grains);
        return ApiResponse.Ok(new ReconciliationDto(differences.Count == 0 && bookDifferences.Count == 0, time.UtcNow, trees, loans, differences,
            groups, pools, bookDifferences, lines));
    }

    private static async Task<(int Groups, int Pools, int Lines, List<BookDifferenceDto> Differences)> ReconcileBooks(string? scope, ILoanIndex loanIndex,
        IGroupPoolIndex books, ICreditIndex credit, IGrainFactory grains)
    {
        var differences = new List<BookDifferenceDto>();
        void Check(string kind, string id, string figure, decimal projected, decimal recomputed)
        {
            if (projected != recomputed) differences.Add(new BookDifferenceDto(kind, id, figure, projected, recomputed));
        }

        var bookLoans = await loanIndex.BookLoansAsync();
        var groups = await books.GroupsAsync(scope);
        foreach (var g in groups)
        {
            var mine = bookLoans.Where(l => l.GroupId == g.Id).ToList();
            Check("group", g.Id, "outstanding", g.Outstanding, mine.Where(l => l.Status != "repaid").Sum(l => l.Outstanding));
            // What its defaulted loans called (paid or not: a paid call still spent the cap), as each loan's waterfall says.
            var called = 0m;
            foreach (var l in mine.Where(l => l.Status is "defaulted" or "repaid"))
                if ((await grains.GetGrain<ILoanGrain>(l.Id).Get(Caller.Operator)).Value?.Waterfall is { } w) called += w.GuarantorCalls.Sum(c => c.Amount.Yuan);
            Check("group", g.Id, "capUsed", g.CapUsed, called);
        }
        // Pools are shared by funders: only unscoped staff reconcile them.
        var pools = scope is null ? await books.PoolsAsync() : [];
        foreach (var p in pools)
        {
            Check("pool", p.Id, "covered", p.Covered, bookLoans.Where(l => l.PoolId == p.Id && l.Status is "active" or "overdue").Sum(l => l.Outstanding));
            if ((await grains.GetGrain<IRiskPoolGrain>(p.Id).Get(Caller.Operator)).Value is { } pool)
                Check("pool", p.Id, "balance", p.Balance, pool.Contributions.Sum(c => c.Amount.Yuan) - pool.Payouts.Sum(x => x.Amount.Yuan));
        }
        // A credit line's usage is what its draws owe (a scoped desk: its funder's lines).
        var lines = await credit.LinesAsync(scope);
        foreach (var line in lines)
            Check("creditLine", line.Id, "used", line.Used, bookLoans.Where(l => l.CreditLineId == line.Id && l.Status != "repaid").Sum(l => l.Outstanding));
        return (groups.Count, pools.Count, lines.Count, differences);
    }
}
