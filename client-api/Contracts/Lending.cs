using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;

namespace SupplyChain.Api.Contracts;

public sealed record OrderDto(string Id, string BuyerId, string SupplierId, decimal Amount, DateOnly PaymentDate, string Reference,
    string Status, string? VoucherId)
{
    public static OrderDto From(Order o) =>
        new(o.Id, o.BuyerId, o.SupplierId, o.Amount.Yuan, o.PaymentDate, o.Reference, o.Status.Wire(), o.VoucherId);
}

public sealed record LoanRepaymentDto(DateOnly On, decimal Amount, decimal Interest, decimal Principal, string Source, string? VoucherId);

public sealed record GuarantorCallDto(string MemberId, decimal Amount, decimal Paid);

public sealed record WaterfallDto(decimal Loss, IReadOnlyList<GuarantorCallDto> GuarantorCalls, string? PoolId, decimal PoolPayment, decimal FunderLoss)
{
    public static WaterfallDto? From(LoanWaterfall? w) =>
        w is null ? null : new(w.Loss.Yuan, w.GuarantorCalls.Select(c => new GuarantorCallDto(c.MemberId, c.Amount.Yuan, c.Paid.Yuan)).ToList(), w.PoolId,
            w.PoolPayment.Yuan, w.FunderLoss.Yuan);
}

/// <summary>
/// A loan as API.md gives it, plus what it paid so far. A loan draws on an order, a guarantee group or a credit line, and
/// may be enrolled in a risk pool. The waterfall is null until the loan defaults in a group or a pool and its loss has been borne.
/// </summary>
public sealed record LoanDto(string Id, string BorrowerId, string FunderId, string? OrderId, string? GroupId, string? PoolId,
    string? CreditLineId, decimal Principal, decimal OutstandingPrincipal, decimal AccruedInterest, decimal AnnualRate, DateOnly DisbursedOn, DateOnly DueDate,
    string Status, decimal InterestPaid, IReadOnlyList<LoanRepaymentDto> Repayments, WaterfallDto? Waterfall)
{
    public static LoanDto From(Loan l) =>
        new(l.Id, l.BorrowerId, l.FunderId, l.OrderId, l.GroupId, l.PoolId, l.CreditLineId, l.Principal.Yuan, l.OutstandingPrincipal.Yuan, l.AccruedInterest.Yuan,
            l.AnnualRate, l.DisbursedOn, l.DueDate, l.Status.Wire(), l.InterestPaid.Yuan,
            l.Repayments.Select(r => new LoanRepaymentDto(r.On, r.Amount.Yuan, r.Interest.Yuan, r.Principal.Yuan, r.Source, r.VoucherId)).ToList(),
            WaterfallDto.From(l.Waterfall));
}
