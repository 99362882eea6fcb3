using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;

namespace SupplyChain.Api.Apis;

public static class FacilitiesApi
{
    public static RouteGroupBuilder MapFacilitiesApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/facilities", Create).JsonBody<CreateFacilityRequest>().AllowRoles(Role.Funder, Role.Operator).RequireIdempotencyKey()
.Produces<FacilityDto>(201);
        v1.MapGet("/facilities/{id}", Get).AllowRoles(Role.Funder, Role.Core, Role.Supplier, Role.Operator, Role.Risk)
            .Produces<FacilityDto>();
        v1.MapPost("/facilities/{id}/limit", SetLimit).JsonBody<SetLimitRequest>().AllowRoles(Role.Funder, Role.Operator).RequireIdempotencyKey()
.Produces<FacilityDto>();
        return v1;
    }

    private static async Task<ApiResponse> Create(HttpContext http, IGrainFactory grains, PlatformClock clock)
    {
        var caller = http.Caller();
        var (body, problem) = await Body.ReadAsync<CreateFacilityRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        var obligorId = v.Id("obligorId", body.ObligorId);
        var limit = v.Amount("limit", body.Limit);
        var rate = v.AnnualRate("annualRate", body.AnnualRate);
        var expiresOn = v.LaterThan("expiresOn", body.ExpiresOn, await clock.TodayAsync());
        if (!v.IsValid) return v.Problem();

        if (caller.Role == Role.Funder && caller.Id != funderId)
            return ApiResponse.Problem(403, FaultCodes.Forbidden, "This role may not do that.", "A funder grants facilities only in its own name.");
        var funder = await grains.GetGrain<IParticipantGrain>(funderId).Get();
        if (funder?.Role != Role.Funder) v.Add("funderId", "must be the id of a funder");
        var obligor = await grains.GetGrain<IParticipantGrain>(obligorId).Get();
        if (obligor?.Role is not (Role.Core or Role.Supplier)) v.Add("obligorId", "must be the id of a core enterprise or a supplier");
        if (!v.IsValid) return v.Problem();

        var id = Ids.Facility(funderId, obligorId);
        var granted = await grains.GetGrain<IFacilityGrain>(id).Grant(new FacilityTerms(funderId, obligorId, limit, rate, expiresOn));
        return granted.IsOk
            ? ApiResponse.Created($"/v1/facilities/{id}", FacilityDto.From(granted.Value!))
            : ApiResponse.From(granted.Fault!);
    }

    private static async Task<ApiResponse> Get(HttpContext http, string id, IGrainFactory grains)
    {
        var facility = await Visible(http.Caller(), id, grains);
        return facility is null ? ApiResponse.NotFound("Facility") : ApiResponse.Ok(FacilityDto.From(facility));
    }

    private static async Task<ApiResponse> SetLimit(HttpContext http, string id, IGrainFactory grains)
    {
        var caller = http.Caller();
        var facility = await Visible(caller, id, grains);
        if (facility is null || (caller.Role == Role.Funder && caller.Id != facility.FunderId)) return ApiResponse.NotFound("Facility");
        var (body, problem) = await Body.ReadAsync<SetLimitRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var limit = v.Amount("limit", body!.Limit);
        if (!v.IsValid) return v.Problem();
        var changed = await grains.GetGrain<IFacilityGrain>(id).SetLimit(limit);
        return changed.IsOk ? ApiResponse.Ok(FacilityDto.From(changed.Value!)) : ApiResponse.From(changed.Fault!);
    }

    /// <summary>Its funder, its obligor, the operator and risk staff (a scoped one: only its funder's) see a facility.</summary>
    private static async Task<Facility?> Visible(Caller caller, string id, IGrainFactory grains)
    {
        var f = await grains.GetGrain<IFacilityGrain>(id).Get();
        if (f is null) return null;
        var sees = caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || caller.FunderScope == f.FunderId,
            _ => caller.Id == f.FunderId || caller.Id == f.ObligorId,
        };
        return sees ? f : null;
    }
}
