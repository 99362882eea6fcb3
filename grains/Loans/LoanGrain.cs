using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// One loan against an order. Not reentrant: operations run one at a time, each one fenced write.
/// Origination follows reserve → commit/release keyed by the loan id: the intent is stored, then room is reserved
/// on the order (the financing ratio) and on the funder's lending facility on the borrower, then the loan is
/// disbursed in one write with the commit notices, which are delivered until acknowledged.
/// The loan calls orders and facilities, never a voucher tree; trees call loans. No call cycle can deadlock.
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
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(2);
    private IGrainTimer? _timer;
    private long _lastSentTicks;
    private bool _outboxDirty;

    private LoanState S => state.State;
    private string LoanId => this.GetPrimaryKeyString();
    private LoanLedger Ledger => new(S, rules.Value);
    private IFacilityGrain Facility => GrainFactory.GetGrain<IFacilityGrain>(Ids.Facility(S.FunderId, S.BorrowerId));
    private IOrderGrain Order => GrainFactory.GetGrain<IOrderGrain>(S.OrderId!);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Phase == LoanPhase.None) return;
        // A process may have died after a write and before its notices, read model or events went out. None of this
        // may keep the loan from activating: what fails here is retried by the timer, the sweep or the next write.
        try
        {
            await TryDeliverOutbox();
            await Project();
            await PublishExposures();
            await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Loan {LoanId} could not finish its recovery on activation; it is retried later", LoanId);
        }
        EnsureTimer();
    }

    public async Task<Outcome<Loan>> Originate(Caller caller, string operationId, FinanceOrder command)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["LoanId"] = LoanId });
        switch (S.Phase)
        {
            case LoanPhase.Disbursed when S.OriginationOperationId == operationId:
                await TryDeliverOutbox();
                return Outcome<Loan>.Ok(View(await clock.TodayAsync()));
            case LoanPhase.Disbursed:
                return Fault.Conflict("A loan with this id already exists.");
            case LoanPhase.Aborted:
                await TryDeliverOutbox(); // the attempt may have died before its releases went out
                return S.AbortedBecause!;
            case LoanPhase.Originating when S.OriginationOperationId != operationId:
                return Fault.Conflict("Another financing with this id is in progress.");
        }

        var today = await clock.TodayAsync();
        if (S.Phase == LoanPhase.None)
        {
            var funder = await GrainFactory.GetGrain<IParticipantGrain>(command.FunderId).Get();
            if (funder?.Role != Role.Funder) return Fault.Validation("funderId", "The lender must be a funder on the platform.");
            S.Phase = LoanPhase.Originating;
            S.OriginationOperationId = operationId;
            S.BorrowerId = caller.Id;
            S.FunderId = command.FunderId;
            S.OrderId = command.OrderId;
            S.PrincipalFen = command.Amount.Fen;
            await Write();
        }

        var terms = await Order.ReserveLoan(LoanId, S.BorrowerId, S.FunderId, new Money(S.PrincipalFen), today);
        if (!terms.IsOk) return await Abort(terms.Fault!);
        var rate = await Facility.Reserve(LoanId, LoanId, new Money(S.PrincipalFen), today);
        if (!rate.IsOk) return await Abort(rate.Fault!);

        S.Phase = LoanPhase.Disbursed;
        S.AnnualRate = rate.Value;
        S.DisbursedOn = today;
        S.AccruedTo = today;
        S.DueDate = terms.Value.AddDays(rules.Value.LoanDueAfterPaymentDays);
        S.OutstandingFen = S.PrincipalFen;
        S.Status = LoanStatus.Active;
        S.Outbox.Add(new LoanNotice { Kind = LoanNoticeKind.OrderCommit });
        S.Outbox.Add(new LoanNotice { Kind = LoanNoticeKind.FacilityCommit });
        await Write("disbursed");
        LogDisbursed(LoanId, S.BorrowerId, S.FunderId, new Money(S.PrincipalFen).ToString());
        await TryDeliverOutbox();
        EnsureTimer();
        // A loan that is already past its dates (a late retry) catches up at once.
        await CatchUp(today);
        return Outcome<Loan>.Ok(View(today));
    }

    public async Task<Outcome<Loan>> Get(Caller caller)
    {
        // An activation that thinks the loan does not exist reads storage again: it may be a stale one.
        if (S.Phase != LoanPhase.Disbursed) await state.ReadStateAsync();
        if (!CanSee(caller)) return Fault.NotFound("Loan");
        var today = await clock.TodayAsync();
        await CatchUp(today);
        return Outcome<Loan>.Ok(View(today));
    }

    public async Task<Outcome<Loan>> Repay(Caller caller, string operationId, Money amount)
    {
        if (S.Phase != LoanPhase.Disbursed) await state.ReadStateAsync();
        if (S.Phase != LoanPhase.Disbursed || caller.Id != S.BorrowerId) return Fault.NotFound("Loan");
        var today = await clock.TodayAsync();
        if (S.Repayments.Any(r => r.OperationId == operationId))
        {
            await TryDeliverOutbox(); // the first attempt may have died before its notices went out
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
        await TryDeliverOutbox();
        return Outcome<Loan>.Ok(View(today));
    }

    public async Task CatchUp()
    {
        if (S.Phase == LoanPhase.Disbursed) await CatchUp(await clock.TodayAsync());
    }

    private async Task CatchUp(DateOnly today)
    {
        if (S.Phase != LoanPhase.Disbursed) return;
        var before = S.Status;
        if (!Ledger.CatchUp(today)) return;
        RaiseStatusAlerts(before);
        await Write(S.Status == LoanStatus.Defaulted ? "defaulted" : "overdue");
    }

    public async Task Reproject()
    {
        await Project();
        await PublishExposures();
    }

    public async Task<Outcome<Money>> ReserveSettlement(string rootId, string obligorId, DateOnly today)
    {
        if (S.Phase != LoanPhase.Disbursed) return Outcome<Money>.Ok(Money.Zero);
        if (S.PendingSettlement is { } pinned)
            return pinned.RootId == rootId
                ? Outcome<Money>.Ok(new Money(pinned.PayoffFen))
                : Fault.Conflict("Another voucher is repaying this loan.");
        if (S.Repayments.Any(r => r.VoucherId == rootId))
            return Outcome<Money>.Ok(new Money(S.Repayments.Where(r => r.VoucherId == rootId).Sum(r => r.AmountFen)));
        await CatchUp(today);
        var payoff = S.Status == LoanStatus.Repaid ? 0 : Ledger.PayoffOn(today);
        if (payoff == 0) return Outcome<Money>.Ok(Money.Zero);
        S.PendingSettlement = new PendingSettlement { RootId = rootId, ObligorId = obligorId, On = today, PayoffFen = payoff, ReservedAt = time.UtcNow };
        await Write();
        EnsureTimer();
        return Outcome<Money>.Ok(new Money(payoff));
    }

    public async Task Settle(string rootId, Money amount)
    {
        if (S.PendingSettlement is not { } pinned || pinned.RootId != rootId) return; // applied already, or never pinned
        var principalBefore = S.OutstandingFen;
        if (amount.Fen >= pinned.PayoffFen) Ledger.SettleInFull(pinned.PayoffFen, pinned.On, rootId);
        else Ledger.Pay(amount.Fen, pinned.On > S.AccruedTo ? pinned.On : S.AccruedTo, rootId, "voucher", rootId);
        S.PendingSettlement = null;
        AfterPayment(principalBefore);
        await Write("closed_loop");
        await TryDeliverOutbox();
    }

    public async Task ReleaseSettlement(string rootId)
    {
        if (S.PendingSettlement?.RootId != rootId) return;
        S.PendingSettlement = null;
        await Write();
    }

    public async Task ResolveOrigination(string? orderId, string? facilityId)
    {
        switch (S.Phase)
        {
            case LoanPhase.Disbursed:
                await Order.CommitLoan(LoanId);
                await Facility.Commit(LoanId);
                await TryDeliverOutbox();
                return;
            case LoanPhase.Originating:
                // Nobody finished this financing in time: close the id for good; the room goes back with the decision.
                await Abort(Fault.Conflict("The financing did not complete and was abandoned; ask again with a new Idempotency-Key."));
                return;
            case LoanPhase.Aborted when S.OrderId is not null:
                await Order.ReleaseLoan(LoanId);
                await Facility.Release(LoanId);
                return;
            default:
                // No intent was ever stored here, so nothing took effect: close the id, then release what the asker holds.
                if (S.Phase == LoanPhase.None)
                    await Abort(Fault.Conflict("The financing did not complete and was abandoned; ask again with a new Idempotency-Key."));
                if (orderId is not null) await GrainFactory.GetGrain<IOrderGrain>(orderId).ReleaseLoan(LoanId);
                if (facilityId is not null) await GrainFactory.GetGrain<IFacilityGrain>(facilityId).Release(LoanId);
                return;
        }
    }

    public Task<TreePositions> GetPositions() =>
        Task.FromResult(new TreePositions(S.BorrowerId, LoanLedger.Position(S) is { } p ? [p] : []));

    public Task AcknowledgeExposures(IReadOnlyList<string> eventIds)
    {
        if (ExposureOutbox.Acknowledge(S.ExposureOutbox, eventIds)) _outboxDirty = true;
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_outboxDirty && S.ExposureOutbox.Count == 0 && reason.ReasonCode != DeactivationReasonCode.ApplicationError)
        {
            try
            {
                await Write();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Loan {LoanId} could not store its acknowledged exposure events at deactivation", LoanId);
            }
        }
    }

    /// <summary>After principal moved: the facility's usage and the order's view follow the outstanding principal.</summary>
    private void AfterPayment(long principalBefore)
    {
        if (S.OutstandingFen == principalBefore) return;
        var version = S.Version + 1; // the version the coming write gives the loan
        S.Outbox.Add(S.OutstandingFen == 0
            ? new LoanNotice { Kind = LoanNoticeKind.FacilityClose, Version = version }
            : new LoanNotice { Kind = LoanNoticeKind.FacilityUsage, AmountFen = S.OutstandingFen, Version = version });
        S.Outbox.Add(new LoanNotice { Kind = LoanNoticeKind.OrderOutstanding, AmountFen = S.OutstandingFen, Version = version });
    }

    /// <summary>
    /// Closes the id for good. Decide, store, then release: the releases of whatever the order and the facility may
    /// hold for this loan are notices stored in the same write as the decision (a stale activation fails that write and
    /// releases nothing), delivered right after it, and, if the process dies first, by a retry, the timer or the sweep.
    /// </summary>
    private async Task<Fault> Abort(Fault fault)
    {
        S.Phase = LoanPhase.Aborted;
        S.AbortedBecause = fault;
        if (S.OrderId is not null)
        {
            S.Outbox.Add(new LoanNotice { Kind = LoanNoticeKind.OrderRelease });
            S.Outbox.Add(new LoanNotice { Kind = LoanNoticeKind.FacilityRelease });
        }
        await Write();
        await TryDeliverOutbox();
        return fault;
    }

    private bool CanSee(Caller caller)
    {
        if (S.Phase != LoanPhase.Disbursed) return false;
        return caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || caller.FunderScope == S.FunderId,
            _ => caller.Id == S.BorrowerId || caller.Id == S.FunderId,
        };
    }

    private Loan View(DateOnly today) =>
        new(LoanId, S.BorrowerId, S.FunderId, S.OrderId, new Money(S.PrincipalFen), new Money(S.OutstandingFen),
            new Money(S.Status == LoanStatus.Repaid ? 0 : Ledger.AccruedOn(today)), S.AnnualRate, S.DisbursedOn, S.DueDate, S.Status,
            new Money(S.InterestPaidFen),
            S.Repayments.Select(r => new LoanRepayment(r.On, new Money(r.AmountFen), new Money(r.InterestFen), new Money(r.PrincipalFen), r.Source, r.VoucherId)).ToList());

    /// <summary>One fenced write, with the exposure event its change causes; then the read model and the event go out.</summary>
    private async Task Write(string? eventKind = null)
    {
        S.Version++;
        var now = LoanLedger.Position(S);
        if (!Equals(now, S.Exposed))
        {
            S.ExposureOutbox.Add(new ExposureEvent($"{LoanId}:{S.Version}:{LoanId}", LoanId, LoanId, S.BorrowerId, S.Exposed, now, time.UtcNow,
                eventKind ?? "changed"));
            S.Exposed = now;
        }
        await state.WriteOrDeactivateAsync(this);
        _outboxDirty = false;
        await Project();
        await PublishExposures();
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

    /// <summary>Delivers the outbox if every receiver answers; otherwise leaves the rest for the retry timer.</summary>
    private async Task TryDeliverOutbox()
    {
        try
        {
            await DeliverOutbox();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Loan {LoanId} could not deliver {Count} notices; will retry", LoanId, S.Outbox.Count);
            EnsureTimer();
        }
    }

    /// <summary>Sends stored notices in order; each is idempotent at its receiver (by loan id, and by version for balances).</summary>
    private async Task DeliverOutbox()
    {
        foreach (var n in S.Outbox.ToList())
        {
            await (n.Kind switch
            {
                LoanNoticeKind.OrderCommit => Order.CommitLoan(LoanId),
                LoanNoticeKind.OrderOutstanding => Order.LoanOutstanding(LoanId, new Money(n.AmountFen), n.Version),
                LoanNoticeKind.FacilityCommit => Facility.Commit(LoanId),
                LoanNoticeKind.FacilityUsage => Facility.SetUsage(LoanId, new Money(n.AmountFen), n.Version),
                LoanNoticeKind.FacilityClose => Facility.Close(LoanId),
                LoanNoticeKind.OrderRelease => Order.ReleaseLoan(LoanId),
                LoanNoticeKind.FacilityRelease => Facility.Release(LoanId),
                _ => throw new InvalidOperationException($"Unknown notice {n.Kind}"),
            });
            S.Outbox.Remove(n);
        }
    }

    private Task Project() =>
        index.UpsertAsync(new IndexedLoan(LoanId, S.BorrowerId, S.FunderId, S.OrderId,
            S.Phase == LoanPhase.Disbursed ? S.Status.Wire() : S.Phase.ToString().ToLowerInvariant(), S.DueDate,
            new Money(S.OutstandingFen).Yuan, S.Version, S.ExposureOutbox.Count + S.Outbox.Count));

    private async Task PublishExposures()
    {
        if (S.ExposureOutbox.Count == 0) return;
        if (await ExposureOutbox.TrySendAsync(this, S.BorrowerId, S.ExposureOutbox, logger)) _lastSentTicks = Environment.TickCount64;
        EnsureTimer();
    }

    /// <summary>
    /// While notices are undelivered (a receiver was unreachable), retry them; while events are unacknowledged, re-send them; while a voucher's settlement stays pinned too long, ask the
    /// tree to resolve it (the tree is the authority: it delivers its notice if it exists, releases otherwise).
    /// </summary>
    private void EnsureTimer()
    {
        if (_timer is not null || (S.ExposureOutbox.Count == 0 && S.PendingSettlement is null && S.Outbox.Count == 0)) return;
        _timer = this.RegisterGrainTimer(async () =>
        {
            if (S.ExposureOutbox.Count == 0 && S.PendingSettlement is null && S.Outbox.Count == 0)
            {
                _timer?.Dispose();
                _timer = null;
                return;
            }
            if (S.Outbox.Count > 0) await TryDeliverOutbox();
            if (S.ExposureOutbox.Count > 0 && Environment.TickCount64 - _lastSentTicks >= (long)ResendAfter.TotalMilliseconds) await PublishExposures();
            if (S.PendingSettlement is { } p && time.UtcNow - p.ReservedAt > rules.Value.ReservationTimeout)
                GrainFactory.GetGrain<SupplyChain.Grains.Vouchers.IVoucherTreeGrain>(p.RootId).ResolveIssuance(p.ObligorId, S.OrderId, LoanId).Ignore();
        }, new GrainTimerCreationOptions(ResendAfter, ResendAfter) { Interleave = false, KeepAlive = true });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId} disbursed to {BorrowerId} by {FunderId}: {Amount}")]
    private partial void LogDisbursed(string loanId, string borrowerId, string funderId, string amount);
}
