using System.Globalization;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Credit;

/// <summary>
/// The rules of a supplier's credit as pure functions over its stored state: what an exposure event means for it, the
/// score's inputs, the lines' figures and the early-warning conditions. The grain adds storage, time and messages.
/// </summary>
public sealed class CreditProfile(SupplierCreditState s, string supplierId, Scorecard scorecard)
{
    private CreditRules Rules => scorecard.Rules;

    /// <summary>A guarantee call's event (made, or paid): its instrument is "loan:call:member".</summary>
    public static bool IsGuaranteeCall(ExposureEvent e) => e.InstrumentId.Contains(":call:", StringComparison.Ordinal);

    /// <summary>
    /// The supplier whose credit an event changes, or null: the borrower of a loan, the member a guarantee call is on, or the
    /// supplier that accepted a voucher fragment (a root issued to it, or a part passed to it) that pays no order (the order
    /// counted when it was placed). The risk grains route by this; the credit grain applies by the same rule.
    /// </summary>
    public static string? SupplierConcerned(ExposureEvent e) =>
        IsGuaranteeCall(e) || Ids.IsLoan(e.InstrumentId) ? e.ObligorId
        : e.Kind == "accepted" && e.OrderId is null && e.After is { HolderRole: "supplier", Status: "active" } after ? after.HolderId
        : null;

    /// <summary>A voucher of the obligor fell overdue or defaulted, or stopped being so: the standing of a core changed.</summary>
    public static bool ChangesCoreStanding(ExposureEvent e) =>
        !Ids.IsLoan(e.InstrumentId) && !IsGuaranteeCall(e) &&
        (e.Before?.Status is "overdue" or "defaulted" || e.After?.Status is "overdue" or "defaulted");

    /// <summary>A voucher fragment this supplier received (see <see cref="SupplierConcerned"/>).</summary>
    public bool IsReceipt(ExposureEvent e) =>
        !IsGuaranteeCall(e) && !Ids.IsLoan(e.InstrumentId) && SupplierConcerned(e) == supplierId;

    public void AddReceipt(string id, string coreId, long amountFen, DateOnly on)
    {
        if (amountFen <= 0)
        {
            s.Receipts.Remove(id);
            return;
        }
        s.Receipts[id] = new ReceiptState { CoreId = coreId, AmountFen = amountFen, On = on };
        if (s.FirstReceiptOn is null || on < s.FirstReceiptOn) s.FirstReceiptOn = on;
    }

