using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Pools;

namespace SupplyChain.Api.Apis;

/// <summary>
/// Guarantee groups and risk pools as risk staff see them: the lists from the read models the group and pool grains
/// project, the detail from the grain itself (the source of truth) with its loans from the loans' read model.
/// Staff scoped to a funder, and a funder, see that funder's groups, and only that funder's loans in a pool.
/// </summary>
public static partial class RiskApi
{
    private static async Task<ApiResponse> BookList(HttpContext http, string by, int take, IGroupPoolIndex books)
    {
        if (by == "group")
        {
            var groups = await books.GroupsAsync(Scope(http.Caller()));
            return ApiResponse.Ok(new GroupExposureListDto(groups
                .OrderByDescending(g => g.Outstanding).ThenByDescending(g => g.CapUsed).ThenBy(g => g.Id, StringComparer.Ordinal).Take(take)
                .Select(g => new GroupExposureItemDto("group", g.Id, g.FunderId, g.Status, g.GroupLimit, g.Outstanding, g.CapUsed, g.MemberCap * g.Members))
                .ToList()));
        }
        var pools = await books.PoolsAsync();
        return ApiResponse.Ok(new PoolExposureListDto(pools
            .OrderByDescending(p => p.Covered).ThenBy(p => p.Id, StringComparer.Ordinal).Take(take)
            .Select(p => new PoolExposureItemDto("pool", p.Id, p.Name, p.Status, p.Covered, p.Capacity, p.Balance, p.Floor))
            .ToList()));
    }

    private static async Task<ApiResponse> BookDetail(HttpContext http, string kind, string id, IGrainFactory grains, ILoanIndex loans)
    {
        var caller = http.Caller();
        var scope = Scope(caller);
        if (kind == "group")
        {
            if (!Ids.IsGroup(id)) return ApiResponse.NotFound("Exposure");
            // The group decides who may see it: its funder, operators, risk staff (scoped: their funder's groups); members are not risk staff.
            var found = caller.Role == Role.Supplier ? null : (await grains.GetGrain<IGuaranteeGroupGrain>(id).Get(caller)).Value;
            if (found is not { } group) return ApiResponse.NotFound("Exposure");
            var groupLoans = await loans.BookLoansAsync(groupId: id);
            var owed = groupLoans.Where(l => l.Status != "repaid").ToList();
            return ApiResponse.Ok(new GroupExposureDetailDto("group", id, group.FunderId, group.Status.Wire(), group.GroupLimit.Yuan, group.Outstanding.Yuan,
                group.Members.Sum(m => m.CapUsed.Yuan),
                group.Members.Select(m => new GroupMemberExposureDto(m.Id, m.Cap.Yuan, m.CapUsed.Yuan, owed.Where(l => l.BorrowerId == m.Id).Sum(l => l.Outstanding))).ToList(),
                groupLoans.Select(BookLoan).ToList()));
        }
        if (!Ids.IsPool(id)) return ApiResponse.NotFound("Exposure");
        if ((await grains.GetGrain<IRiskPoolGrain>(id).Get(caller)).Value is not { } pool) return ApiResponse.NotFound("Exposure");
        var poolLoans = (await loans.BookLoansAsync(poolId: id)).Where(l => scope is null || l.FunderId == scope).ToList();
        return ApiResponse.Ok(new PoolExposureDetailDto("pool", id, pool.Name, pool.Status.Wire(), pool.Balance.Yuan, pool.Floor.Yuan, pool.Leverage,
            pool.CoverageRatio, pool.Covered.Yuan, pool.Capacity.Yuan, pool.Contributions.Sum(c => c.Amount.Yuan), pool.Payouts.Sum(p => p.Amount.Yuan),
            poolLoans.Select(BookLoan).ToList()));
    }

    private static BookLoanDto BookLoan(IndexedLoan l) => new(l.Id, l.BorrowerId, l.FunderId, l.Status, l.Outstanding);
}
