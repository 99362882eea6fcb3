using System.Text.Json.Serialization;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

public enum TreePhase
{
    /// <summary>Nothing stored yet.</summary>
    None,
    /// <summary>Issuance intent stored; the obligor's limit may or may not be reserved.</summary>
    Issuing,
    Issued,
    /// <summary>Issuance refused or abandoned; the id can never be issued.</summary>
    Aborted,
}

/// <summary>
/// The whole voucher tree: one grain state, one fenced write per operation. The fragments and the applied operations are
/// stored as rows beside the state's row, in the same write, so that what a write sends does not grow with the tree.
/// </summary>
public sealed class VoucherTreeState : IOutboxState, IWritesAlongside
{
    private SupplyChain.Db.Alongside? _alongside;

    /// <summary>The read model's rows for the next write to carry (not stored: taken by the storage).</summary>
    public void WriteAlongside(SupplyChain.Db.Alongside? alongside) => _alongside = alongside;

    public SupplyChain.Db.Alongside? TakeAlongside()
    {
        var taken = _alongside;
        _alongside = null;
        return taken;
    }

    public TreePhase Phase { get; set; }
    public string ObligorId { get; set; } = "";
    public long FaceFen { get; set; }
    public DateOnly IssueDate { get; set; }
    public DateOnly MaturityDate { get; set; }
    public string? OrderId { get; set; }
    public string? BeneficiaryId { get; set; }
    public string? IssueOperationId { get; set; }
    public Fault? AbortedBecause { get; set; }

    internal IntentState Intent => Phase switch
    {
        TreePhase.Issuing => IntentState.Started,
        TreePhase.Issued => IntentState.Done,
        TreePhase.Aborted => IntentState.Aborted,
        _ => IntentState.None,
    };

    /// <summary>Next fragment sequence number; the root is 0 and has the root id itself.</summary>
    public int NextSequence { get; set; }

    /// <summary>Incremented on every write; fences the read model.</summary>
    public long Version { get; set; }

    /// <summary>The tree's fragments, the root first; stored one row each, so that a write sends only those that changed.</summary>
    [StoredAsRows(IdProperty = nameof(FragmentState.Id))]
    public List<FragmentState> Fragments { get; set; } = new();

    // Not stored: fragments [0, _tracked) of _trackedList are indexed by id in _byId and write each change to _changed,
    // with their place in the list. Fragments are only ever appended (never removed or reordered); a replaced list, or
    // an index that disagrees with the list, starts the tracking again from the whole list.
    private List<FragmentState>? _trackedList;
    private int _tracked;
    private Dictionary<string, FragmentState> _byId = new(StringComparer.Ordinal);
    private readonly List<FragmentState> _changed = new();
    /// <summary>The next <see cref="TakeChangedFragments"/> answers the whole list (a fresh state, an overflowed log, a restart).</summary>
    private bool _takeWhole = true;

    /// <summary>Brings the index and the log up to the list: appended fragments are indexed and logged as changed.</summary>
    private void Track()
    {
        if (!ReferenceEquals(_trackedList, Fragments) || _tracked > Fragments.Count) Restart();
        for (var i = _tracked; i < Fragments.Count; i++)
        {
            var f = Fragments[i];
            f.Log = this;
            f.Position = i;
            _byId.TryAdd(f.Id, f); // the first of a duplicated id, as the list finds it
            Logged(f);
        }
        _trackedList = Fragments;
        _tracked = Fragments.Count;
    }

    private void Restart()
    {
        _byId = new Dictionary<string, FragmentState>(Fragments.Count, StringComparer.Ordinal);
        _tracked = 0;
        _takeWhole = true;
        _changed.Clear();
    }

    internal void Logged(FragmentState fragment)
    {
        if (_takeWhole) return;
        if (_changed.Count >= Math.Max(64, Fragments.Count)) { _takeWhole = true; _changed.Clear(); return; }
        _changed.Add(fragment);
    }