    /// <summary>
    /// A guarantee call made ("loan:call:member") or paid ("loan:call:member:n"): what is owed is the newest event's amount,
    /// so a late re-delivery of an older one changes nothing.
    /// </summary>
    public void ApplyCallEvent(ExposureEvent e)
    {
        var sequence = e.Id.Length > e.InstrumentId.Length && long.TryParse(e.Id.AsSpan(e.InstrumentId.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : 0;
        if (s.CallsOwed.TryGetValue(e.InstrumentId, out var known) && known.Sequence > sequence) return;
        s.CallsOwed[e.InstrumentId] = new CallOwed { AmountFen = e.After?.AmountFen ?? 0, Sequence = sequence };
    }

    /// <summary>Applies one of the supplier's own loan events. Returns (became overdue, repaid in full on time).</summary>
    public (bool BecameOverdue, bool RepaidOnTime) ApplyLoanEvent(ExposureEvent e, DateOnly today)
    {
        var loan = s.Loans.TryGetValue(e.InstrumentId, out var known) ? known : s.Loans[e.InstrumentId] = new LoanRecord();
        loan.DueDate ??= e.DueDate;
        var becameOverdue = false;
        if (e.After?.Status is "overdue" or "defaulted" && !loan.WasOverdue)
        {
            loan.WasOverdue = true;
            becameOverdue = true;
        }
        if (e.After?.Status == "defaulted") loan.Defaulted = true;
        var version = VersionOf(e.Id);
        if (version >= loan.Version)
        {
            loan.Version = version;
            loan.OutstandingFen = e.After?.AmountFen ?? 0;
        }
        var repaidOnTime = false;
        if (e.After is null && e.Before is not null && loan.ClosedOn is null)
        {
            loan.ClosedOn = e.On ?? today;
            repaidOnTime = loan.RepaidOnTime = !loan.WasOverdue && (loan.DueDate is null || loan.ClosedOn <= loan.DueDate);
        }
        return (becameOverdue, repaidOnTime);
    }

    /// <summary>A loan's event id is "loan:version:loan".</summary>
    private static long VersionOf(string eventId)
    {
        var parts = eventId.Split(':');
        return parts.Length == 3 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    public IEnumerable<ReceiptState> ReceivedWithin(DateOnly today, int fromDaysAgo, int toDaysAgo) =>
        s.Receipts.Values.Where(r => r.On > today.AddDays(-fromDaysAgo) && r.On <= today.AddDays(-toDaysAgo));

    public long ReceivedInWindowFen(DateOnly today) => ReceivedWithin(today, Rules.ReceiptWindowDays, 0).Sum(r => r.AmountFen);

    /// <summary>Cores whose vouchers or orders it received in the receipt window: those it sells to.</summary>
    public IReadOnlyList<string> CoresSoldTo(DateOnly today) =>
        ReceivedWithin(today, Rules.ReceiptWindowDays, 0).Select(r => r.CoreId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    public ScoreInputs Inputs(DateOnly today)
    {
        var window = ReceivedWithin(today, Rules.ReceiptWindowDays, 0).ToList();
        var received = window.Sum(r => r.AmountFen);
        var largest = window.GroupBy(r => r.CoreId).Select(g => g.Sum(r => r.AmountFen)).DefaultIfEmpty(0).Max();
        return new ScoreInputs(
            DaysOnPlatform: s.FirstReceiptOn is { } first ? Math.Max(0, today.DayNumber - first.DayNumber) : 0,
            DistinctCores: window.Select(r => r.CoreId).Distinct().Count(),
            ReceivedLast180DaysFen: received,
            // Nothing received is nothing spread: counted as all from one core.
            LargestCoreShare: received == 0 ? 1m : decimal.Round((decimal)largest / received, 4, MidpointRounding.AwayFromZero),
            LoansRepaidOnTime: s.Loans.Values.Count(l => l.RepaidOnTime),
            OverdueDays: s.Loans.Values.Where(l => l.WasOverdue && l.DueDate is not null)
                .Sum(l => Math.Max(0, (l.ClosedOn ?? today).DayNumber - l.DueDate!.Value.DayNumber)),
            Defaults: s.Loans.Values.Count(l => l.Defaulted),
            GuaranteeCallsOwedFen: s.CallsOwed.Values.Sum(c => c.AmountFen));
    }

    public CreditScore Score(DateOnly today)
    {
        var (score, grade, factors) = scorecard.Score(Inputs(today));
        return new CreditScore(supplierId, score, grade, factors, today);
    }

    /// <summary>The line a policy gives on what was received in the window: the share of it, at most the maximum, in whole fen.</summary>
    public long Figure(decimal lineShare, long maxLimitFen, DateOnly today) =>
        Math.Min(maxLimitFen, (long)decimal.Floor(ReceivedInWindowFen(today) * lineShare));

    public static long UsedFen(LineState line) => line.Draws.Values.Sum(d => d.AmountFen);

    /// <summary>A condition that warrants a signal now, by key (one open signal per key).</summary>
    public sealed record Condition(string Key, string Kind, Dictionary<string, string> Evidence, string Description);

    /// <summary>The four conditions of DOMAIN.md's early warning, as the stored state and today say.</summary>
    public IReadOnlyList<Condition> Conditions(DateOnly today)
    {
        var conditions = new List<Condition>();
        var recent = ReceivedWithin(today, Rules.WarningWindowDays, 0).Sum(r => r.AmountFen);
        var before = ReceivedWithin(today, Rules.WarningWindowDays + Rules.ReceiptWindowDays, Rules.WarningWindowDays).Sum(r => r.AmountFen);
        var months = Rules.ReceiptWindowDays / 30m;
        var monthlyAverage = before / months;
        if (before > 0 && recent < monthlyAverage / 2)
            conditions.Add(new("falling_receipts", "falling_receipts", new()
            {
                ["receivedLast30Days"] = Yuan(recent),
                ["monthlyAverageBefore"] = Yuan((long)decimal.Round(monthlyAverage, MidpointRounding.AwayFromZero)),
                ["windowDays"] = Rules.ReceiptWindowDays.ToString(CultureInfo.InvariantCulture),
            }, $"received {Yuan(recent)} in the last {Rules.WarningWindowDays} days, under half the monthly average of {Yuan((long)monthlyAverage)} before"));
        foreach (var (core, standing) in s.TroubledCores.OrderBy(c => c.Key, StringComparer.Ordinal))
            conditions.Add(new($"core_overdue:{core}", "core_overdue", new()
            {
                ["coreId"] = core,
                ["overdue"] = Yuan(standing.OverdueFen),
                ["defaulted"] = Yuan(standing.DefaultedFen),
            }, $"core {core} it sells to has {Yuan(standing.OverdueFen)} overdue and {Yuan(standing.DefaultedFen)} defaulted"));
        var owed = s.CallsOwed.Values.Sum(c => c.AmountFen);
        if (owed > 0)
            conditions.Add(new("guarantor_called", "guarantor_called", new()
            {
                ["owed"] = Yuan(owed),
                ["calls"] = string.Join(",", s.CallsOwed.Where(c => c.Value.AmountFen > 0).Select(c => c.Key).Order(StringComparer.Ordinal)),
            }, $"called as a guarantor for {Yuan(owed)}"));
        foreach (var (loanId, loan) in s.Loans.Where(l => l.Value.WasOverdue && l.Value.ClosedOn is null).OrderBy(l => l.Key, StringComparer.Ordinal))
            conditions.Add(new($"loan_overdue:{loanId}", "loan_overdue", new()
            {
                ["loanId"] = loanId,
                ["dueDate"] = loan.DueDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
                ["outstandingPrincipal"] = Yuan(loan.OutstandingFen),
                ["defaulted"] = loan.Defaulted ? "true" : "false",
            }, $"its loan {loanId} is {(loan.Defaulted ? "defaulted" : "overdue")} with {Yuan(loan.OutstandingFen)} principal unpaid"));
        return conditions;
    }

    /// <summary>Forgets receipts and seen events older than any window looks at.</summary>
    public void AgeOut(DateOnly today)
    {
        var horizon = today.AddDays(-(Rules.ReceiptWindowDays + Rules.WarningWindowDays));
        foreach (var id in s.Receipts.Where(r => r.Value.On <= horizon).Select(r => r.Key).ToList()) s.Receipts.Remove(id);
        foreach (var id in s.Seen.Where(r => r.Value <= horizon).Select(r => r.Key).ToList()) s.Seen.Remove(id);
    }

    private static string Yuan(long fen) => new Money(fen).ToString();
}
