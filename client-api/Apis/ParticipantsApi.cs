using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;

namespace SupplyChain.Api.Apis;

public static class ParticipantsApi
{
    private static readonly Dictionary<string, Role> Kinds = new()
    {
        ["core"] = Role.Core, ["supplier"] = Role.Supplier, ["funder"] = Role.Funder, ["sponsor"] = Role.Sponsor,
    };

    public static RouteGroupBuilder MapParticipantsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/participants", Create).JsonBody<CreateParticipantRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey()
.Produces<CreatedParticipantDto>(201);
        v1.MapGet("/participants/{id}", Get).Produces<ParticipantDto>();
        v1.MapPost("/risk-staff", CreateRiskStaff).JsonBody<CreateRiskStaffRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey()
.Produces<CreatedRiskStaffDto>(201);
        v1.MapPost("/participants/{id}/issuance-limit", SetIssuanceLimit).JsonBody<SetIssuanceLimitRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey()
.Produces<IssuanceDto>();
        v1.MapGet("/participants/{id}/issuance", GetIssuance).AllowRoles(Role.Operator, Role.Risk, Role.Core).Produces<IssuanceDto>();
        return v1;
    }

    private static async Task<ApiResponse> Create(HttpContext http, IGrainFactory grains, IApiKeyStore keys, PlatformTime time)
    {
        var (body, problem) = await Body.ReadAsync<CreateParticipantRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var name = Name(v, body!.Name);
        if (body.Kind is null || !Kinds.TryGetValue(body.Kind, out var role))
        {
            v.Add("kind", "must be one of core, supplier, funder, sponsor");
            role = default;
        }
        if (!v.IsValid) return v.Problem();

        var id = Ids.Participant(http.OperationId());
        var registered = await grains.GetGrain<IParticipantGrain>(id).Register(name, role, null);
        if (!registered.IsOk) return ApiResponse.From(registered.Fault!);
        var apiKey = ApiKeyHash.NewKey();
        await keys.AddAsync(apiKey, new KeyOwner(id, body.Kind!, null), time.UtcNow);
        return ApiResponse.Created($"/v1/participants/{id}", new CreatedParticipantDto(id, name, body.Kind!, apiKey)).WithSecret();
    }

    private static async Task<ApiResponse> CreateRiskStaff(HttpContext http, IGrainFactory grains, IApiKeyStore keys, PlatformTime time)
    {
        var (body, problem) = await Body.ReadAsync<CreateRiskStaffRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var name = Name(v, body!.Name);
        if (body.FunderId is not null && Ids.IsWellFormed(v.Id("funderId", body.FunderId))
            && (await grains.GetGrain<IParticipantGrain>(body.FunderId).Get())?.Role != Role.Funder)
            v.Add("funderId", "must be the id of a funder");
        if (!v.IsValid) return v.Problem();

        var id = Ids.RiskStaff(http.OperationId());
        var registered = await grains.GetGrain<IParticipantGrain>(id).Register(name, Role.Risk, body.FunderId);
        if (!registered.IsOk) return ApiResponse.From(registered.Fault!);
        var apiKey = ApiKeyHash.NewKey();
        await keys.AddAsync(apiKey, new KeyOwner(id, "risk", body.FunderId), time.UtcNow);
        return ApiResponse.Created($"/v1/participants/{id}", new CreatedRiskStaffDto(id, name, body.FunderId, apiKey)).WithSecret();
    }

    private static async Task<ApiResponse> Get(HttpContext http, string id, IGrainFactory grains)
    {
        var caller = http.Caller();
        if (!caller.IsStaff && caller.Id != id) return ApiResponse.NotFound("Participant");
        var p = await grains.GetGrain<IParticipantGrain>(id).Get();
        return p is null ? ApiResponse.NotFound("Participant") : ApiResponse.Ok(ParticipantDto.From(p));
    }

    private static async Task<ApiResponse> SetIssuanceLimit(HttpContext http, string id, IGrainFactory grains)
    {
        var (body, problem) = await Body.ReadAsync<SetIssuanceLimitRequest>(http);
        if (problem is not null) return problem;
        var p = await grains.GetGrain<IParticipantGrain>(id).Get();
        if (p?.Role != Role.Core) return ApiResponse.NotFound("Core enterprise");
        var v = new Validation();
        Money? limit = body!.Limit is null ? null : v.Amount("limit", body.Limit);
        if (!v.IsValid) return v.Problem();
        var position = await grains.GetGrain<IObligorGrain>(id).SetOperatorLimit(limit);
        return ApiResponse.Ok(IssuanceDto.From(id, position));
    }

    private static async Task<ApiResponse> GetIssuance(HttpContext http, string id, IGrainFactory grains, PlatformClock clock)
    {
        var caller = http.Caller();
        if (caller.Role == Role.Core && caller.Id != id) return ApiResponse.NotFound("Participant");
        var p = await grains.GetGrain<IParticipantGrain>(id).Get();
        if (p?.Role != Role.Core) return ApiResponse.NotFound("Core enterprise");
        var position = await grains.GetGrain<IObligorGrain>(id).GetPosition(await clock.TodayAsync());
        return ApiResponse.Ok(IssuanceDto.From(id, position));
    }

    private static string Name(Validation v, string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) v.Add("name", "is required");
        else if (name.Length > 200) v.Add("name", "must be at most 200 characters");
        return name?.Trim() ?? "";
    }
}