    /// <summary>
    /// The fragment with this id, or null, without walking the list (a split in a tree of 20,000 fragments spent a fifth
    /// of its CPU looking fragments up one by one). The list stays the truth: an id the index does not know is looked
    /// for in the list, and a hit is checked against the fragment's id.
    /// </summary>
    public FragmentState? FindFragment(string id)
    {
        Track();
        if (_byId.TryGetValue(id, out var indexed) && indexed.Id == id) return indexed;
        var found = Fragments.Find(f => f.Id == id);
        if (found is not null || indexed is not null)
        {
            Restart(); // the index disagreed with the list
            Track();
        }
        return found;
    }

    /// <summary>
    /// The fragments that may have changed since the last call, in the list's order: those whose setters logged a change,
    /// and those appended. The first call on a state (and any call after the log overflowed or the tracking restarted)
    /// answers the whole list. Lets the per-command exposure step look at what a command touched instead of walking the
    /// whole tree (a split in a tree of 20,000 fragments spent a third of its CPU on that walk).
    /// </summary>
    public List<FragmentState> TakeChangedFragments()
    {
        Track();
        List<FragmentState> taken;
        if (_takeWhole) taken = new List<FragmentState>(Fragments);
        else
        {
            // A fragment counts only while it stands at its place in the current list (an old list's fragments may still log).
            var seen = new HashSet<FragmentState>(ReferenceEqualityComparer.Instance);
            taken = _changed.Where(f => f.Log == this && f.Position < Fragments.Count && ReferenceEquals(Fragments[f.Position], f) && seen.Add(f)).ToList();
            taken.Sort((a, b) => a.Position.CompareTo(b.Position));
        }
        _changed.Clear();
        _takeWhole = false;
        return taken;
    }

    /// <summary>
    /// Operations that took effect, by operation id, so that a retry returns the first result. A record is complete when
    /// it is added and never changes afterwards: stored one row each, written once.
    /// </summary>
    [StoredAsRows(Immutable = true)]
    public Dictionary<string, OperationRecord> Operations { get; set; } = new();

    /// <summary>Discounts whose facility reservation was asked for but which have not taken effect.</summary>
    public List<PendingDiscount> PendingDiscounts { get; set; } = new();

    public List<PaymentRecord> Payments { get; set; } = new();

    /// <summary>Effects on other grains stored with the change that caused them, delivered until each receiver answered.</summary>
    public List<Notice> Notices { get; set; } = new();

    public List<PendingAlert> PendingAlerts { get; set; } = new();

    /// <summary>
    /// Exposure events stored with the change that caused them, re-sent until the risk grain acknowledges them. Stored a
    /// row each (written once, deleted when acknowledged): under load the unacknowledged ones pile up and must not be
    /// rewritten by every write. Their order does not matter (applied as deltas, events commute).
    /// </summary>
    [StoredAsRows(IdProperty = nameof(SupplyChain.Grains.Risk.ExposureEvent.Id), Immutable = true, Ordered = false)]
    public List<SupplyChain.Grains.Risk.ExposureEvent> ExposureOutbox { get; set; } = new();

    /// <summary>Issued against a financed order: the loans this voucher repays, what each owed, and the funders' parts.</summary>
    public List<ClosedLoopPart>? ClosedLoop { get; set; }

    /// <summary>Notices stored before the durable outbox (until 2026-12): read once by Upgrade, never written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("Outbox")]
    public List<LegacyTreeNotice>? LegacyOutbox { get; set; }

    /// <summary>Brings a row stored by an earlier build to this shape.</summary>
    public void Upgrade()
    {
        if (LegacyOutbox is null) return;
        Notices.InsertRange(0, LegacyOutbox.Select(n => n.ToNotice()));
        LegacyOutbox = null;
    }
}

