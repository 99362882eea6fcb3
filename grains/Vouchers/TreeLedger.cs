using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// The voucher rules of DOMAIN.md as pure functions over one tree's state. Each operation validates
/// everything first and changes the state only when it succeeds, so a fault leaves the tree untouched.
/// The grain adds what needs the outside world: participants' roles, the clock, limits and facilities.
/// </summary>
public sealed partial class TreeLedger(VoucherTreeState state, string rootId, PlatformRules rules)
{
    public VoucherTreeState State => state;

    public static Fault? ValidateIssue(IssueVoucher command, Role? beneficiaryRole, DateOnly today, PlatformRules rules)
    {
        if (beneficiaryRole != Role.Supplier)
            return Fault.Validation("beneficiaryId", "The beneficiary must be a supplier on the platform.");
        if (command.MaturityDate <= today)
            return new Fault(FaultCodes.Tenor, 400, "The maturity date must be later than today.", "maturityDate");
        if (command.MaturityDate > today.AddDays(rules.MaxTenorDays))
            return new Fault(FaultCodes.Tenor, 400, $"The maturity date may be at most {rules.MaxTenorDays} days out.", "maturityDate");
        return null;
    }

    public Voucher CreateRoot(string obligorId, IssueVoucher command, DateOnly today)
    {
        state.ObligorId = obligorId;
        state.FaceFen = command.Amount.Fen;
        state.IssueDate = today;
        state.MaturityDate = command.MaturityDate;
        state.OrderId = command.OrderId;
        state.BeneficiaryId = command.BeneficiaryId;
        state.NextSequence = 1;
        state.Fragments.Add(new FragmentState
        {
            Id = rootId,
            HolderId = command.BeneficiaryId,
            AmountFen = command.Amount.Fen,
            Tier = 1,
            Status = VoucherStatus.Pending,
            IssueDate = today,
            PendingSince = today,
        });
        return View(state.Fragments[0]);
    }

    /// <summary>
    /// The closed loop: the root passes at once into one financed fragment per loan it repays, held by that loan's
    /// funder, and the rest, active, for the supplier (who agreed to this when it borrowed against the order).
    /// </summary>
    public void ApplyClosedLoop(IReadOnlyList<ClosedLoopPart> parts, DateOnly today)
    {
        var root = state.Fragments[0];
        var paid = parts.Where(p => p.FragmentId is not null).ToList();
        if (paid.Count == 0) return;
        root.Status = VoucherStatus.Split;
        var next = 1;
        foreach (var p in paid)
        {
            var f = AddFragment(p.FragmentId!, root.Id, p.FunderId, root.HolderId, p.AmountFen, root.Tier, VoucherStatus.Financed, today);
            f.FunderHeld = true;
            next = Math.Max(next, int.Parse(p.FragmentId!.AsSpan(p.FragmentId!.IndexOf('-') + 1)) + 1);
        }
        var rest = root.AmountFen - paid.Sum(p => p.AmountFen);
        state.NextSequence = next;
        if (rest > 0) NewFragment(root.Id, root.HolderId, null, rest, root.Tier, VoucherStatus.Active, today);
    }

    public bool IsLongTenor => state.MaturityDate.DayNumber - state.IssueDate.DayNumber > rules.LongTenorDays;

    public FragmentState? Find(string fragmentId) => state.FindFragment(fragmentId);

    /// <summary>Obligor, holder, sender (holder of its parent), operator and risk staff see a fragment; nobody else.</summary>
    public bool CanSee(Caller caller, FragmentState f)
    {
        if (caller.Role == Role.Operator) return true;
        if (caller.Role == Role.Risk) return caller.FunderScope is null || caller.FunderScope == f.HolderId;
        if (caller.Id == state.ObligorId || caller.Id == f.HolderId || caller.Id == f.SenderId) return true;
        var parent = f.ParentId is null ? null : Find(f.ParentId);
        return parent is not null && parent.HolderId == caller.Id;
    }

    public Outcome<FragmentState> Visible(Caller caller, string fragmentId)
    {
        var f = Find(fragmentId);
        return f is not null && CanSee(caller, f) ? Outcome<FragmentState>.Ok(f) : Fault.NotFound("Voucher");
    }

    /// <summary>The obligor, the operator and risk staff; staff scoped to a funder only where that funder holds part of the tree.</summary>
    public bool CanSeeTree(Caller caller) => caller.Role switch
    {
        Role.Operator => true,
        Role.Risk => caller.FunderScope is null || state.Fragments.Any(f => f.HolderId == caller.FunderScope),
        _ => caller.Id == state.ObligorId,
    };

