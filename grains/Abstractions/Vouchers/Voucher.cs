using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Vouchers;

public enum VoucherStatus
{
    Pending,
    Active,
    Financed,
    Split,
    Transferred,
    Rejected,
    Cancelled,
    Settled,
    Overdue,
    Defaulted,
}

public static class VoucherStatuses
{
    /// <summary>Statuses whose fragments carry value: for every root they sum to its face.</summary>
    public static bool IsLive(this VoucherStatus s) =>
        s is VoucherStatus.Pending or VoucherStatus.Active or VoucherStatus.Financed or VoucherStatus.Overdue or VoucherStatus.Defaulted;

    public static string Wire(this VoucherStatus s) => s.ToString().ToLowerInvariant();
}

[GenerateSerializer, Immutable, Alias("Voucher")]
public sealed record Voucher(
    [property: Id(0)] string Id,
    [property: Id(1)] string RootId,
    [property: Id(2)] string? ParentId,
    [property: Id(3)] string ObligorId,
    [property: Id(4)] string HolderId,
    [property: Id(5)] Money Amount,
    [property: Id(6)] DateOnly IssueDate,
    [property: Id(7)] DateOnly MaturityDate,
    [property: Id(8)] int Tier,
    [property: Id(9)] VoucherStatus Status,
    [property: Id(10)] string? OrderId);

[GenerateSerializer, Immutable, Alias("IssueVoucher")]
public sealed record IssueVoucher(
    [property: Id(0)] string BeneficiaryId,
    [property: Id(1)] Money Amount,
    [property: Id(2)] DateOnly MaturityDate,
    [property: Id(3)] string? OrderId);

[GenerateSerializer, Immutable, Alias("VoucherTree")]
public sealed record VoucherTree(
    [property: Id(0)] Voucher Root,
    [property: Id(1)] IReadOnlyList<Voucher> Fragments);

[GenerateSerializer, Immutable, Alias("SplitResult")]
public sealed record SplitResult(
    [property: Id(0)] Voucher Parent,
    [property: Id(1)] IReadOnlyList<Voucher> Children);

[GenerateSerializer, Immutable, Alias("TransferResult")]
public sealed record TransferResult(
    [property: Id(0)] Voucher Parent,
    [property: Id(1)] Voucher Transferred,
    [property: Id(2)] Voucher? Remainder);

[GenerateSerializer, Immutable, Alias("DiscountResult")]
public sealed record DiscountResult(
    [property: Id(0)] Voucher Parent,
    [property: Id(1)] Voucher Financed,
    [property: Id(2)] Voucher? Remainder,
    [property: Id(3)] Money Proceeds,
    [property: Id(4)] Money Charge,
    [property: Id(5)] decimal AnnualRate,
    [property: Id(6)] int Days);

[GenerateSerializer, Immutable, Alias("Payment")]
public sealed record Payment(
    [property: Id(0)] string FromId,
    [property: Id(1)] string ToId,
    [property: Id(2)] Money Amount,
    [property: Id(3)] string Reason);

[GenerateSerializer, Immutable, Alias("RepayResult")]
public sealed record RepayResult(
    [property: Id(0)] Voucher Root,
    [property: Id(1)] IReadOnlyList<Voucher> Settled,
    [property: Id(2)] IReadOnlyList<Payment> Payments);

/// <summary>
/// A split or a transfer, as one item of a batch sent to a tree (<see cref="IVoucherTreeGrain.Apply"/>): a split when
/// <see cref="SplitAmounts"/> is set, a transfer of <see cref="TransferAmount"/> to <see cref="ToId"/> otherwise.
/// </summary>
[GenerateSerializer, Immutable, Alias("TreeCommand")]
public sealed record TreeCommand(
    [property: Id(0)] Caller Caller,
    [property: Id(1)] string OperationId,
    [property: Id(2)] string FragmentId,
    [property: Id(3)] IReadOnlyList<Money>? SplitAmounts,
    [property: Id(4)] string? ToId,
    [property: Id(5)] Money TransferAmount)
{
    public bool IsSplit => SplitAmounts is not null;

    public static TreeCommand Split(Caller caller, string operationId, string fragmentId, IReadOnlyList<Money> amounts) =>
        new(caller, operationId, fragmentId, amounts, null, Money.Zero);

    public static TreeCommand Transfer(Caller caller, string operationId, string fragmentId, string toId, Money amount) =>
        new(caller, operationId, fragmentId, null, toId, amount);
}

/// <summary>What one command of a batch came to: <see cref="Split"/> for a split, <see cref="Transfer"/> for a transfer.</summary>
[GenerateSerializer, Immutable, Alias("TreeCommandResult")]
public sealed record TreeCommandResult(
    [property: Id(0)] Outcome<SplitResult>? Split,
    [property: Id(1)] Outcome<TransferResult>? Transfer);
