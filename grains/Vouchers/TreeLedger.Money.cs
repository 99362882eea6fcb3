using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Vouchers;

/// <summary>The rules that move money out of a tree: a discount to a funder, and the obligor's repayment at maturity.</summary>
public sealed partial class TreeLedger
{
    /// <summary>Checks a discount and fixes the id of the fragment the funder will hold; nothing changes yet.</summary>
    public Outcome<DiscountPlan> PlanDiscount(Caller caller, string fragmentId, Role? funderRole, Money amount, DateOnly today)
    {
        var found = ActiveHeldBy(caller, fragmentId);
        if (!found.IsOk) return found.Fault!;
        var f = found.Value!;
        if (funderRole != Role.Funder) return Fault.Validation("funderId", "The buyer of a discounted fragment must be a funder.");
        var amountFault = CheckPart(f, amount);
        if (amountFault is not null) return amountFault;
        var days = Pricing.Days(today, state.MaturityDate);
        if (days < rules.MinimumDiscountTenorDays)
            return new Fault(FaultCodes.Tenor, 409, $"A discount needs at least {rules.MinimumDiscountTenorDays} day(s) to maturity.");
        var whole = amount.Fen == f.AmountFen;
        var financedId = whole ? f.Id : Ids.Fragment(rootId, state.NextSequence);
        return Outcome<DiscountPlan>.Ok(new DiscountPlan(f.Id, financedId, whole, amount, days));
    }

    /// <summary>Reserves the sequence numbers a partial discount will use, so the planned ids stay valid across a crash.</summary>
    public void HoldSequence(DiscountPlan plan)
    {
        if (!plan.Whole) state.NextSequence += 2;
    }

    public Outcome<DiscountResult> ApplyDiscount(Caller caller, DiscountPlan plan, string funderId, decimal annualRate, DateOnly today)
    {
        var found = ActiveHeldBy(caller, plan.FragmentId);
        if (!found.IsOk) return found.Fault!;
        var f = found.Value!;
        var charge = Pricing.Charge(plan.Amount, annualRate, plan.Days, rules.DayCountBasis);
        var proceeds = plan.Amount - charge;
        if (proceeds.Fen <= 0) return Fault.InvalidState("The discount charge would take all of the amount.");
        var seller = f.HolderId;
        FragmentState financed;
        FragmentState? remainder = null;
        if (plan.Whole)
        {
            f.SenderId = seller;
            f.HolderId = funderId;
            f.Status = VoucherStatus.Financed;
            f.FunderHeld = true;
            financed = f;
        }
        else
        {
            f.Status = VoucherStatus.Transferred;
            var sequence = int.Parse(plan.FinancedId.AsSpan(plan.FinancedId.IndexOf('-') + 1));
            financed = AddFragment(Ids.Fragment(rootId, sequence), f.Id, funderId, seller, plan.Amount.Fen, f.Tier, VoucherStatus.Financed, today);
            financed.FunderHeld = true;
            remainder = AddFragment(Ids.Fragment(rootId, sequence + 1), f.Id, seller, null, f.AmountFen - plan.Amount.Fen, f.Tier, VoucherStatus.Active, today);
        }
        return Outcome<DiscountResult>.Ok(new DiscountResult(View(f), View(financed), remainder is null ? null : View(remainder),
            proceeds, charge, annualRate, plan.Days));
    }

    public Outcome<RepayResult> Repay(Caller caller, DateOnly today)
    {
        var root = state.Fragments[0];
        if (caller.Id != state.ObligorId) return Fault.NotFound("Voucher");
        if (today < state.MaturityDate)
            return Fault.InvalidState($"The voucher matures on {state.MaturityDate:yyyy-MM-dd}; it can be repaid on or after that date.");
        var live = state.Fragments.Where(x => x.Status.IsLive()).ToList();
        if (live.Count == 0) return Fault.InvalidState($"The voucher is {root.Status.Wire()}; there is nothing to repay.");
        foreach (var f in live) f.Status = VoucherStatus.Settled;
        var payments = live.GroupBy(f => f.HolderId)
            .Select(g => new Payment(state.ObligorId, g.Key, new Money(g.Sum(f => f.AmountFen)), "settlement"))
            .ToList();
        return Outcome<RepayResult>.Ok(new RepayResult(View(root), live.Select(View).ToList(), payments));
    }
}