    public Outcome<Voucher> Accept(Caller caller, string fragmentId)
    {
        var found = RecipientOfPending(caller, fragmentId);
        if (!found.IsOk) return found.Fault!;
        var f = found.Value!;
        f.Status = VoucherStatus.Active;
        return Outcome<Voucher>.Ok(View(f));
    }

    /// <summary>Rejects a pending fragment: a root is cancelled; a transfer's amount returns to the sender as a new active fragment.</summary>
    public Outcome<(Voucher Rejected, Voucher? Returned)> Reject(Caller caller, string fragmentId, DateOnly today)
    {
        var found = RecipientOfPending(caller, fragmentId);
        if (!found.IsOk) return found.Fault!;
        var (rejected, returned) = RejectPending(found.Value!, today);
        return Outcome<(Voucher, Voucher?)>.Ok((View(rejected), returned is null ? null : View(returned)));
    }

    private (FragmentState Rejected, FragmentState? Returned) RejectPending(FragmentState f, DateOnly on)
    {
        if (f.SenderId is null)
        {
            f.Status = VoucherStatus.Cancelled;
            return (f, null);
        }
        f.Status = VoucherStatus.Rejected;
        return (f, NewFragment(f.Id, f.SenderId, null, f.AmountFen, f.Tier - 1, VoucherStatus.Active, on));
    }

    /// <summary>
    /// Applies, in date order, what the calendar did since the tree was last touched: pending fragments left
    /// unanswered for PendingExpiryDays are rejected (a root is cancelled); the day after maturity every live
    /// fragment is overdue; DefaultAfterOverdueDays after maturity, still unpaid, defaulted. Idempotent: running
    /// it again on the same or an earlier date changes nothing, and a late run catches up fully.
    /// </summary>
    public CatchUp CatchUp(DateOnly today)
    {
        var touched = new List<FragmentState>();
        var cancelled = false;
        foreach (var f in state.Fragments.Where(f => f.Status == VoucherStatus.Pending).ToList())
        {
            var deadline = f.PendingSince.AddDays(rules.PendingExpiryDays);
            if (deadline > today || deadline > state.MaturityDate) continue;
            var (rejected, returned) = RejectPending(f, deadline);
            cancelled |= rejected.Status == VoucherStatus.Cancelled;
            touched.Add(rejected);
            if (returned is not null) touched.Add(returned);
        }
        if (today > state.MaturityDate)
        {
            foreach (var f in state.Fragments.Where(f => f.Status is VoucherStatus.Pending or VoucherStatus.Active or VoucherStatus.Financed))
            {
                f.Status = VoucherStatus.Overdue;
                touched.Add(f);
            }
        }
        if (today >= state.MaturityDate.AddDays(rules.DefaultAfterOverdueDays))
        {
            foreach (var f in state.Fragments.Where(f => f.Status == VoucherStatus.Overdue))
            {
                f.Status = VoucherStatus.Defaulted;
                touched.Add(f);
            }
        }
        return new CatchUp(touched.Distinct().ToList(), cancelled);
    }

    public Outcome<SplitResult> Split(Caller caller, string fragmentId, IReadOnlyList<Money> amounts, DateOnly today)
    {
        var found = ActiveHeldBy(caller, fragmentId);
        if (!found.IsOk) return found.Fault!;
        var f = found.Value!;
        if (amounts.Count < 2 || amounts.Count > rules.MaxSplitChildren)
            return Fault.Validation("amounts", $"A split makes 2 to {rules.MaxSplitChildren} fragments.");
        var minimum = Money.FromYuan(rules.MinimumFragment);
        if (amounts.Any(a => a < minimum))
            return Fault.Validation("amounts", $"Each fragment must be at least {minimum}.");
        if (amounts.Sum(a => a.Fen) != f.AmountFen)
            return Fault.Validation("amounts", $"The amounts must sum to the fragment's amount, {new Money(f.AmountFen)}.");
        f.Status = VoucherStatus.Split;
        var children = amounts.Select(a => View(NewFragment(f.Id, f.HolderId, null, a.Fen, f.Tier, VoucherStatus.Active, today))).ToList();
        return Outcome<SplitResult>.Ok(new SplitResult(View(f), children));
    }

