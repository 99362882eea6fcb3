using SupplyChain.Grains.Common;

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
/// Loans reserve room here by loan id, then commit or release; a voucher claims the order by root id likewise.
/// The order never calls a loan or a tree (only one-way resolve requests), so no call cycle can deadlock.
/// </summary>
[Alias("IOrderGrain")]
public interface IOrderGrain : IGrainWithStringKey
{
    [Alias("Place")]
    Task<Outcome<Order>> Place(Caller caller, string operationId, PlaceOrder command);

    [Alias("Get")]
    Task<Outcome<Order>> Get(Caller caller);

    [Alias("Cancel")]
    Task<Outcome<Order>> Cancel(Caller caller, string operationId);

    /// <summary>
    /// Reserves room for a loan of <paramref name="amount"/> to <paramref name="borrowerId"/> from <paramref name="funderId"/>;
    /// returns the order's payment date, from which the loan's due date follows.
    /// </summary>
    [Alias("ReserveLoan")]
    Task<Outcome<DateOnly>> ReserveLoan(string loanId, string borrowerId, string funderId, Money amount, DateOnly today);

    [Alias("CommitLoan")]
    Task CommitLoan(string loanId);

    /// <summary>The loan never took effect: its room returns (a committed loan is never released).</summary>
    [Alias("ReleaseLoan")]
    Task ReleaseLoan(string loanId);

    /// <summary>The loan's principal outstanding is now <paramref name="outstanding"/> (zero: repaid), as of the loan's <paramref name="version"/>.</summary>
    [Alias("LoanOutstanding")]
    Task LoanOutstanding(string loanId, Money outstanding, long version);

    /// <summary>
    /// The buyer pays the order with voucher <paramref name="rootId"/> to <paramref name="beneficiaryId"/>: checks both, claims
    /// the order for that root and returns the loans to repay from it. Idempotent by root id.
    /// </summary>
    [Alias("Claim")]
    Task<Outcome<IReadOnlyList<OrderLoan>>> Claim(string rootId, string buyerId, string beneficiaryId);

    [Alias("CommitClaim")]
    Task CommitClaim(string rootId);

    [Alias("ReleaseClaim")]
    Task ReleaseClaim(string rootId);

    /// <summary>The voucher <paramref name="rootId"/> that paid the order was rejected or expired: the order is confirmed again.</summary>
    [Alias("Reopen")]
    Task Reopen(string rootId);
}
