using Microsoft.Extensions.Options;
using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Pools;

namespace SupplyChain.Api.Apis;

/// <summary>Risk pools (风险池): set up and funded by the operator, loans enrolled by their funders. The grains decide the rules.</summary>
public static class RiskPoolsApi
{
    public static RouteGroupBuilder MapRiskPoolsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/risk-pools", Create).JsonBody<CreatePoolRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey().Produces<RiskPoolDto>(201);
        v1.MapPost("/risk-pools/{id}/contributions", Contribute).JsonBody<ContributeRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey()
            .Produces<RiskPoolDto>();
        v1.MapPost("/risk-pools/{id}/enrollments", Enroll).JsonBody<EnrollRequest>().AllowRoles(Role.Funder).RequireIdempotencyKey()
            .Produces<RiskPoolDto>();
        v1.MapGet("/risk-pools/{id}", Get).AllowRoles(Role.Operator, Role.Risk, Role.Sponsor, Role.Funder, Role.Core).Produces<RiskPoolDto>();
        return v1;
    }

    private static async Task<ApiResponse> Create(HttpContext http, IGrainFactory grains, IOptions<PlatformRules> rules)
    {
        var (body, problem) = await Body.ReadAsync<CreatePoolRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var name = body!.Name?.Trim() ?? "";
        if (name.Length == 0) v.Add("name", "is required");
        else if (name.Length > rules.Value.MaxReferenceLength) v.Add("name", $"must be at most {rules.Value.MaxReferenceLength} characters");
        else if (name.Any(char.IsControl)) v.Add("name", "must not contain control characters");
        var leverage = v.Required("leverage", body.Leverage);
        if (body.Leverage is not null && (leverage <= 0m || leverage > 100m || decimal.Round(leverage, 4) != leverage))
            v.Add("leverage", "must be above 0 and at most 100, with at most 4 decimals");
        var coverage = v.Required("coverageRatio", body.CoverageRatio);
        if (body.CoverageRatio is not null && (coverage <= 0m || coverage > 1m || decimal.Round(coverage, 4) != coverage))
            v.Add("coverageRatio", "must be above 0 and at most 1, with at most 4 decimals");
        var floor = Money.Zero;
        if (body.Floor is null) v.Add("floor", "is required");
        else if (body.Floor != 0m) floor = v.Amount("floor", body.Floor);
        if (!v.IsValid) return v.Problem();

        var id = Ids.Pool(http.OperationId());
        var created = await grains.GetGrain<IRiskPoolGrain>(id).Create(http.OperationId(), new CreatePool(name, leverage, coverage, floor));
        return created.IsOk ? ApiResponse.Created($"/v1/risk-pools/{id}", RiskPoolDto.From(created.Value!)) : ApiResponse.From(created.Fault!);
    }

    private static async Task<ApiResponse> Contribute(HttpContext http, string id, IGrainFactory grains, PlatformClock clock)
    {
        if (!Ids.IsPool(id)) return ApiResponse.NotFound("Risk pool");
        var (body, problem) = await Body.ReadAsync<ContributeRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var contributorId = v.Id("contributorId", body!.ContributorId);
        var amount = v.Amount("amount", body.Amount);
        if (!v.IsValid) return v.Problem();
        var contributor = await grains.GetGrain<IParticipantGrain>(contributorId).Get();
        if (contributor?.Role is not (Role.Sponsor or Role.Funder or Role.Core)) v.Add("contributorId", "must be the id of a sponsor, a funder or a core enterprise");
        if (!v.IsValid) return v.Problem();
        var pool = await grains.GetGrain<IRiskPoolGrain>(id).Contribute(http.OperationId(), contributorId, amount, await clock.TodayAsync());
        return pool.IsOk ? ApiResponse.Ok(RiskPoolDto.From(pool.Value!)) : ApiResponse.From(pool.Fault!);
    }

    private static async Task<ApiResponse> Enroll(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsPool(id)) return ApiResponse.NotFound("Risk pool");
        var (body, problem) = await Body.ReadAsync<EnrollRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var loanId = v.Id("loanId", body!.LoanId);
        if (!v.IsValid) return v.Problem();
        if (!Ids.IsLoan(loanId)) return ApiResponse.NotFound("Loan");
        var enrolled = await grains.GetGrain<ILoanGrain>(loanId).Enroll(http.Caller(), http.OperationId(), id);
        if (!enrolled.IsOk) return ApiResponse.From(enrolled.Fault!);
        var pool = await grains.GetGrain<IRiskPoolGrain>(id).Get(http.Caller());
        return pool.IsOk ? ApiResponse.Ok(RiskPoolDto.From(pool.Value!)) : ApiResponse.From(pool.Fault!);
    }

    private static async Task<ApiResponse> Get(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsPool(id)) return ApiResponse.NotFound("Risk pool");
        var pool = await grains.GetGrain<IRiskPoolGrain>(id).Get(http.Caller());
        return pool.IsOk ? ApiResponse.Ok(RiskPoolDto.From(pool.Value!)) : ApiResponse.From(pool.Fault!);
    }
}
