using Microsoft.Extensions.Options;
using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Api.Apis;

/// <summary>Orders and the loans drawn against them (order financing). The grains decide visibility and every rule.</summary>
public static class LendingApi
{
    public static RouteGroupBuilder MapLendingApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/orders", Place).JsonBody<PlaceOrderRequest>().AllowRoles(Role.Core).RequireIdempotencyKey().Produces<OrderDto>(201);
        v1.MapGet("/orders/{id}", GetOrder).AllowRoles(Role.Core, Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<OrderDto>();
        // Cancelling moves no value; a key is honoured when given, not required.
        v1.MapPost("/orders/{id}/cancel", Cancel).AllowRoles(Role.Core).RequireIdempotencyKey(optional: true).Produces<OrderDto>();
        v1.MapPost("/orders/{id}/financing", Finance).JsonBody<FinanceOrderRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
            .Produces<LoanDto>(201);
        v1.MapGet("/loans/{id}", GetLoan).AllowRoles(Role.Supplier, Role.Funder, Role.Operator, Role.Risk).Produces<LoanDto>();
        v1.MapPost("/loans/{id}/repay", Repay).JsonBody<RepayLoanRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<LoanDto>();
        v1.MapPost("/loans/{id}/calls/pay", PayCall).JsonBody<RepayLoanRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<LoanDto>();
        return v1;
    }

    private static async Task<ApiResponse> Place(HttpContext http, IGrainFactory grains, IOptions<PlatformRules> rules)
    {
        var (body, problem) = await Body.ReadAsync<PlaceOrderRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var supplierId = v.Id("supplierId", body!.SupplierId);
        var amount = v.Amount("amount", body.Amount);
        var paymentDate = v.Required("paymentDate", body.PaymentDate);
        var reference = body.Reference?.Trim() ?? "";
        if (reference.Length == 0) v.Add("reference", "is required");
        else if (reference.Length > rules.Value.MaxReferenceLength) v.Add("reference", $"must be at most {rules.Value.MaxReferenceLength} characters");
        else if (reference.Any(char.IsControl)) v.Add("reference", "must not contain control characters");
        if (!v.IsValid) return v.Problem();

        var id = Ids.Order(http.OperationId());
        var placed = await grains.GetGrain<IOrderGrain>(id)
            .Place(http.Caller(), http.OperationId(), new PlaceOrder(supplierId, amount, paymentDate, reference));
        return placed.IsOk ? ApiResponse.Created($"/v1/orders/{id}", OrderDto.From(placed.Value!)) : ApiResponse.From(placed.Fault!);
    }

    private static async Task<ApiResponse> GetOrder(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsOrder(id)) return ApiResponse.NotFound("Order");
        var order = await grains.GetGrain<IOrderGrain>(id).Get(http.Caller());
        return order.IsOk ? ApiResponse.Ok(OrderDto.From(order.Value!)) : ApiResponse.From(order.Fault!);
    }

    private static async Task<ApiResponse> Cancel(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsOrder(id)) return ApiResponse.NotFound("Order");
        if (await Body.RequireNoneAsync(http) is { } problem) return problem;
        var order = await grains.GetGrain<IOrderGrain>(id).Cancel(http.Caller(), http.OperationId());
        return order.IsOk ? ApiResponse.Ok(OrderDto.From(order.Value!)) : ApiResponse.From(order.Fault!);
    }

    private static async Task<ApiResponse> Finance(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsOrder(id)) return ApiResponse.NotFound("Order");
        var (body, problem) = await Body.ReadAsync<FinanceOrderRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        var amount = v.Amount("amount", body.Amount);
        if (!v.IsValid) return v.Problem();

        var loanId = Ids.Loan(http.OperationId());
        var loan = await grains.GetGrain<ILoanGrain>(loanId).Originate(http.Caller(), http.OperationId(), new DrawLoan(EntityRef.Order(id), funderId, amount));
        return loan.IsOk ? ApiResponse.Created($"/v1/loans/{loanId}", LoanDto.From(loan.Value!)) : ApiResponse.From(loan.Fault!);
    }

    private static async Task<ApiResponse> GetLoan(HttpContext http, string id, IGrainFactory grains)
    {
        if (!Ids.IsLoan(id)) return ApiResponse.NotFound("Loan");
        var loan = await grains.GetGrain<ILoanGrain>(id).Get(http.Caller());
        return loan.IsOk ? ApiResponse.Ok(LoanDto.From(loan.Value!)) : ApiResponse.From(loan.Fault!);
    }

    private static Task<ApiResponse> Repay(HttpContext http, string id, IGrainFactory grains) =>
        Pay(http, id, grains, (loan, caller, operationId, amount) => loan.Repay(caller, operationId, amount));

    /// <summary>A member called as a guarantor for the loan pays (part of) its call to the loan's funder.</summary>
    private static Task<ApiResponse> PayCall(HttpContext http, string id, IGrainFactory grains) =>
        Pay(http, id, grains, (loan, caller, operationId, amount) => loan.PayCall(caller, operationId, amount));

    private static async Task<ApiResponse> Pay(HttpContext http, string id, IGrainFactory grains,
        Func<ILoanGrain, Caller, string, Money, Task<Outcome<Loan>>> pay)
    {
        if (!Ids.IsLoan(id)) return ApiResponse.NotFound("Loan");
        var (body, problem) = await Body.ReadAsync<RepayLoanRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var amount = v.Amount("amount", body!.Amount);
        if (!v.IsValid) return v.Problem();
        var loan = await pay(grains.GetGrain<ILoanGrain>(id), http.Caller(), http.OperationId(), amount);
        return loan.IsOk ? ApiResponse.Ok(LoanDto.From(loan.Value!)) : ApiResponse.From(loan.Fault!);
    }
}
