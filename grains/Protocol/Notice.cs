using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;

namespace SupplyChain.Grains.Protocol;

public enum NoticeKind
{
    /// <summary><see cref="IReservationHolder.Commit"/> of the item at the target.</summary>
    Commit,
    /// <summary><see cref="IReservationHolder.Release"/>: the operation that reserved the item will never take effect.</summary>
    Release,
    /// <summary><see cref="IReservationHolder.Close"/>: what the item stood for is over.</summary>
    Close,
    /// <summary><see cref="IReservationHolder.SetAmount"/>: the item now uses <see cref="Notice.AmountFen"/>, as of <see cref="Notice.Version"/>.</summary>
    SetAmount,
    /// <summary>The loan <see cref="Notice.Target"/> is repaid by <see cref="Notice.AmountFen"/> of the voucher <see cref="Notice.Item"/>.</summary>
    Settle,
    /// <summary>The loan <see cref="Notice.Target"/> pinned its payoff for the voucher <see cref="Notice.Item"/>, which repays it nothing.</summary>
    Unpin,
    /// <summary>The voucher <see cref="Notice.Item"/> that paid the order <see cref="Notice.Target"/> was cancelled: the order is unpaid again.</summary>
    Reopen,
    /// <summary>The supplier <see cref="Notice.Target"/> received <see cref="Notice.AmountFen"/> from the core <see cref="Notice.Counterparty"/> on <see cref="Notice.On"/> (an order, <see cref="Notice.Item"/>; 0 when cancelled).</summary>
    Receipt,
}

/// <summary>An effect on another grain, stored in the sender's state with the change that caused it.</summary>
public sealed class Notice
{
    public NoticeKind Kind { get; set; }
    public EntityRef Target { get; set; } = EntityRef.Tree("");
    /// <summary>The reservation's item id (root, fragment or loan id) the notice is about.</summary>
    public string Item { get; set; } = "";
    public long AmountFen { get; set; }
    public long Version { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Counterparty { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateOnly? On { get; set; }

    public static Notice Commit(EntityRef target, string item) => new() { Kind = NoticeKind.Commit, Target = target, Item = item };
    public static Notice Release(EntityRef target, string item) => new() { Kind = NoticeKind.Release, Target = target, Item = item };
    public static Notice Close(EntityRef target, string item) => new() { Kind = NoticeKind.Close, Target = target, Item = item };

    public static Notice SetAmount(EntityRef target, string item, long amountFen, long version) =>
        new() { Kind = NoticeKind.SetAmount, Target = target, Item = item, AmountFen = amountFen, Version = version };

    public static Notice Settle(string loanId, string rootId, long amountFen) =>
        new() { Kind = NoticeKind.Settle, Target = EntityRef.Loan(loanId), Item = rootId, AmountFen = amountFen };

    public static Notice Unpin(string loanId, string rootId) => new() { Kind = NoticeKind.Unpin, Target = EntityRef.Loan(loanId), Item = rootId };

    public static Notice Reopen(string orderId, string rootId) => new() { Kind = NoticeKind.Reopen, Target = EntityRef.Order(orderId), Item = rootId };

    public static Notice Receipt(string supplierId, string orderId, string coreId, long amountFen, DateOnly on) =>
        new() { Kind = NoticeKind.Receipt, Target = EntityRef.SupplierCredit(supplierId), Item = orderId, Counterparty = coreId, AmountFen = amountFen, On = on };

    /// <summary>Sends it. Every receiver is idempotent, so a notice may be delivered again after a crash.</summary>
    public Task DeliverAsync(IGrainFactory grains) => Kind switch
    {
        NoticeKind.Commit => grains.Holder(Target).Commit(Item),
        NoticeKind.Release => grains.Holder(Target).Release(Item),
        NoticeKind.Close => grains.Holder(Target).Close(Item),
        NoticeKind.SetAmount => grains.Holder(Target).SetAmount(Item, new Money(AmountFen), Version),
        NoticeKind.Settle => grains.GetGrain<ILoanGrain>(Target.Id).Settle(Item, new Money(AmountFen)),
        NoticeKind.Unpin => grains.GetGrain<ILoanGrain>(Target.Id).ReleaseSettlement(Item),
        NoticeKind.Reopen => grains.GetGrain<IOrderGrain>(Target.Id).Reopen(Item),
        NoticeKind.Receipt => grains.GetGrain<Credit.ISupplierCreditGrain>(Target.Id).RecordReceipt(new Credit.Receipt($"order:{Item}", Counterparty!, new Money(AmountFen), On!.Value)),
        _ => throw new InvalidOperationException($"Unknown notice {Kind}"),
    };
}