public sealed class ClosedLoopPart
{
    public string LoanId { get; set; } = "";
    public string FunderId { get; set; } = "";
    /// <summary>What the loan owed on the issue day, as the loan pinned it; null until asked.</summary>
    public long? PayoffFen { get; set; }
    /// <summary>The part of the voucher that goes to the funder for this loan.</summary>
    public long AmountFen { get; set; }
    /// <summary>The financed fragment the funder holds for it (none when the voucher was used up by earlier loans).</summary>
    public string? FragmentId { get; set; }
}

/// <summary>
/// One fragment of the tree. Every change through a setter takes a new <see cref="ChangeStamps"/> stamp, so the code that
/// follows a write (its item rows, the read model, exposure events) looks only at fragments changed since it last looked,
/// not at the whole tree.
/// </summary>
public sealed class FragmentState : IChangeStamped
{
    private long _stamp;
    private string _id = "";
    private string? _parentId;
    private string _holderId = "";
    private string? _senderId;
    private long _amountFen;
    private int _tier;
    private VoucherStatus _status;
    private DateOnly _issueDate;
    private DateOnly _pendingSince;
    private bool _funderHeld;
    private SupplyChain.Grains.Risk.ExposurePosition? _exposed;

    public long ChangeStamp() => _stamp;

    /// <summary>The tree state whose change log this fragment writes to once the state tracks it (not stored).</summary>
    internal VoucherTreeState? Log;

    /// <summary>Where the fragment stands in its tree's list, noted when the state began tracking it (not stored).</summary>
    internal int Position;

    private T Changed<T>(T value)
    {
        _stamp = ChangeStamps.Next();
        Log?.Logged(this);
        return value;
    }

    public string Id { get => _id; set => _id = Changed(value); }
    public string? ParentId { get => _parentId; set => _parentId = Changed(value); }
    public string HolderId { get => _holderId; set => _holderId = Changed(value); }
    /// <summary>Who passed this fragment to its holder (transfer or discount); they still see it.</summary>
    public string? SenderId { get => _senderId; set => _senderId = Changed(value); }
    public long AmountFen { get => _amountFen; set => _amountFen = Changed(value); }
    public int Tier { get => _tier; set => _tier = Changed(value); }
    public VoucherStatus Status { get => _status; set => _status = Changed(value); }
    public DateOnly IssueDate { get => _issueDate; set => _issueDate = Changed(value); }

    /// <summary>When the fragment last became pending: its recipient has until this + PendingExpiryDays to answer.</summary>
    public DateOnly PendingSince { get => _pendingSince; set => _pendingSince = Changed(value); }

    /// <summary>Bought by its holder, a funder: counted in that funder's facility until it leaves the funder's hands.</summary>
    public bool FunderHeld { get => _funderHeld; set => _funderHeld = Changed(value); }

    /// <summary>The position last announced in an exposure event (null: not live, or never announced).</summary>
    public SupplyChain.Grains.Risk.ExposurePosition? Exposed { get => _exposed; set => _exposed = Changed(value); }
}

/// <summary>
/// An operation that took effect. Complete when added and never changed afterwards (its collection is immutable), so the
/// stamp of its creation is the only change stamp it needs.
/// </summary>
public sealed class OperationRecord : IChangeStamped
{
    private readonly long _stamp = ChangeStamps.Next();

    public long ChangeStamp() => _stamp;

    public string Kind { get; set; } = "";
    public List<string> FragmentIds { get; set; } = new();
    public long ChargeFen { get; set; }
    public long ProceedsFen { get; set; }
    public decimal AnnualRate { get; set; }
    public int Days { get; set; }
    public List<PaymentRecord> Payments { get; set; } = new();
}

public sealed class PendingDiscount
{
    public string OperationId { get; set; } = "";
    public string FacilityId { get; set; } = "";
    public string FragmentId { get; set; } = "";
}

public sealed class PaymentRecord
{
    public string OperationId { get; set; } = "";
    public string FromId { get; set; } = "";
    public string ToId { get; set; } = "";
    public long AmountFen { get; set; }
    public string Reason { get; set; } = "";
    public DateOnly On { get; set; }
}
