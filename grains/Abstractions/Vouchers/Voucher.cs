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

/// <summary>What a command of a batch does.</summary>
public enum TreeCommandKind
{
    Split,
    Transfer,
    Accept,
    Reject,
}

/// <summary>
/// A split, transfer, accept or reject, as one item of a batch sent to a tree (<see cref="IVoucherTreeGrain.Apply"/>):
/// a split names <see cref="SplitAmounts"/>, a transfer <see cref="ToId"/> and <see cref="TransferAmount"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("TreeCommand")]
public sealed record TreeCommand(
    [property: Id(0)] TreeCommandKind Kind,
    [property: Id(1)] Caller Caller,
    [property: Id(2)] string OperationId,
    [property: Id(3)] string FragmentId,
    [property: Id(4)] IReadOnlyList<Money>? SplitAmounts = null,
    [property: Id(5)] string? ToId = null,
    [property: Id(6)] Money TransferAmount = default)
{
    public static TreeCommand Split(Caller caller, string operationId, string fragmentId, IReadOnlyList<Money> amounts) =>
        new(TreeCommandKind.Split, caller, operationId, fragmentId, SplitAmounts: amounts);

    public static TreeCommand Transfer(Caller caller, string operationId, string fragmentId, string toId, Money amount) =>
        new(TreeCommandKind.Transfer, caller, operationId, fragmentId, ToId: toId, TransferAmount: amount);

    public static TreeCommand Accept(Caller caller, string operationId, string fragmentId) =>
        new(TreeCommandKind.Accept, caller, operationId, fragmentId);

    public static TreeCommand Reject(Caller caller, string operationId, string fragmentId) =>
        new(TreeCommandKind.Reject, caller, operationId, fragmentId);
}

/// <summary>
/// What one command of a batch came to: <see cref="Split"/> for a split, <see cref="Transfer"/> for a transfer,
/// <see cref="Voucher"/> (the fragment accepted or rejected) for an accept or a reject.
/// </summary>
[GenerateSerializer, Immutable, Alias("TreeCommandResult")]
public sealed record TreeCommandResult(
    [property: Id(0)] Outcome<SplitResult>? Split = null,
    [property: Id(1)] Outcome<TransferResult>? Transfer = null,
    [property: Id(2)] Outcome<Voucher>? Voucher = null)
{
    public bool IsOk => Split?.IsOk ?? Transfer?.IsOk ?? Voucher!.IsOk;

    public static TreeCommandResult Refused(TreeCommandKind kind, Fault fault) => kind switch
    {
        TreeCommandKind.Split => new(Split: fault),
        TreeCommandKind.Transfer => new(Transfer: fault),
        _ => new(Voucher: fault),
    };
}
