namespace SupplyChain.Grains.Protocol;

// Stored shapes of an earlier build (until 2026-12), before the durable outbox: an outbox notice named its target's
// kind in its own kind. They are only read, when a row written then is loaded, and turned into Notices.

public enum LegacyLoanNoticeKind { OrderCommit, OrderOutstanding, FacilityCommit, FacilityUsage, FacilityClose, OrderRelease, FacilityRelease }

/// <summary>A loan's notice: the target was the loan's order or its facility, the item the loan itself.</summary>
public sealed class LegacyLoanNotice
{
    public LegacyLoanNoticeKind Kind { get; set; }
    public long AmountFen { get; set; }
    public long Version { get; set; }

    public Notice ToNotice(string loanId, EntityRef order, EntityRef facility) => Kind switch
    {
        LegacyLoanNoticeKind.OrderCommit => Notice.Commit(order, loanId),
        LegacyLoanNoticeKind.OrderOutstanding => Notice.SetAmount(order, loanId, AmountFen, Version),
        LegacyLoanNoticeKind.OrderRelease => Notice.Release(order, loanId),
        LegacyLoanNoticeKind.FacilityCommit => Notice.Commit(facility, loanId),
        LegacyLoanNoticeKind.FacilityUsage => Notice.SetAmount(facility, loanId, AmountFen, Version),
        LegacyLoanNoticeKind.FacilityClose => Notice.Close(facility, loanId),
        LegacyLoanNoticeKind.FacilityRelease => Notice.Release(facility, loanId),
        _ => throw new InvalidOperationException($"Unknown stored notice {Kind}"),
    };
}

public enum LegacyTreeNoticeKind { ObligorCommit, ObligorClose, FacilityCommit, FacilityClose, LoanSettle, LoanRelease, OrderCommit, OrderReopen }

/// <summary>A voucher tree's notice: target and item were ids whose kind the notice kind named.</summary>
public sealed class LegacyTreeNotice
{
    public LegacyTreeNoticeKind Kind { get; set; }
    public string Target { get; set; } = "";
    public string Item { get; set; } = "";
    public long AmountFen { get; set; }

    public Notice ToNotice() => Kind switch
    {
        LegacyTreeNoticeKind.ObligorCommit => Notice.Commit(EntityRef.Obligor(Target), Item),
        LegacyTreeNoticeKind.ObligorClose => Notice.Close(EntityRef.Obligor(Target), Item),
        LegacyTreeNoticeKind.FacilityCommit => Notice.Commit(EntityRef.Facility(Target), Item),
        LegacyTreeNoticeKind.FacilityClose => Notice.Close(EntityRef.Facility(Target), Item),
        LegacyTreeNoticeKind.LoanSettle => Notice.Settle(Target, Item, AmountFen),
        LegacyTreeNoticeKind.LoanRelease => Notice.Unpin(Target, Item),
        LegacyTreeNoticeKind.OrderCommit => Notice.Commit(EntityRef.Order(Target), Item),
        LegacyTreeNoticeKind.OrderReopen => Notice.Reopen(Target, Item),
        _ => throw new InvalidOperationException($"Unknown stored notice {Kind}"),
    };
}
