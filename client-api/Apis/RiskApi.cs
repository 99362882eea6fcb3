using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Risk;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Apis;

/// <summary>
/// What risk staff read: aggregates folded from exposure events (exposure_positions), never the trees one by one,
/// except reconciliation, which recomputes from the trees to check the aggregates. Staff scoped to a funder,
/// and a funder reading its own portfolio, see only positions that funder holds.
/// </summary>
public static partial class RiskApi
{
    public static RouteGroupBuilder MapRiskApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/risk/exposures", Top).AllowRoles(Role.Risk, Role.Operator).Produces<ExposureListDto>();
        v1.MapGet("/risk/exposures/{kind}/{id}", Detail).AllowRoles(Role.Risk, Role.Operator, Role.Funder).Produces<ExposureDetailDto>();
        v1.MapGet("/risk/chains/{coreId}", Chain).AllowRoles(Role.Risk, Role.Operator, Role.Core).Produces<ChainDto>();
        v1.MapPost("/risk/stress", Stress).JsonBody<StressRequest>().AllowRoles(Role.Risk, Role.Operator)
            .RequireIdempotencyKey(optional: true).Produces<StressDto>();
        v1.MapGet("/risk/alerts", Alerts).AllowRoles(Role.Risk, Role.Operator).Produces<AlertPageDto>();
        v1.MapGet("/risk/reconciliation", Reconcile).AllowRoles(Role.Risk, Role.Operator).Produces<ReconciliationDto>();
        return v1;
    }

    /// <summary>The only holder whose positions this caller may see, or null for all.</summary>
    private static string? Scope(Caller caller) => caller.Role switch
    {
        Role.Risk => caller.FunderScope,
        Role.Funder => caller.Id,
        _ => null,
    };

    private static async Task<ApiResponse> Top(HttpContext http, IExposureStore store, IGroupPoolIndex books, string? by, string? top)
    {
        var v = new Validation();
        if (by is not ("obligor" or "funder" or "group" or "pool")) v.Add("by", "must be one of obligor, funder, group, pool");
        var take = 10;
        if (top is not null && !(int.TryParse(top, System.Globalization.NumberStyles.None, null, out take) && take is >= 1 and <= 100))
            v.Add("top", "must be a whole number between 1 and 100");
        if (!v.IsValid) return v.Problem();

        if (by is "group" or "pool") return await BookList(http, by, take, books);
        var buckets = await store.BucketsAsync(holderId: Scope(http.Caller()));
        var items = (by == "obligor"
                ? buckets.GroupBy(b => b.ObligorId)
                : buckets.Where(b => b.HolderRole == "funder").GroupBy(b => b.HolderId))
            .Select(g => new ExposureItemDto(by!, g.Key, g.Sum(b => b.Amount),
                g.Where(b => b.HolderRole == "funder").Sum(b => b.Amount), g.Where(b => b.HolderRole == "supplier").Sum(b => b.Amount)))
            .Where(i => i.Amount != 0)
            .OrderByDescending(i => i.Amount).ThenBy(i => i.Id, StringComparer.Ordinal)
            .Take(take).ToList();
        return ApiResponse.Ok(new ExposureListDto(items));
    }

    private static async Task<ApiResponse> Detail(HttpContext http, string kind, string id, IExposureStore store, IGrainFactory grains, ILoanIndex loans)
    {
        var caller = http.Caller();
        var scope = Scope(caller);
        if (kind is "group" or "pool") return await BookDetail(http, kind, id, grains, loans);
        if (kind is not ("obligor" or "funder")) return ApiResponse.NotFound("Exposure");
        if (caller.Role == Role.Funder && (kind != "funder" || id != caller.Id)) return ApiResponse.NotFound("Exposure");
        if (kind == "funder" && scope is not null && scope != id) return ApiResponse.NotFound("Exposure");
        var participant = await grains.GetGrain<IParticipantGrain>(id).Get();
        if (participant is null || (kind == "funder" && participant.Role != Role.Funder)) return ApiResponse.NotFound("Exposure");

        var buckets = kind == "obligor"
            ? await store.BucketsAsync(obligorId: id, holderId: scope)
            : (await store.BucketsAsync(holderId: id)).Where(b => b.HolderRole == "funder").ToList();
        var total = buckets.Sum(b => b.Amount);
        var counterparties = (kind == "obligor"
                ? buckets.GroupBy(b => (b.HolderId, b.HolderRole))
                : buckets.GroupBy(b => (HolderId: b.ObligorId, HolderRole: "obligor")))
            .Select(g => new CounterpartyDto(g.Key.HolderId, g.Key.HolderRole, g.Sum(b => b.Amount)))
            .OrderByDescending(c => c.Amount).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();

        List<FacilityUsageDto>? facilities = null;
        decimal? concentration = null;
        if (kind == "funder")
        {
            facilities = [];
            foreach (var obligorId in counterparties.Select(c => c.Id))
                if (await grains.GetGrain<IFacilityGrain>(Ids.Facility(id, obligorId)).Get() is { } f)
                    facilities.Add(new FacilityUsageDto(f.Id, f.ObligorId, f.Limit.Yuan, f.Used.Yuan));
            concentration = total == 0 ? 0m : decimal.Round(counterparties.Max(c => c.Amount) / total, 4, MidpointRounding.AwayFromZero);
        }
        return ApiResponse.Ok(new ExposureDetailDto(kind, id, total,
            Sum(buckets, b => b.Status), Sum(buckets, b => b.Tier.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Sum(buckets, b => b.HolderRole), counterparties, facilities, concentration));
    }

    private static async Task<ApiResponse> Chain(HttpContext http, string coreId, IExposureStore store, IGrainFactory grains)
    {
        var caller = http.Caller();
        if (caller.Role == Role.Core && caller.Id != coreId) return ApiResponse.NotFound("Chain");
        if ((await grains.GetGrain<IParticipantGrain>(coreId).Get())?.Role != Role.Core) return ApiResponse.NotFound("Chain");
        var buckets = await store.BucketsAsync(obligorId: coreId, holderId: Scope(caller));
        var tiers = buckets.GroupBy(b => b.Tier).OrderBy(g => g.Key)
            .Select(g => new ChainTierDto(g.Key, g.Sum(b => b.Amount),
                g.GroupBy(b => (b.HolderId, b.HolderRole))
                    .Select(h => new ChainHolderDto(h.Key.HolderId, h.Key.HolderRole, h.Sum(b => b.Amount)))
                    .OrderByDescending(h => h.Amount).ThenBy(h => h.HolderId, StringComparer.Ordinal).ToList()))
            .ToList();
        return ApiResponse.Ok(new ChainDto(coreId, buckets.Sum(b => b.Amount),
            buckets.Where(b => b.HolderRole == "funder").Sum(b => b.Amount), buckets.Where(b => b.HolderRole == "supplier").Sum(b => b.Amount), tiers));
    }

    private static async Task<ApiResponse> Alerts(HttpContext http, IAlertStore store, string? after, string? limit)
    {
        var v = new Validation();
        var (cursor, take) = v.Page(after, limit);
        if (!v.IsValid) return v.Problem();
        var rows = await store.ListAsync(cursor, take, Scope(http.Caller()));
        var items = rows.Select(a => new AlertDto(a.Id, a.Kind, a.SubjectId, a.FunderId, a.ObligorId, a.Detail, a.RaisedAt)).ToList();
        return ApiResponse.Ok(new AlertPageDto(items,
            items.Count == take ? items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private static Dictionary<string, decimal> Sum(IEnumerable<ExposureBucket> buckets, Func<ExposureBucket, string> key) =>
        buckets.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(b => b.Amount));
}
