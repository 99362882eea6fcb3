using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Orders;

public enum OrderStatus
{
    /// <summary>Placed by the buyer: confirmed at once.</summary>
    Confirmed,
    Cancelled,
    /// <summary>The buyer issued a voucher against the order: it is paid, and its loans were repaid from that voucher.</summary>
    Paid,
}

public static class OrderStatuses
{
    public static string Wire(this OrderStatus s) => s.ToString().ToLowerInvariant();
}

[GenerateSerializer, Immutable, Alias("Order")]
public sealed record Order(
    [property: Id(0)] string Id,
    [property: Id(1)] string BuyerId,
    [property: Id(2)] string SupplierId,
    [property: Id(3)] Money Amount,
    [property: Id(4)] DateOnly PaymentDate,
    [property: Id(5)] string Reference,
    [property: Id(6)] OrderStatus Status,
    [property: Id(7)] string? VoucherId);

[GenerateSerializer, Immutable, Alias("PlaceOrder")]
public sealed record PlaceOrder(
    [property: Id(0)] string SupplierId,
    [property: Id(1)] Money Amount,
    [property: Id(2)] DateOnly PaymentDate,
    [property: Id(3)] string Reference);

/// <summary>A loan drawing on an order when the buyer pays it with a voucher: the closed loop repays it first.</summary>
[GenerateSerializer, Immutable, Alias("OrderLoan")]
public sealed record OrderLoan([property: Id(0)] string LoanId, [property: Id(1)] string FunderId);

/// <summary>
/// One purchase order, keyed by its id. It guards the financing rules: loans drawing on it stay within the
/// financing ratio of its amount, and it cannot be cancelled or paid while a financing is half done.
/// Loans reserve room here by loan id (<see cref="ILoanBase.ReserveDraw"/>), then commit or release; a voucher claims the
/// order by root id, and the claim is committed or released through the same <see cref="IReservationHolder"/> calls.
/// The order never calls a loan or a tree (only one-way resolve requests), so no call cycle can deadlock.
/// </summary>
[Alias("IOrderGrain")]
public interface IOrderGrain : ILoanBase
{
    [Alias("Place")]
    Task<Outcome<Order>> Place(Caller caller, string operationId, PlaceOrder command);

    [Alias("Get")]
    Task<Outcome<Order>> Get(Caller caller);

    [Alias("Cancel")]
    Task<Outcome<Order>> Cancel(Caller caller, string operationId);

    /// <summary>
    /// The buyer pays the order with voucher <paramref name="rootId"/> to <paramref name="beneficiaryId"/>: checks both, claims
    /// the order for that root and returns the loans to repay from it. Idempotent by root id.
    /// </summary>
    [Alias("Claim")]
    Task<Outcome<IReadOnlyList<OrderLoan>>> Claim(string rootId, string buyerId, string beneficiaryId);

    /// <summary>The voucher <paramref name="rootId"/> that paid the order was rejected or expired: the order is confirmed again.</summary>
    [Alias("Reopen")]
    Task Reopen(string rootId);
}
