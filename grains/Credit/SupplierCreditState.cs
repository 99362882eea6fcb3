using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Credit;

/// <summary>A supplier's credit as stored: its aggregates, signals, lines and applications (see <see cref="ISupplierCreditGrain"/>).</summary>
public sealed class SupplierCreditState
{
    /// <summary>The first day anything was received (an order, a voucher): kept when the receipt itself has aged out.</summary>
    public DateOnly? FirstReceiptOn { get; set; }

    /// <summary>
    /// What was received in the windows the score and the early warning look at, by receipt id (event id, or order id).
    /// A row each (hundreds for a busy supplier): a write sends only the receipts it added or aged out.
    /// </summary>
    [StoredAsRows]
    public Dictionary<string, ReceiptState> Receipts { get; set; } = new();

    /// <summary>The supplier's own loans, as their exposure events told. A row each: a write sends only the loans it changed.</summary>
    [StoredAsRows]
    public Dictionary<string, LoanRecord> Loans { get; set; } = new();

    /// <summary>Guarantee calls the supplier was made to pay, by the call's instrument id: what it still owes.</summary>
    public Dictionary<string, CallOwed> CallsOwed { get; set; } = new();

    /// <summary>Exposure events applied, with their date: a re-delivery is ignored. Aged out with the receipts. A row each.</summary>
    [StoredAsRows]
    public Dictionary<string, DateOnly> Seen { get; set; } = new();

    /// <summary>Cores it sells to that were overdue or defaulted when last looked at, with the amounts (fen).</summary>
    public Dictionary<string, CoreStanding> TroubledCores { get; set; } = new();

    /// <summary>Open signals, and cleared ones until their clearing is projected.</summary>
    public List<SignalState> Signals { get; set; } = new();

    /// <summary>How many signals were ever raised: the next one's sequence, which makes its id.</summary>
    public int SignalsRaised { get; set; }

    public Dictionary<string, LineState> Lines { get; set; } = new();

    /// <summary>Decisions by operation id: a retried application answers as the first did. A row each, written once.</summary>
    [StoredAsRows(Immutable = true)]
    public Dictionary<string, ApplicationState> Applications { get; set; } = new();

    /// <summary>Funders the supplier applied to: they may see its score.</summary>
    public List<string> AskedBy { get; set; } = new();

    /// <summary>The last business date the profile looked at (the sweep wakes it once a day).</summary>
    public DateOnly EvaluatedOn { get; set; }

    public List<PendingAlert> PendingAlerts { get; set; } = new();
}

public sealed class ReceiptState
{
    public string CoreId { get; set; } = "";
    public long AmountFen { get; set; }
    public DateOnly On { get; set; }
}

public sealed class LoanRecord
{
    public DateOnly? DueDate { get; set; }
    public bool WasOverdue { get; set; }
    public bool Defaulted { get; set; }
    public DateOnly? ClosedOn { get; set; }
    public bool RepaidOnTime { get; set; }
    public long OutstandingFen { get; set; }

    /// <summary>The loan's version of the last event applied (from the event id): older news does not overwrite newer.</summary>
    public long Version { get; set; }
}

public sealed class CallOwed
{
    public long AmountFen { get; set; }

    /// <summary>The call's event this is from: 0 when made, n for its n-th payment.</summary>
    public long Sequence { get; set; }
}

public sealed class CoreStanding
{
    public long OverdueFen { get; set; }
    public long DefaultedFen { get; set; }
}

public sealed class SignalState
{
    public string Id { get; set; } = "";

    /// <summary>What the signal is about (its kind and subject): one open signal per key.</summary>
    public string Key { get; set; } = "";
    public string Kind { get; set; } = "";
    public Dictionary<string, string> Evidence { get; set; } = new();
    public DateTimeOffset RaisedAt { get; set; }
    public DateTimeOffset? ClearedAt { get; set; }

    /// <summary>The read model has this state of the signal (a cleared, projected signal leaves the grain's state).</summary>
    public bool Projected { get; set; }
}

public sealed class LineState
{
    public string FunderId { get; set; } = "";
    public string PolicyId { get; set; } = "";
    public long LimitFen { get; set; }
    public decimal AnnualRate { get; set; }
    public Grade Grade { get; set; }
    public DateOnly ExpiresOn { get; set; }
    public int MaxTermDays { get; set; }
    public Grade MinGrade { get; set; }
    public decimal LineShare { get; set; }
    public long MaxLimitFen { get; set; }
    public Dictionary<Grade, decimal> RatesByGrade { get; set; } = new();

    /// <summary>The reservation book of the line's draws, by loan id: amount = outstanding principal.</summary>
    public Dictionary<string, Reservation> Draws { get; set; } = new();
}

public sealed class ApplicationState
{
    public string FunderId { get; set; } = "";
    public bool Approved { get; set; }
    public List<string> Reasons { get; set; } = new();
    public CreditScore Score { get; set; } = null!;
}
