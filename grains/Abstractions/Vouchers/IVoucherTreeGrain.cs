using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// One voucher tree, keyed by its root id. The tree is the consistency boundary: split, transfer,
/// accept, reject and the voucher side of a discount are a single write of this grain's state.
/// Every value-moving call carries the operation id; a repeated id returns the first result.
/// It owns the reservations of its issuance (obligor, order claim, loans' pinned payoffs, closed-loop facility room)
/// and of its discounts (facility room), and resolves them when a holder asks (<see cref="IReservationOwner"/>).
/// </summary>
[Alias("IVoucherTreeGrain")]
public interface IVoucherTreeGrain : IReservationOwner, IExposureProducer
{
    [Alias("Issue")]
    Task<Outcome<Voucher>> Issue(Caller caller, string operationId, IssueVoucher command);

    [Alias("Get")]
    Task<Outcome<Voucher>> Get(Caller caller, string fragmentId);

    [Alias("GetTree")]
    Task<Outcome<VoucherTree>> GetTree(Caller caller);

    [Alias("Accept")]
    Task<Outcome<Voucher>> Accept(Caller caller, string operationId, string fragmentId);

    [Alias("Reject")]
    Task<Outcome<Voucher>> Reject(Caller caller, string operationId, string fragmentId);

    [Alias("Split")]
    Task<Outcome<SplitResult>> Split(Caller caller, string operationId, string fragmentId, IReadOnlyList<Money> amounts);

    [Alias("Transfer")]
    Task<Outcome<TransferResult>> Transfer(Caller caller, string operationId, string fragmentId, string toId, Money amount);

    /// <summary>
    /// Splits, transfers, accepts and rejects, decided one after another in the order given (each on the state the ones before it left, each
    /// refused or done on its own, a repeated operation id answered as the first time), then persisted together in one
    /// write before any of them is answered. A write that fails fails them all (and the activation). What a client sends
    /// for one tree while a call to it is out goes in one such batch (the API's <c>TreeBatcher</c>).
    /// </summary>
    [Alias("Apply")]
    Task<IReadOnlyList<TreeCommandResult>> Apply(IReadOnlyList<TreeCommand> commands);

    [Alias("Discount")]
    Task<Outcome<DiscountResult>> Discount(Caller caller, string operationId, string fragmentId, string funderId, Money amount);

    /// <summary>Applies whatever fell due by today (expiry of pending fragments, overdue, default).</summary>
    [Alias("CatchUp")]
    Task CatchUp();

    /// <summary>Rewrites this tree's whole read model (after a crash left it behind the stored state).</summary>
    [Alias("Reproject")]
    Task Reproject();

    [Alias("Repay")]
    Task<Outcome<RepayResult>> Repay(Caller caller, string operationId);
}
