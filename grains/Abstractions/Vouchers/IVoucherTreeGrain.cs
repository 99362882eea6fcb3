using Orleans.Concurrency;
using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// One voucher tree, keyed by its root id. The tree is the consistency boundary: split, transfer,
/// accept, reject and the voucher side of a discount are a single write of this grain's state.
/// Every value-moving call carries the operation id; a repeated id returns the first result.
/// </summary>
[Alias("IVoucherTreeGrain")]
public interface IVoucherTreeGrain : IGrainWithStringKey
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

    [Alias("Discount")]
    Task<Outcome<DiscountResult>> Discount(Caller caller, string operationId, string fragmentId, string funderId, Money amount);

    /// <summary>Applies whatever fell due by today (expiry of pending fragments, overdue, default).</summary>
    [Alias("CatchUp")]
    Task CatchUp();

    /// <summary>Rewrites this tree's whole read model (after a crash left it behind the stored state).</summary>
    [Alias("Reproject")]
    Task Reproject();

    /// <summary>The consumer applied these exposure events: the tree stops re-sending them.</summary>
    [OneWay, Alias("AcknowledgeExposures")]
    Task AcknowledgeExposures(IReadOnlyList<string> eventIds);

    /// <summary>The tree's live positions as its state says now: the source of truth for reconciliation.</summary>
    [Alias("GetPositions")]
    Task<SupplyChain.Grains.Risk.TreePositions> GetPositions();

    [Alias("Repay")]
    Task<Outcome<RepayResult>> Repay(Caller caller, string operationId);

    /// <summary>
    /// Asked by the obligor when this tree's issuance reservation has stayed open too long: the tree commits it
    /// if the root exists (closes it if the root is no longer outstanding), releases it otherwise. Also asked by an
    /// order whose claim by this root stayed open (<paramref name="orderId"/>), and by a loan whose payoff this root
    /// pinned (<paramref name="loanId"/>): an issued tree delivers its notices, any other releases them.
    /// One-way, so the asker never waits on a tree.
    /// </summary>
    [OneWay, Alias("ResolveIssuance")]
    Task ResolveIssuance(string obligorId, string? orderId = null, string? loanId = null);

    /// <summary>
    /// Asked by a facility whose reservation for <paramref name="fragmentId"/> has stayed open too long: the tree
    /// commits it if the funder holds that fragment, closes it if it was settled, releases it otherwise.
    /// </summary>
    [OneWay, Alias("ResolveDiscount")]
    Task ResolveDiscount(string facilityId, string fragmentId);
}
