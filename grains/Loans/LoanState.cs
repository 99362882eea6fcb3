using System.Text.Json.Serialization;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

public enum LoanPhase
{
    /// <summary>Nothing stored yet.</summary>
    None,
    /// <summary>Intent stored; room on what the loan draws on and on the facility may or may not be reserved.</summary>
    Originating,
    Disbursed,
    /// <summary>Refused or abandoned; the id can never become a loan.</summary>
    Aborted,
}

/// <summary>The whole loan: one grain state, one write per change.</summary>
public sealed class LoanState : IOutboxState
{
    public LoanPhase Phase { get; set; }
    public string OriginationOperationId { get; set; } = "";
    public Fault? AbortedBecause { get; set; }

    internal IntentState Intent => Phase switch
    {
        LoanPhase.Originating => IntentState.Started,
        LoanPhase.Disbursed => IntentState.Done,
        LoanPhase.Aborted => IntentState.Aborted,
        _ => IntentState.None,
    };

    public string BorrowerId { get; set; } = "";
    public string FunderId { get; set; } = "";
    /// <summary>What the loan draws on (<see cref="ILoanBase"/>): an order today, a guarantee group or a credit line next.</summary>
    public EntityRef? DrawsOn { get; set; }
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

    /// <summary>Effects on what the loan draws on and on the facility, stored with the change that caused them.</summary>
    public List<Notice> Notices { get; set; } = new();

    public List<ExposureEvent> ExposureOutbox { get; set; } = new();

    /// <summary>The position last announced in an exposure event.</summary>
    public ExposurePosition? Exposed { get; set; }

    public List<PendingAlert> PendingAlerts { get; set; } = new();

    /// <summary>The risk pool the loan is enrolled in, and the enrollment that did it.</summary>
    public string? PoolId { get; set; }
    public string? EnrollOperationId { get; set; }

    /// <summary>An enrollment whose intent is stored and whose cover may be reserved, not yet committed.</summary>
    public EnrollmentIntent? Enrolling { get; set; }

    /// <summary>The loss waterfall of a loan that defaulted in a group or a pool: its durable steps, each stored as it completes.</summary>
    public WaterfallState? Waterfall { get; set; }

    // Stored before the durable outbox and the draws-on reference (until 2026-12): read once by Upgrade, never written.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? OrderId { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("Outbox")] public List<LegacyLoanNotice>? LegacyOutbox { get; set; }

    /// <summary>Brings a row stored by an earlier build to this shape; <paramref name="loanId"/> is the grain's key.</summary>
    public void Upgrade(string loanId)
    {
        if (OrderId is not null) DrawsOn ??= EntityRef.Order(OrderId);
        if (LegacyOutbox is not null && DrawsOn is not null)
            Notices.InsertRange(0, LegacyOutbox.Select(n => n.ToNotice(loanId, DrawsOn, EntityRef.Facility(Ids.Facility(FunderId, BorrowerId)))));
        (OrderId, LegacyOutbox) = (null, null);
    }
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
    public DateOnly On { get; set; }
    public long PayoffFen { get; set; }
    public DateTimeOffset ReservedAt { get; set; }
}

public sealed class WaterfallState
{
    /// <summary>Outstanding principal + interest accrued to the default date, fixed when the loan defaulted.</summary>
    public long LossFen { get; set; }

    /// <summary>What the group called from each other member (none outside a group); null until step 1 is taken.</summary>
    public List<WaterfallCall>? Calls { get; set; }

    /// <summary>What the pool paid (zero outside a pool); null until step 2 is taken.</summary>
    public long? PoolPaymentFen { get; set; }
}

public sealed class EnrollmentIntent
{
    public string PoolId { get; set; } = "";
    public string OperationId { get; set; } = "";
}

public sealed class WaterfallCall
{
    public string MemberId { get; set; } = "";
    public long AmountFen { get; set; }

    /// <summary>What the member has paid of its call to the funder; the call's exposure is what is left.</summary>
    public long PaidFen { get; set; }

    /// <summary>The member's payments, by operation id: a retried payment answers as the first did.</summary>
    public List<CallPayment> Payments { get; set; } = new();
}

public sealed class CallPayment
{
    public string OperationId { get; set; } = "";
    public long AmountFen { get; set; }
    public DateOnly On { get; set; }
}
