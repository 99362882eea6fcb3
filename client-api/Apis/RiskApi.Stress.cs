using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Pools;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Api.Apis;

/// <summary>
/// The stress test: "if these participants defaulted today", each funder's exposure to them (what the aggregates say it
/// holds of their credit: vouchers, loans, guarantee calls) and what guarantors and pools would recover of it, with
/// contagion (<see cref="StressTest"/>). The waterfall is run over every funder's loans, since groups and pools are
/// shared; staff scoped to a funder then see only that funder's line.
/// </summary>
public static partial class RiskApi
{
    private static async Task<ApiResponse> Stress(HttpContext http, IExposureStore store, ILoanIndex loanIndex, IGrainFactory grains)
    {
        var (body, problem) = await Body.ReadAsync<StressRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        if (body!.DefaultingIds is not { Length: >= 1 and <= 1000 }) v.Add("defaultingIds", "must list 1 to 1000 obligor ids");
        else if (body.DefaultingIds.Any(i => !Ids.IsWellFormed(i))) v.Add("defaultingIds", "contains an id that is not valid");
        if (!v.IsValid) return v.Problem();

        var scope = Scope(http.Caller());
        var defaulting = body.DefaultingIds!.Distinct(StringComparer.Ordinal).ToList();
        var exposure = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var obligorId in defaulting)
            foreach (var b in await store.BucketsAsync(obligorId: obligorId, holderId: scope))
                if (b.HolderRole == "funder") exposure[b.HolderId] = exposure.GetValueOrDefault(b.HolderId) + b.Amount;

        var loans = (await loanIndex.LiveLoansOfAsync(defaulting))
            .Select(l => new StressedLoan(l.Id, l.BorrowerId, l.FunderId, (long)(l.Outstanding * 100m), l.GroupId, l.PoolId)).ToList();
        var groups = new Dictionary<string, StressedGroup>(StringComparer.Ordinal);
        foreach (var groupId in loans.Select(l => l.GroupId).OfType<string>().Distinct())
            if ((await grains.GetGrain<IGuaranteeGroupGrain>(groupId).Get(Caller.Operator)).Value is { } g)
                groups[groupId] = new StressedGroup(groupId, g.Members.Select(m => (m.Id, m.Cap.Fen, m.CapUsed.Fen)).ToList());
        var pools = new Dictionary<string, StressedPool>(StringComparer.Ordinal);
        foreach (var poolId in loans.Select(l => l.PoolId).OfType<string>().Distinct())
            if ((await grains.GetGrain<IRiskPoolGrain>(poolId).Get(Caller.Operator)).Value is { } p)
                pools[poolId] = new StressedPool(poolId, p.Balance.Fen, p.CoverageRatio);
        var recoveries = StressTest.Recover(defaulting, loans, groups, pools).ToDictionary(r => r.FunderId, StringComparer.Ordinal);

        var result = exposure.Keys
            .Select(funderId =>
            {
                var r = recoveries.GetValueOrDefault(funderId);
                var guarantors = new Money(r?.GuarantorFen ?? 0).Yuan;
                var pool = new Money(r?.PoolFen ?? 0).Yuan;
                return new StressLossDto(funderId, exposure[funderId], guarantors, pool, exposure[funderId] - guarantors - pool);
            })
            .OrderByDescending(l => l.NetLoss).ThenBy(l => l.FunderId, StringComparer.Ordinal).ToList();
        return ApiResponse.Ok(new StressDto(result));
    }
}
