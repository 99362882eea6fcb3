using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Loans;

public enum LoanStatus
{
    Active,
    Overdue,
    Defaulted,
    Repaid,
}

public static class LoanStatuses
{
    public static string Wire(this LoanStatus s) => s.ToString().ToLowerInvariant();
}

[GenerateSerializer, Immutable, Alias("Loan")]
public sealed record Loan(
    [property: Id(0)] string Id,
    [property: Id(1)] string BorrowerId,
    [property: Id(2)] string FunderId,
    [property: Id(3)] string? OrderId,
    [property: Id(4)] Money Principal,
    [property: Id(5)] Money OutstandingPrincipal,
    [property: Id(6)] Money AccruedInterest,
    [property: Id(7)] decimal AnnualRate,
    [property: Id(8)] DateOnly DisbursedOn,
    [property: Id(9)] DateOnly DueDate,
    [property: Id(10)] LoanStatus Status,
    [property: Id(11)] Money InterestPaid,
    [property: Id(12)] IReadOnlyList<LoanRepayment> Repayments,
    [property: Id(13)] string? GroupId,
    [property: Id(14)] LoanWaterfall? Waterfall,
    [property: Id(15)] string? PoolId,
    [property: Id(16)] string? CreditLineId = null);

/// <summary>
/// How the loss of a defaulted loan in a group was borne: loss = outstanding principal + interest accrued to the default
/// date = Σ guarantor calls + pool payment + funder loss. Null until the loan defaults in a group or a pool and every
/// step has been taken.
/// </summary>
[GenerateSerializer, Immutable, Alias("LoanWaterfall")]
public sealed record LoanWaterfall(
    [property: Id(0)] Money Loss,
    [property: Id(1)] IReadOnlyList<SupplyChain.Grains.Groups.GuaranteeCall> GuarantorCalls,
    [property: Id(2)] string? PoolId,
    [property: Id(3)] Money PoolPayment,
    [property: Id(4)] Money FunderLoss);

/// <summary>One repayment: cash from the borrower, or the funder's part of a voucher the buyer issued against the order.</summary>
[GenerateSerializer, Immutable, Alias("LoanRepayment")]
public sealed record LoanRepayment(
    [property: Id(0)] DateOnly On,
    [property: Id(1)] Money Amount,
    [property: Id(2)] Money Interest,
    [property: Id(3)] Money Principal,
    [property: Id(4)] string Source,
    [property: Id(5)] string? VoucherId);

/// <summary>
/// A request for a loan drawing on <paramref name="Base"/>: an order (the funder named by the borrower; rate and limit from
/// the funder's facility) or a guarantee group (the group's funder and rate, due <paramref name="TermDays"/> after today).
/// </summary>
[GenerateSerializer, Immutable, Alias("DrawLoan")]
public sealed record DrawLoan(
    [property: Id(0)] EntityRef Base,
    [property: Id(1)] string? FunderId,
    [property: Id(2)] Money Amount,
    [property: Id(3)] int? TermDays = null);

/// <summary>
/// One loan, keyed by its id. It is the authority on what the borrower owes: it reserves room on what it draws on
/// (its <see cref="ILoanBase"/>: an order) and on the funder's lending facility while it originates, accrues interest, takes repayments, and ages into
/// overdue and default from the platform clock. Every change is one fenced write with its notices and events.
/// </summary>
[Alias("ILoanGrain")]
public interface ILoanGrain : IReservationOwner, IExposureProducer
{
    [Alias("Originate")]
    Task<Outcome<Loan>> Originate(Caller caller, string operationId, DrawLoan command);

    [Alias("Get")]
    Task<Outcome<Loan>> Get(Caller caller);

    [Alias("Repay")]
    Task<Outcome<Loan>> Repay(Caller caller, string operationId, Money amount);

    /// <summary>A member called as a guarantor for this defaulted loan pays (part of) its call to the funder. Idempotent by operation id.</summary>
    [Alias("PayCall")]
    Task<Outcome<Loan>> PayCall(Caller caller, string operationId, Money amount);

    /// <summary>
    /// The loan's funder enrolls it in risk pool <paramref name="poolId"/>: the pool reserves cover for its outstanding
    /// principal within its capacity. A loan is enrolled in at most one pool, and only while active.
    /// </summary>
    [Alias("Enroll")]
    Task<Outcome<Loan>> Enroll(Caller caller, string operationId, string poolId);

    /// <summary>Applies whatever fell due by today (overdue, default).</summary>
    [Alias("CatchUp")]
    Task CatchUp();

    /// <summary>Rewrites this loan's read model row.</summary>
    [Alias("Reproject")]
    Task Reproject();

    /// <summary>
    /// Voucher <paramref name="rootId"/> will repay this loan: pins what is owed as of
    /// <paramref name="today"/> (principal and interest; zero when nothing is owed) and holds off cash repayments until the
    /// voucher settles or releases it. Idempotent by root id. The loan holds this pin for the tree, and asks the tree to
/// resolve it if it stays open (<see cref="IReservationOwner.Resolve"/> with this loan as the holder).
    /// </summary>
    [Alias("ReserveSettlement")]
    Task<Outcome<Money>> ReserveSettlement(string rootId, DateOnly today);

    /// <summary>The voucher exists: <paramref name="amount"/> of it went to the funder and repays the loan. Idempotent by root id.</summary>
    [Alias("Settle")]
    Task Settle(string rootId, Money amount);

    /// <summary>The voucher was not issued: cash repayments may go on.</summary>
    [Alias("ReleaseSettlement")]
    Task ReleaseSettlement(string rootId);
}