    public Outcome<TransferResult> Transfer(Caller caller, string fragmentId, string toId, Role? recipientRole, Money amount, DateOnly today)
    {
        var found = ActiveHeldBy(caller, fragmentId);
        if (!found.IsOk) return found.Fault!;
        var f = found.Value!;
        if (toId == caller.Id) return Fault.Validation("toId", "A fragment cannot be transferred to its holder.");
        if (toId == state.ObligorId) return Fault.Validation("toId", "A fragment cannot be transferred to its obligor.");
        if (recipientRole == Role.Funder) return Fault.Validation("toId", "Passing a fragment to a funder is a discount, not a transfer.");
        if (recipientRole != Role.Supplier) return Fault.Validation("toId", "The recipient must be a supplier on the platform.");
        var amountFault = CheckPart(f, amount);
        if (amountFault is not null) return amountFault;
        if (f.Tier + 1 > rules.MaxTier)
            return new Fault(FaultCodes.TierLimit, 409, $"A fragment may pass down at most to tier {rules.MaxTier}.");

        if (amount.Fen == f.AmountFen)
        {
            f.SenderId = f.HolderId;
            f.HolderId = toId;
            f.Tier += 1;
            f.Status = VoucherStatus.Pending;
            f.PendingSince = today;
            var moved = View(f);
            return Outcome<TransferResult>.Ok(new TransferResult(moved, moved, null));
        }
        f.Status = VoucherStatus.Transferred;
        var transferred = NewFragment(f.Id, toId, f.HolderId, amount.Fen, f.Tier + 1, VoucherStatus.Pending, today);
        var remainder = NewFragment(f.Id, f.HolderId, null, f.AmountFen - amount.Fen, f.Tier, VoucherStatus.Active, today);
        return Outcome<TransferResult>.Ok(new TransferResult(View(f), View(transferred), View(remainder)));
    }

    public Voucher View(FragmentState f) =>
        new(f.Id, rootId, f.ParentId, state.ObligorId, f.HolderId, new Money(f.AmountFen), f.IssueDate, state.MaturityDate,
            f.Tier, f.Status, state.OrderId);

    /// <summary>The sum of live fragments; equal to the face at every moment.</summary>
    public long LiveSumFen() => state.Fragments.Where(f => f.Status.IsLive()).Sum(f => f.AmountFen);

    private static Fault? CheckPart(FragmentState f, Money amount) =>
        amount.Fen > f.AmountFen
            ? Fault.Validation("amount", $"The amount may be at most the fragment's amount, {new Money(f.AmountFen)}.")
            : null;

    private Outcome<FragmentState> ActiveHeldBy(Caller caller, string fragmentId)
    {
        var visible = Visible(caller, fragmentId);
        if (!visible.IsOk) return visible;
        var f = visible.Value!;
        // The caller may see the fragment (it issued it, or held it before) but may not act on it: 403, not 409.
        if (f.HolderId != caller.Id) return Fault.Forbidden("Only the holder of a fragment may split, transfer or discount it.");
        if (f.Status != VoucherStatus.Active)
            return Fault.InvalidState($"The fragment is {f.Status.Wire()}; only an active fragment can be split, transferred or discounted.");
        return visible;
    }

    private Outcome<FragmentState> RecipientOfPending(Caller caller, string fragmentId)
    {
        var visible = Visible(caller, fragmentId);
        if (!visible.IsOk) return visible;
        var f = visible.Value!;
        if (f.HolderId != caller.Id) return Fault.Forbidden("Only the recipient of a pending fragment may accept or reject it.");
        if (f.Status != VoucherStatus.Pending) return Fault.InvalidState($"The fragment is {f.Status.Wire()}, not pending.");
        return visible;
    }

    private FragmentState NewFragment(string parentId, string holderId, string? senderId, long amountFen, int tier, VoucherStatus status, DateOnly today) =>
        AddFragment(Ids.Fragment(rootId, state.NextSequence++), parentId, holderId, senderId, amountFen, tier, status, today);

    private FragmentState AddFragment(string id, string parentId, string holderId, string? senderId, long amountFen, int tier, VoucherStatus status, DateOnly today)
    {
        var f = new FragmentState
        {
            Id = id, ParentId = parentId, HolderId = holderId, SenderId = senderId, AmountFen = amountFen,
            Tier = tier, Status = status, IssueDate = today, PendingSince = today,
        };
        state.Fragments.Add(f);
        return f;
    }
}

public sealed record CatchUp(IReadOnlyList<FragmentState> Touched, bool RootCancelled);

public sealed record DiscountPlan(string FragmentId, string FinancedId, bool Whole, Money Amount, int Days);
