namespace SupplyChain.LoadGenerator;

/// <summary>
/// One client's lending loop: the core places an order with the holder → the holder borrows 70% of it from the
/// funder → the core pays the order with a voucher, whose funder part repays the loan (the closed loop).
/// The clock does not move during a run, so each payoff is the principal: the funder's fragment equals the loan.
/// </summary>
public sealed class LendingWorkflow(ClientCast cast, Party funder, DateOnly paymentDate, DateOnly maturity, decimal amount) : IWorkflow
{
    public const string Order = "order", Finance = "finance", Pay = "pay-order";

    public static readonly string[] Operations = [Order, Finance, Pay];

    private readonly decimal _loan = decimal.Round(amount * 0.7m, 2, MidpointRounding.ToZero);

    public decimal Issued { get; private set; }

    public decimal Discounted { get; private set; }

    public decimal Lent { get; private set; }

    public bool Uncertain { get; private set; }

    public string? LastRoot { get; private set; }

    public int Completed { get; private set; }

    public async Task Round(Recorder recorder, Func<bool> mayContinue)
    {
        var core = cast.Core.Api;
        var order = await Step(recorder, mayContinue, core, Order, a => a.Post("/v1/orders", new
        {
            supplierId = cast.Holder.Id, amount, paymentDate = paymentDate.ToString("yyyy-MM-dd"), reference = $"load {Guid.NewGuid():N}",
        }));
        if (order is null) return;
        var orderId = order.Json.GetProperty("id").GetString()!;

        if (await Step(recorder, mayContinue, cast.Holder.Api, Finance,
                a => a.Post($"/v1/orders/{orderId}/financing", new { funderId = funder.Id, amount = _loan })) is null) return;
        Lent += _loan;

        var paid = await Step(recorder, () => true, core, Pay, a => a.Post("/v1/vouchers", new
        {
            beneficiaryId = cast.Holder.Id, amount, maturityDate = maturity.ToString("yyyy-MM-dd"), orderId,
        }));
        if (paid is null) return;
        LastRoot = paid.Json.GetProperty("id").GetString()!;
        Issued += amount;
        Discounted += _loan;
        Lent -= _loan;
        Completed++;
    }

    private async Task<Reply?> Step(Recorder recorder, Func<bool> mayContinue, Api api, string operation, Func<Api, Task<Reply>> call)
    {
        if (!mayContinue()) return null;
        var reply = await api.Timed(recorder, operation, call);
        if (reply.Status is 0 or >= 500) Uncertain = true;
        return reply.IsSuccess ? reply : null;
    }
}
