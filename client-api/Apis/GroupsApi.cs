using Microsoft.Extensions.Options;
using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Api.Apis;

/// <summary>Joint-guarantee groups (联贷联保) and the loans their members draw. The group grain decides visibility and the rules of lending.</summary>
public static class GroupsApi
{
    public static RouteGroupBuilder MapGroupsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/guarantee-groups", Form).JsonBody<FormGroupRequest>().AllowRoles(Role.Funder, Role.Operator).RequireIdempotencyKey()
            .Produces<GuaranteeGroupDto>(201);
        v1.MapPost("/guarantee-groups/{id}/consent", Consent).AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<GuaranteeGroupDto>();
        v1.MapPost("/guarantee-groups/{id}/loans", Borrow).JsonBody<GroupLoanRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
            .Produces<LoanDto>(201);
        v1.MapGet("/guarantee-groups/{id}", Get).AllowRoles(Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<GuaranteeGroupDto>();
        return v1;
    }

    private static async Task<ApiResponse> Form(HttpContext http, IGrainFactory grains, PlatformClock clock, IOptions<PlatformRules> rules)
    {
        var caller = http.Caller();
        var (body, problem) = await Body.ReadAsync<FormGroupRequest>(http);
        if (problem is not null) return problem;
        var r = rules.Value;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        var memberIds = new List<string>();
        if (body.MemberIds is null) v.Add("memberIds", "is required");
        else if (body.MemberIds.Length < r.MinGroupMembers || body.MemberIds.Length > r.MaxGroupMembers)
            v.Add("memberIds", $"must name from {r.MinGroupMembers} to {r.MaxGroupMembers} suppliers");
        else
        {
            memberIds = body.MemberIds.Select((id, i) => v.Id($"memberIds[{i}]", id)).ToList();
            if (memberIds.Distinct(StringComparer.Ordinal).Count() != memberIds.Count) v.Add("memberIds", "must not name a member twice");
        }
        var groupLimit = v.Amount("groupLimit", body.GroupLimit);
        var memberCap = v.Amount("memberCap", body.MemberCap);
        var rate = v.AnnualRate("annualRate", body.AnnualRate);
        var expiresOn = v.LaterThan("expiresOn", body.ExpiresOn, await clock.TodayAsync());
        if (!v.IsValid) return v.Problem();

        if (caller.Role == Role.Funder && caller.Id != funderId)
            return ApiResponse.Problem(403, FaultCodes.Forbidden, "This role may not do that.", "A funder sets up guarantee groups only in its own name.");
        var funder = await grains.GetGrain<IParticipantGrain>(funderId).Get();
        if (funder?.Role != Role.Funder) v.Add("funderId", "must be the id of a funder");
        for (var i = 0; i < memberIds.Count; i++)
            if ((await grains.GetGrain<IParticipantGrain>(memberIds[i]).Get())?.Role != Role.Supplier)
                v.Add($"memberIds[{i}]", "must be the id of a supplier");
        if (!v.IsValid) return v.Problem();

        var id = Ids.Group(http.OperationId());
        var formed = await grains.GetGrain<IGuaranteeGroupGrain>(id)
            .Form(caller, http.OperationId(), new FormGroup(funderId, memberIds, groupLimit, memberCap, rate, expiresOn));
        return formed.IsOk ? ApiResponse.Created($"/v1/guarantee-groups/{id}", GuaranteeGroupDto.From(formed.Value!)) : ApiResponse.From(formed.Fault!);
    }

    private static async Task<ApiResponse> Consent(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsGroup(id)) return ApiResponse.NotFound("Guarantee group");
        if (await Body.RequireNoneAsync(http) is { } problem) return problem;
        var group = await grains.GetGrain<IGuaranteeGroupGrain>(id).Consent(http.Caller());
        return group.IsOk ? ApiResponse.Ok(GuaranteeGroupDto.From(group.Value!)) : ApiResponse.From(group.Fault!);
    }

    private static async Task<ApiResponse> Borrow(HttpContext http, string id, IGrainFactory grains, IOptions<PlatformRules> rules)
    {
        if (!Ids.IsGroup(id)) return ApiResponse.NotFound("Guarantee group");
        var (body, problem) = await Body.ReadAsync<GroupLoanRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var amount = v.Amount("amount", body!.Amount);
        var termDays = v.Required("termDays", body.TermDays);
        if (body.TermDays is not null && (termDays < 1 || termDays > rules.Value.MaxGroupLoanTermDays))
            v.Add("termDays", $"must be from 1 to {rules.Value.MaxGroupLoanTermDays}");
        if (!v.IsValid) return v.Problem();

        var loanId = Ids.Loan(http.OperationId());
        var loan = await grains.GetGrain<ILoanGrain>(loanId)
            .Originate(http.Caller(), http.OperationId(), new DrawLoan(EntityRef.Group(id), null, amount, termDays));
        return loan.IsOk ? ApiResponse.Created($"/v1/loans/{loanId}", LoanDto.From(loan.Value!)) : ApiResponse.From(loan.Fault!);
    }

    private static async Task<ApiResponse> Get(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsGroup(id)) return ApiResponse.NotFound("Guarantee group");
        var group = await grains.GetGrain<IGuaranteeGroupGrain>(id).Get(http.Caller());
        return group.IsOk ? ApiResponse.Ok(GuaranteeGroupDto.From(group.Value!)) : ApiResponse.From(group.Fault!);
    }
}
