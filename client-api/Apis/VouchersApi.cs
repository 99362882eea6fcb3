using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Apis;

public static class VouchersApi
{
    public static RouteGroupBuilder MapVouchersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/vouchers", Issue).JsonBody<IssueVoucherRequest>().AllowRoles(Role.Core).RequireIdempotencyKey()
.Produces<VoucherDto>(201);
        v1.MapGet("/vouchers", List).AllowRoles(Role.Core, Role.Supplier, Role.Funder, Role.Sponsor).Produces<VoucherPageDto>();
        v1.MapGet("/vouchers/{id}", Get).Produces<VoucherDto>();
        v1.MapGet("/vouchers/{id}/tree", GetTree).AllowRoles(Role.Core, Role.Operator, Role.Risk).Produces<VoucherTreeDto>();
        v1.MapPost("/vouchers/{id}/accept", Accept).AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<VoucherDto>();
        v1.MapPost("/vouchers/{id}/reject", Reject).AllowRoles(Role.Supplier).RequireIdempotencyKey().Produces<VoucherDto>();
        v1.MapPost("/vouchers/{id}/split", Split).JsonBody<SplitRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
.Produces<SplitDto>(201);
        v1.MapPost("/vouchers/{id}/transfer", Transfer).JsonBody<TransferRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
.Produces<TransferDto>(201);
        v1.MapPost("/vouchers/{id}/discount", Discount).JsonBody<DiscountRequest>().AllowRoles(Role.Supplier).RequireIdempotencyKey()
.Produces<DiscountDto>(201);
        v1.MapPost("/vouchers/{id}/repay", Repay).AllowRoles(Role.Core).RequireIdempotencyKey().Produces<RepayDto>();
        return v1;
    }

    private static async Task<ApiResponse> Issue(HttpContext http, IGrainFactory grains)
    {
        var (body, problem) = await Body.ReadAsync<IssueVoucherRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var beneficiaryId = v.Id("beneficiaryId", body!.BeneficiaryId);
        var amount = v.Amount("amount", body.Amount);
        var maturity = v.Required("maturityDate", body.MaturityDate);
        if (body.OrderId is not null && !Ids.IsOrder(body.OrderId)) v.Add("orderId", "is not a known order");
        if (!v.IsValid) return v.Problem();

        var rootId = Ids.VoucherRoot(http.OperationId());
        var issued = await grains.GetGrain<IVoucherTreeGrain>(rootId)
            .Issue(http.Caller(), http.OperationId(), new IssueVoucher(beneficiaryId, amount, maturity, body.OrderId));
        return issued.IsOk
            ? ApiResponse.Created($"/v1/vouchers/{rootId}", VoucherDto.From(issued.Value!))
            : ApiResponse.From(issued.Fault!);
    }

    private static async Task<ApiResponse> List(HttpContext http, IVoucherIndex index, string? status, string? limit, string? after)
    {
        var caller = http.Caller();
        var v = new Validation();
        if (status is not null && !Enum.GetValues<VoucherStatus>().Any(s => s.Wire() == status))
            v.Add("status", "is not a voucher status");
        int? size = null;
        if (limit is not null)
        {
            if (int.TryParse(limit, System.Globalization.NumberStyles.None, null, out var parsed) && parsed is >= 1 and <= 200) size = parsed;
            else v.Add("limit", "must be a whole number between 1 and 200");
        }
        if (after is { Length: > 64 }) v.Add("after", "is not a cursor");
        if (!v.IsValid) return v.Problem();
        var take = size ?? 50;
        var rows = await index.ListAsync(new FragmentQuery(
            caller.Role == Role.Core ? null : caller.Id, caller.Role == Role.Core ? caller.Id : null, status, after, take));
        var items = rows.Select(r => new VoucherDto(r.Id, r.RootId, r.ParentId, r.ObligorId, r.HolderId, r.Amount + 0.00m, r.IssueDate,
            r.MaturityDate, r.Tier, r.Status, r.OrderId)).ToList();
        return ApiResponse.Ok(new VoucherPageDto(items, items.Count == take ? items[^1].Id : null));
    }

    private static async Task<ApiResponse> Get(HttpContext http, string id, IGrainFactory grains) =>
        await OnTree(id, grains, tree => tree.Get(http.Caller(), id), VoucherDto.From);

    private static async Task<ApiResponse> GetTree(HttpContext http, string id, IGrainFactory grains)
    {
        if (Ids.RootOf(id) != id) return ApiResponse.NotFound("Voucher");
        return await OnTree(id, grains, tree => tree.GetTree(http.Caller()),
            t => new VoucherTreeDto(VoucherDto.From(t.Root), t.Fragments.Select(VoucherDto.From).ToList()));
    }

    private static async Task<ApiResponse> Accept(HttpContext http, string id, TreeBatcher batcher) =>
        await Body.RequireNoneAsync(http) ??
        await Batched(id, batcher, TreeCommand.Accept(http.Caller(), http.OperationId(), id), r => r.Voucher!, VoucherDto.From);

    private static async Task<ApiResponse> Reject(HttpContext http, string id, TreeBatcher batcher) =>
        await Body.RequireNoneAsync(http) ??
        await Batched(id, batcher, TreeCommand.Reject(http.Caller(), http.OperationId(), id), r => r.Voucher!, VoucherDto.From);

    private static async Task<ApiResponse> Split(HttpContext http, string id, TreeBatcher batcher)
    {
        var (body, problem) = await Body.ReadAsync<SplitRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        if (body!.Amounts is null) v.Add("amounts", "is required");
        var amounts = (body.Amounts ?? []).Select((a, i) => v.Amount($"amounts[{i}]", a)).ToList();
        if (!v.IsValid) return v.Problem();
        return await Batched(id, batcher, TreeCommand.Split(http.Caller(), http.OperationId(), id, amounts), r => r.Split!,
            r => new SplitDto(VoucherDto.From(r.Parent), r.Children.Select(VoucherDto.From).ToList()), created: true);
    }

    private static async Task<ApiResponse> Transfer(HttpContext http, string id, TreeBatcher batcher)
    {
        var (body, problem) = await Body.ReadAsync<TransferRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var toId = v.Id("toId", body!.ToId);
        var amount = v.Amount("amount", body.Amount);
        if (!v.IsValid) return v.Problem();
        return await Batched(id, batcher, TreeCommand.Transfer(http.Caller(), http.OperationId(), id, toId, amount), r => r.Transfer!,
            r => new TransferDto(VoucherDto.From(r.Parent), VoucherDto.From(r.Transferred), VoucherDto.FromNullable(r.Remainder)), created: true);
    }

    private static async Task<ApiResponse> Discount(HttpContext http, string id, IGrainFactory grains)
    {
        var (body, problem) = await Body.ReadAsync<DiscountRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var funderId = v.Id("funderId", body!.FunderId);
        var amount = v.Amount("amount", body.Amount);
        if (!v.IsValid) return v.Problem();
        return await OnTree(id, grains, tree => tree.Discount(http.Caller(), http.OperationId(), id, funderId, amount),
            r => new DiscountDto(VoucherDto.From(r.Parent), VoucherDto.From(r.Financed), VoucherDto.FromNullable(r.Remainder),
                r.Proceeds.Yuan, r.Charge.Yuan, r.AnnualRate, r.Days), created: true);
    }

    private static async Task<ApiResponse> Repay(HttpContext http, string id, IGrainFactory grains)
    {
        if (await Body.RequireNoneAsync(http) is { } problem) return problem;
        var root = Ids.RootOf(id);
        if (root is null) return ApiResponse.NotFound("Voucher");
        if (root != id)
            return ApiResponse.From(Fault.InvalidState("Repay takes the id of a root voucher; the obligor repays the whole tree."));
        return await OnTree(id, grains, tree => tree.Repay(http.Caller(), http.OperationId()),
            r => new RepayDto(VoucherDto.From(r.Root), r.Settled.Select(VoucherDto.From).ToList(),
                r.Payments.Select(p => new PaymentDto(p.ToId, p.Amount.Yuan)).ToList()));
    }

    private static Task<ApiResponse> OnTree<T, TDto>(string id, IGrainFactory grains,
        Func<IVoucherTreeGrain, Task<Outcome<T>>> call, Func<T, TDto> map, bool created = false) =>
        OnRoot(id, root => call(grains.GetGrain<IVoucherTreeGrain>(root)), map, created);

    /// <summary>A split, transfer, accept or reject goes through the tree's batcher: with others waiting for the same tree, in one call and one write.</summary>
    private static Task<ApiResponse> Batched<T, TDto>(string id, TreeBatcher batcher, TreeCommand command,
        Func<TreeCommandResult, Outcome<T>> pick, Func<T, TDto> map, bool created = false) =>
        OnRoot(id, async root => pick(await batcher.Send(root, command)), map, created);

    private static async Task<ApiResponse> OnRoot<T, TDto>(string id, Func<string, Task<Outcome<T>>> call, Func<T, TDto> map, bool created)
    {
        var root = Ids.RootOf(id);
        if (root is null) return ApiResponse.NotFound("Voucher");
        var outcome = await call(root);
        if (!outcome.IsOk) return ApiResponse.From(outcome.Fault!);
        var dto = map(outcome.Value!);
        return created ? ApiResponse.Created($"/v1/vouchers/{id}", dto) : ApiResponse.Ok(dto);
    }
}
