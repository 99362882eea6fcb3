using SupplyChain.Grains.Common;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

public enum LoanPhase
{
    /// <summary>Nothing stored yet.</summary>
    None,
    /// <summary>Intent stored; room on the order and the facility may or may not be reserved.</summary>
    Originating,
    Disbursed,
    /// <summary>Refused or abandoned; the id can never become a loan.</summary>
    Aborted,
}

/// <summary>The whole loan: one grain state, one write per change.</summary>
public sealed class LoanState
{
    public LoanPhase Phase { get; set; }
    public string OriginationOperationId { get; set; } = "";
    public Fault? AbortedBecause { get; set; }

    public string BorrowerId { get; set; } = "";
    public string FunderId { get; set; } = "";
    public string? OrderId { get; set; }
    public long PrincipalFen { get; set; }
    public decimal AnnualRate { get; set; }
    public DateOnly DisbursedOn { get; set; }
    public DateOnly DueDate { get; set; }
    public LoanStatus Status { get; set; }

    public long OutstandingFen { get; set; }

    /// <summary>Interest accrued up to <see cref="AccruedTo"/> and not yet paid (whole fen).</summary>
    public long InterestDueFen { get; set; }

    /// <summary>The day up to which interest is in <see cref="InterestDueFen"/>; the running period starts here.</summary>
    public DateOnly AccruedTo { get; set; }

    public long InterestPaidFen { get; set; }

    /// <summary>Incremented on every write; orders the notices to the order and the facility, and fences the read model.</summary>
    public long Version { get; set; }

    public List<RepaymentRecord> Repayments { get; set; } = new();

    /// <summary>A voucher against the order that will repay this loan, pinned until it settles or is released.</summary>
    public PendingSettlement? PendingSettlement { get; set; }

    /// <summary>Effects on the order and the facility, stored with the change that caused them.</summary>
    public List<LoanNotice> Outbox { get; set; } = new();

    public List<ExposureEvent> ExposureOutbox { get; set; } = new();

    /// <summary>The position last announced in an exposure event.</summary>
    public ExposurePosition? Exposed { get; set; }

    public List<PendingAlert> PendingAlerts { get; set; } = new();
}

public sealed class RepaymentRecord
{
    /// <summary>The repay operation's id (cash), or the paying voucher's root id (closed loop).</summary>
    public string OperationId { get; set; } = "";
    public DateOnly On { get; set; }
    public long AmountFen { get; set; }
    public long InterestFen { get; set; }
    public long PrincipalFen { get; set; }
    public string Source { get; set; } = "cash";
    public string? VoucherId { get; set; }
}

public sealed class PendingSettlement
{
    public string RootId { get; set; } = "";
    public string ObligorId { get; set; } = "";
    public DateOnly On { get; set; }
    public long PayoffFen { get; set; }
    public DateTimeOffset ReservedAt { get; set; }
}

public enum LoanNoticeKind
{
    OrderCommit,
    OrderOutstanding,
    FacilityCommit,
    FacilityUsage,
    FacilityClose,
    /// <summary>An aborted financing gives back the order's room (stored with the decision to abort).</summary>
    OrderRelease,
    /// <summary>An aborted financing gives back the facility's room (stored with the decision to abort).</summary>
    FacilityRelease,
}

public sealed class LoanNotice
{
    public LoanNoticeKind Kind { get; set; }
    public long AmountFen { get; set; }
    public long Version { get; set; }
}
