using System.Globalization;
using Microsoft.Extensions.Options;
using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Credit;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Api.Apis;

/// <summary>
/// Data-driven credit lines (有信即贷, 随借随还): scores, funders' policies, applications decided at once, lines, draws, and
/// the early-warning signals. The supplier's credit grain decides visibility and every rule of a line.
/// </summary>
public static class CreditApi
{
    public static RouteGroupBuilder MapCreditApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/credit/scores/{supplierId}", Score).AllowRoles(Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<CreditScoreDto>();
        v1.MapPost("/credit/policies", Publish).JsonBody<CreditPolicyRequest>().AllowRoles(Role.Funder).RequireIdempotencyKey().Produces<CreditPolicyDto>(201);
        v1.MapGet("/credit/policies/{funderId}", Policy).AllowRoles(Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<CreditPolicyDto>();
        v1.MapPost("/credit/applications", Apply).JsonBody<CreditApplicationRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
            .Produces<CreditDecisionDto>(201);
        v1.MapGet("/credit/lines/{id}", Line).AllowRoles(Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<CreditLineDto>();
        v1.MapPost("/credit/lines/{id}/draws", Draw).JsonBody<CreditDrawRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<LoanDto>(201);
        v1.MapGet("/risk/signals", Signals).AllowRoles(Role.Risk, Role.Operator).Produces<SignalPageDto>();
        return v1;
    }

    private static async Task<ApiResponse> Score(HttpContext http, string supplierId, IGrainFactory grains)
    {
        if (!Ids.IsParticipant(supplierId) || (await grains.GetGrain<IParticipantGrain>(supplierId).Get())?.Role != Role.Supplier)
            return ApiResponse.NotFound("Supplier");
        var score = await grains.GetGrain<ISupplierCreditGrain>(supplierId).GetScore(http.Caller());
        return score.IsOk ? ApiResponse.Ok(CreditScoreDto.From(score.Value!)) : ApiResponse.From(score.Fault!);
    }

    private static async Task<ApiResponse> Publish(HttpContext http, IGrainFactory grains, IOptions<PlatformRules> rules)
    {
        var caller = http.Caller();
        var (body, problem) = await Body.ReadAsync<CreditPolicyRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        Grade? minGrade = null;
        if (body.MinGrade is null) v.Add("minGrade", "is required");
        else if (body.MinGrade is not ("A" or "B" or "C" or "D")) v.Add("minGrade", "must be one of A, B, C, D");
        else minGrade = Enum.Parse<Grade>(body.MinGrade);
        var rates = new Dictionary<Grade, decimal>();
        if (body.RatesByGrade is null) v.Add("ratesByGrade", "is required");
        else
            foreach (var (grade, rate) in new[] { (Grade.A, body.RatesByGrade.A), (Grade.B, body.RatesByGrade.B), (Grade.C, body.RatesByGrade.C), (Grade.D, body.RatesByGrade.D) })
            {
                if (rate is null)
                {
                    // A grade the policy lends to needs its rate; one below the minimum may be left out.
                    if (minGrade is { } min && grade <= min) v.Add($"ratesByGrade.{grade}", "is required for every grade from A to the minimum grade");
                    continue;
                }
                if (rate <= 0m || rate >= 1m || decimal.Round(rate.Value, 6) != rate) v.Add($"ratesByGrade.{grade}", "must be above 0 and below 1, with at most 6 decimals");
                else rates[grade] = rate.Value;
            }
        var lineShare = v.Required("lineShare", body.LineShare);
        if (body.LineShare is not null && (lineShare <= 0m || lineShare > 1m || decimal.Round(lineShare, 4) != lineShare))
            v.Add("lineShare", "must be above 0 and at most 1, with at most 4 decimals");
        var maxLimit = v.Amount("maxLimit", body.MaxLimit);
        var maxTermDays = v.Required("maxTermDays", body.MaxTermDays);
        if (body.MaxTermDays is not null && (maxTermDays < 1 || maxTermDays > rules.Value.MaxTenorDays))
            v.Add("maxTermDays", $"must be from 1 to {rules.Value.MaxTenorDays}");
        if (!v.IsValid) return v.Problem();
        if (caller.Id != funderId)
            return ApiResponse.Titled(403, FaultCodes.Forbidden, "A funder publishes a credit policy only in its own name.");

        var policy = await grains.GetGrain<ICreditPolicyGrain>(funderId)
            .Publish(http.OperationId(), new PublishPolicy(minGrade!.Value, rates, lineShare, maxLimit, maxTermDays));
        return policy.IsOk
            ? ApiResponse.Created($"/v1/credit/policies/{funderId}", CreditPolicyDto.From(policy.Value!))
            : ApiResponse.From(policy.Fault!);
    }

    private static async Task<ApiResponse> Policy(HttpContext http, string funderId, IGrainFactory grains)
    {
        var policy = Ids.IsParticipant(funderId) ? await grains.GetGrain<ICreditPolicyGrain>(funderId).Current() : null;
        return policy is null ? ApiResponse.NotFound("Credit policy") : ApiResponse.Ok(CreditPolicyDto.From(policy));
    }

    private static async Task<ApiResponse> Apply(HttpContext http, IGrainFactory grains)
    {
        var (body, problem) = await Body.ReadAsync<CreditApplicationRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        if (!v.IsValid) return v.Problem();
        if ((await grains.GetGrain<IParticipantGrain>(funderId).Get())?.Role != Role.Funder)
        {
            v.Add("funderId", "must be the id of a funder");
            return v.Problem();
        }
        var policy = await grains.GetGrain<ICreditPolicyGrain>(funderId).Current();
        if (policy is null) return ApiResponse.From(Fault.InvalidState("The funder has published no credit policy; there is nothing to apply under."));
        var caller = http.Caller();
        var decision = await grains.GetGrain<ISupplierCreditGrain>(caller.Id).Apply(http.OperationId(), policy);
        if (!decision.IsOk) return ApiResponse.From(decision.Fault!);
        var dto = CreditDecisionDto.From(decision.Value!);
        return ApiResponse.Created(dto.Line is { } line ? $"/v1/credit/lines/{line.Id}" : $"/v1/credit/scores/{caller.Id}", dto);
    }

    private static async Task<ApiResponse> Line(HttpContext http, string id, IGrainFactory grains)
    {
        if (Ids.SupplierOfLine(id) is not { } supplierId) return ApiResponse.NotFound("Credit line");
        var line = await grains.GetGrain<ISupplierCreditGrain>(supplierId).GetLine(http.Caller(), id);
        return line.IsOk ? ApiResponse.Ok(CreditLineDto.From(line.Value!)) : ApiResponse.From(line.Fault!);
    }

    private static async Task<ApiResponse> Draw(HttpContext http, string id, IGrainFactory grains)
    {
        var caller = http.Caller();
        if (Ids.SupplierOfLine(id) != caller.Id) return ApiResponse.NotFound("Credit line");
        var (body, problem) = await Body.ReadAsync<CreditDrawRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var amount = v.Amount("amount", body!.Amount);
        var termDays = v.Required("termDays", body.TermDays);
        if (body.TermDays is not null && termDays < 1) v.Add("termDays", "must be at least 1");
        if (!v.IsValid) return v.Problem();

        var loanId = Ids.Loan(http.OperationId());
        var funderId = id[(3 + 22 + 1)..];
        var loan = await grains.GetGrain<ILoanGrain>(loanId)
            .Originate(caller, http.OperationId(), new DrawLoan(EntityRef.CreditLine(id), funderId, amount, termDays));
        return loan.IsOk ? ApiResponse.Created($"/v1/loans/{loanId}", LoanDto.From(loan.Value!)) : ApiResponse.From(loan.Fault!);
    }

    private static async Task<ApiResponse> Signals(HttpContext http, ICreditIndex index, string? after, string? limit)
    {
        var v = new Validation();
        var (cursor, take) = v.Page(after, limit);
        if (!v.IsValid) return v.Problem();
        var caller = http.Caller();
        var rows = await index.SignalsAsync(cursor, take, caller.Role == Role.Risk ? caller.FunderScope : null);
        var items = rows.Select(s => new CreditSignalDto(s.Id, s.ObligorId, s.Kind, s.Evidence, s.RaisedAt, s.ClearedAt)).ToList();
        // The cursor to ask with next time: after the last change listed, or where the caller was when nothing changed.
        return ApiResponse.Ok(new SignalPageDto(items, (rows.Count > 0 ? rows[^1].Seq : cursor).ToString(CultureInfo.InvariantCulture)));
    }
}
