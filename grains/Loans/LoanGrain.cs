using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// One loan. Not reentrant: operations run one at a time, each one fenced write.
/// Origination follows reserve → commit/release keyed by the loan id: the intent is stored, then room is reserved
/// on what the loan draws on (an order: the financing ratio) and on the funder's lending facility on the borrower,
/// then the loan is disbursed in one write with the commit notices, which its durable outbox delivers.
/// The loan calls what it draws on and facilities, never a voucher tree; trees call loans. No call cycle can deadlock.
/// </summary>
public sealed partial class LoanGrain(
    [PersistentState("loan", Storage.Name)] IPersistentState<LoanState> state,
    PlatformClock clock,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    ILoanIndex index,
    IAlertStore alerts,
    ILogger<LoanGrain> logger) : Grain, ILoanGrain
{
    private DurableOutbox? _outbox;
    private ReservationSweep? _sweep;

    private LoanState S => state.State;
    private string LoanId => this.GetPrimaryKeyString();
    private LoanLedger Ledger => new(S, rules.Value);
    private EntityRef FacilityRef => EntityRef.Facility(Ids.Facility(S.FunderId, S.BorrowerId));
    private string? OrderId => S.DrawsOn is { Kind: EntityKind.Order } order ? order.Id : null;
    private string? GroupId => S.DrawsOn is { Kind: EntityKind.Group } group ? group.Id : null;
    private string? CreditLineId => S.DrawsOn is { Kind: EntityKind.CreditLine } line ? line.Id : null;

    /// <summary>A loan on an order takes its rate and room from the funder's facility; a group or a credit line sets its rate and is the limit.</summary>
    private bool DrawsOnFacility => S.DrawsOn?.Kind == EntityKind.Order;

    /// <summary>Loan exposure is on the borrower, a guarantee call's on the member called: each event goes on its obligor's stream.</summary>
    private DurableOutbox Outbox => _outbox ??= new DurableOutbox(this, GrainFactory, EntityRef.Loan(LoanId), () => S, logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Phase == LoanPhase.None) return;
        S.Upgrade(LoanId);
        // A process may have died after a write and before its notices, read model or events went out. None of this
        // may keep the loan from activating: what fails here is retried by the timer, the sweep or the next write.
        try
        {
            await Outbox.RecoverAsync();
            await AdvanceWaterfall();
            await Project();
            await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Loan {LoanId} could not finish its recovery on activation; it is retried later", LoanId);
        }
        EnsureSweep();
    }

    public async Task<Outcome<Loan>> Get(Caller caller)
    {
        // An activation that thinks the loan does not exist reads storage again: it may be a stale one.
        if (S.Phase != LoanPhase.Disbursed) await Reload();
        if (!await CanSee(caller)) return Fault.NotFound("Loan");
        var today = await TodayAsync();
        await CatchUp(today);
        return Outcome<Loan>.Ok(View(today));
    }

    public async Task<Outcome<Loan>> Repay(Caller caller, string operationId, Money amount)
    {
        if (S.Phase != LoanPhase.Disbursed) await Reload();
        if (S.Phase != LoanPhase.Disbursed || caller.Id != S.BorrowerId) return Fault.NotFound("Loan");
        var today = await TodayAsync();
        if (S.Repayments.Any(r => r.OperationId == operationId))
        {
            await Outbox.DeliverAsync(); // the first attempt may have died before its notices went out
            return Outcome<Loan>.Ok(View(today));
        }
        await CatchUp(today);
        if (S.Status == LoanStatus.Repaid) return Fault.InvalidState("The loan is repaid; nothing is owed.");
        if (S.PendingSettlement is not null)
            return Fault.Conflict("A voucher the buyer is issuing against the order is repaying this loan; retry shortly.");
        var owed = Ledger.PayoffOn(today);
        if (amount.Fen > owed)
            return Fault.Validation("amount", $"The amount may be at most what is owed today, {new Money(owed)} " +
                                              $"({new Money(Ledger.AccruedOn(today))} interest and {new Money(S.OutstandingFen)} principal).");
        var principalBefore = S.OutstandingFen;
        Ledger.Pay(amount.Fen, today, operationId, "cash", null);
        AfterPayment(principalBefore);
        await Write("repaid");
        await Outbox.DeliverAsync();
        return Outcome<Loan>.Ok(View(today));
    }

    public async Task CatchUp()
    {
        if (S.Phase == LoanPhase.Disbursed) await CatchUp(await TodayAsync());
    }

    /// <summary>The business date of the running operation, remembered for the exposure events its write adds.</summary>
    private DateOnly? _businessDate;

    private async Task<DateOnly> TodayAsync() => (_businessDate = await clock.TodayAsync()).Value;

    private async Task CatchUp(DateOnly today)
    {
        if (S.Phase != LoanPhase.Disbursed) return;
        var before = S.Status;
        if (Ledger.CatchUp(today))
        {
            RaiseStatusAlerts(before);
            if (S.Status == LoanStatus.Defaulted) StartWaterfall();
            await Write(S.Status == LoanStatus.Defaulted ? "defaulted" : "overdue");
        }
        await AdvanceWaterfall();
    }

    public async Task Reproject()
    {
        await Project();
        await Outbox.ResendAsync();
    }

    /// <summary>An activation that thinks the loan does not exist reads storage again: it may be a stale one.</summary>
    private async Task Reload()
    {
        await state.ReadStateAsync();
        S.Upgrade(LoanId);
    }

    public Task AcknowledgeExposures(IReadOnlyList<string> eventIds)
    {
        Outbox.Acknowledge(eventIds);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        Outbox.OnDeactivateAsync(reason, () => Write());

    /// <summary>After principal moved: the facility's usage and what the loan draws on follow the outstanding principal.</summary>
    private void AfterPayment(long principalBefore)
    {
        if (S.OutstandingFen == principalBefore) return;
        var version = S.Version + 1; // the version the coming write gives the loan
        if (DrawsOnFacility)
            S.Notices.Add(S.OutstandingFen == 0
                ? Notice.Close(FacilityRef, LoanId)
                : Notice.SetAmount(FacilityRef, LoanId, S.OutstandingFen, version));
        if (S.PoolId is not null)
            S.Notices.Add(S.OutstandingFen == 0
                ? Notice.Close(EntityRef.Pool(S.PoolId), LoanId)
                : Notice.SetAmount(EntityRef.Pool(S.PoolId), LoanId, S.OutstandingFen, version));
        S.Notices.Add(Notice.SetAmount(S.DrawsOn!, LoanId, S.OutstandingFen, version));
    }

    /// <summary>The borrower, the lender, the other members of its group, operators and risk staff (scoped: their funder's loans).</summary>
    private async Task<bool> CanSee(Caller caller)
    {
        if (S.Phase != LoanPhase.Disbursed) return false;
        return caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || caller.FunderScope == S.FunderId,
            _ when caller.Id == S.BorrowerId || caller.Id == S.FunderId => true,
            Role.Supplier when GroupId is not null => await GrainFactory.GetGrain<Groups.IGuaranteeGroupGrain>(GroupId).IsMember(caller.Id),
            _ => false,
        };
    }

    private Loan View(DateOnly today) =>
        new(LoanId, S.BorrowerId, S.FunderId, OrderId, new Money(S.PrincipalFen), new Money(S.OutstandingFen),
            new Money(S.Status == LoanStatus.Repaid ? 0 : Ledger.AccruedOn(today)), S.AnnualRate, S.DisbursedOn, S.DueDate, S.Status,
            new Money(S.InterestPaidFen),
            S.Repayments.Select(r => new LoanRepayment(r.On, new Money(r.AmountFen), new Money(r.InterestFen), new Money(r.PrincipalFen), r.Source, r.VoucherId)).ToList(),
            GroupId, WaterfallView(), S.PoolId, CreditLineId);

    /// <summary>One fenced write, with the notices and the exposure event its change causes; then the read model and the event go out.</summary>
    private async Task Write(string? eventKind = null)
    {
        S.Version++;
        var now = LoanLedger.Position(S);
        if (!Equals(now, S.Exposed))
        {
            S.ExposureOutbox.Add(new ExposureEvent($"{LoanId}:{S.Version}:{LoanId}", LoanId, LoanId, S.BorrowerId, S.Exposed, now, time.UtcNow,
                eventKind ?? "changed", _businessDate, OrderId, S.DueDate));
            S.Exposed = now;
        }
        await state.WriteOrDeactivateAsync(this);
        Outbox.Written();
        await Project();
        await Outbox.PublishAsync();
        await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
    }

    private void RaiseStatusAlerts(LoanStatus before)
    {
        var amount = new Money(S.OutstandingFen);
        if (before == LoanStatus.Active && S.Status is LoanStatus.Overdue or LoanStatus.Defaulted)
            S.PendingAlerts.Add(new PendingAlert($"overdue:{LoanId}", "overdue", LoanId, S.FunderId, S.BorrowerId,
                $"Loan {LoanId} of {S.BorrowerId} from {S.FunderId} is overdue: {amount} principal unpaid since {S.DueDate:yyyy-MM-dd}.", time.UtcNow));
        if (S.Status == LoanStatus.Defaulted)
            S.PendingAlerts.Add(new PendingAlert($"default:{LoanId}", "default", LoanId, S.FunderId, S.BorrowerId,
                $"Loan {LoanId} of {S.BorrowerId} from {S.FunderId} defaulted: {amount} principal and {new Money(S.InterestDueFen)} interest unpaid.", time.UtcNow));
    }

    private Task Project() =>
        index.UpsertAsync(new IndexedLoan(LoanId, S.BorrowerId, S.FunderId, OrderId,
            S.Phase == LoanPhase.Disbursed ? S.Status.Wire() : S.Phase.ToString().ToLowerInvariant(), S.DueDate,
            new Money(S.OutstandingFen).Yuan, S.Version, Outbox.Pending, GroupId, S.PoolId, CreditLineId));
}
