using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Participants;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// One voucher tree. Not reentrant: operations on a tree run one at a time, and each is one fenced write.
/// Cross-grain steps follow reserve → commit/release keyed by root or fragment id:
/// issuance reserves the obligor's limit, a discount reserves the funder's facility; the intent is stored
/// before the reservation is asked for, and the reservation is committed by a notice stored with the change.
/// </summary>
public sealed partial class VoucherTreeGrain(
    [PersistentState("voucher-tree", Storage.Name)] IPersistentState<VoucherTreeState> state,
    PlatformClock clock,
    IVoucherIndex index,
    IOptions<PlatformRules> rules,
    PlatformTime time,
    IAlertStore alerts,
    ILogger<VoucherTreeGrain> logger) : Grain, IVoucherTreeGrain
{
    /// <summary>The exposure event kind of each operation.</summary>
    private static readonly Dictionary<string, string> EventKinds = new()
    {
        ["accept"] = "accepted", ["reject"] = "rejected", ["split"] = "split", ["transfer"] = "transferred",
        ["discount"] = "discounted", ["repay"] = "settled",
    };

    /// <summary>What this activation last wrote to the read model, by fragment id.</summary>
    private readonly Dictionary<string, IndexedFragment> _projected = new();

    private VoucherTreeState S => state.State;
    private string RootId => this.GetPrimaryKeyString();
    private TreeLedger Ledger => new(S, RootId, rules.Value);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Phase != TreePhase.Issued) return;
        // A process may have died after a write and before its notices or read model went out,
        // or between a discount's intent and its effect: no call of this activation can still be running them.
        // None of this may keep the tree from activating: what fails here is retried by the timer, the sweep or the next write.
        try
        {
            await ReleasePendingDiscounts();
            await TryDeliverOutbox();
            await ProjectChanges();
            await PublishExposures();
            await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Tree {RootId} could not finish its recovery on activation; it is retried later", RootId);
        }
        EnsureRetryTimer();
    }

    public async Task<Outcome<Voucher>> Issue(Caller caller, string operationId, IssueVoucher command)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["RootId"] = RootId });
        switch (S.Phase)
        {
            case TreePhase.Issued when S.IssueOperationId == operationId:
                await TryDeliverOutbox(); // the first attempt may have died before its notices went out
                return Outcome<Voucher>.Ok(Ledger.View(S.Fragments[0]));
            case TreePhase.Issued:
                return Fault.Conflict("A voucher with this id already exists.");
            case TreePhase.Aborted:
                return S.AbortedBecause!;
            case TreePhase.Issuing when S.IssueOperationId != operationId:
                return Fault.Conflict("Another issuance of this voucher is in progress.");
        }

        var today = await clock.TodayAsync();
        if (S.Phase == TreePhase.None)
        {
            var beneficiary = await GrainFactory.GetGrain<IParticipantGrain>(command.BeneficiaryId).Get();
            var invalid = TreeLedger.ValidateIssue(command, beneficiary?.Role, today, rules.Value);
            if (invalid is not null) return invalid;
            S.Phase = TreePhase.Issuing;
            S.IssueOperationId = operationId;
            S.ObligorId = caller.Id;
            S.FaceFen = command.Amount.Fen;
            S.OrderId = command.OrderId;
            await Write();
        }

        // Against an order: claim it first, so that an order that is not the caller's changes nothing else.
        if (S.OrderId is not null)
        {
            var claimed = await GrainFactory.GetGrain<IOrderGrain>(S.OrderId).Claim(RootId, S.ObligorId, command.BeneficiaryId);
            if (!claimed.IsOk) return await AbortIssuance(claimed.Fault!);
            // Not stored on its own: the order keeps the claim's loans (a retry gets the same list), and a loan or
            // facility left holding a reservation for this root asks the tree to resolve it, naming what it holds.
            S.ClosedLoop ??= claimed.Value!.Select(l => new ClosedLoopPart { LoanId = l.LoanId, FunderId = l.FunderId }).ToList();
        }

        var obligor = GrainFactory.GetGrain<IObligorGrain>(S.ObligorId);
        var reserved = await obligor.Reserve(RootId, new Money(S.FaceFen), today);
        if (!reserved.IsOk) return await AbortIssuance(reserved.Fault!);

        if (S.ClosedLoop is { Count: > 0 })
        {
            var prepared = await PrepareClosedLoop(today);
            if (prepared is not null) return await AbortIssuance(prepared);
        }

        var root = Ledger.CreateRoot(S.ObligorId, command, today);
        if (S.ClosedLoop is { Count: > 0 } parts)
        {
            Ledger.ApplyClosedLoop(parts, today);
            root = Ledger.View(S.Fragments[0]);
        }
        if (Ledger.IsLongTenor)
            S.PendingAlerts.Add(new PendingAlert($"long-tenor:{RootId}", "long_tenor", RootId, null, S.ObligorId,
                $"Voucher {RootId} of {S.ObligorId} for {root.Amount} matures on {S.MaturityDate:yyyy-MM-dd}, " +
                $"{S.MaturityDate.DayNumber - today.DayNumber} days after issue (more than {rules.Value.LongTenorDays}).", time.UtcNow));
        S.Phase = TreePhase.Issued;
        S.Operations[operationId] = new OperationRecord { Kind = "issue", FragmentIds = [.. S.Fragments.Select(f => f.Id)] };
        S.Outbox.Add(new Notice { Kind = NoticeKind.ObligorCommit, Target = S.ObligorId, Item = RootId });
        AddClosedLoopNotices();
        await Write("issued");
        LogIssued(RootId, S.ObligorId, root.Amount.ToString());
        await TryDeliverOutbox();
        return Outcome<Voucher>.Ok(root);
    }

    public async Task<Outcome<Voucher>> Get(Caller caller, string fragmentId)
    {
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        await CatchUp(await clock.TodayAsync());
        var visible = Ledger.Visible(caller, fragmentId);
        return visible.IsOk ? Outcome<Voucher>.Ok(Ledger.View(visible.Value!)) : visible.Fault!;
    }

    public async Task<Outcome<VoucherTree>> GetTree(Caller caller)
    {
        if (!await IsIssued() || !Ledger.CanSeeTree(caller)) return Fault.NotFound("Voucher");
        await CatchUp(await clock.TodayAsync());
        var ledger = Ledger;
        var fragments = S.Fragments.Select(ledger.View).ToList();
        return Outcome<VoucherTree>.Ok(new VoucherTree(fragments[0], fragments));
    }

    public async Task CatchUp()
    {
        if (S.Phase == TreePhase.Issued) await CatchUp(await clock.TodayAsync());
    }

    /// <summary>Brings the tree up to today before anything reads or changes it (expiry, overdue, default).</summary>
    private async Task CatchUp(DateOnly today)
    {
        var result = Ledger.CatchUp(today);
        if (result.Touched.Count == 0) return;
        if (result.RootCancelled) AddCancellationNotices();
        await Write();
        await TryDeliverOutbox();
    }

    public async Task<Outcome<Voucher>> Accept(Caller caller, string operationId, string fragmentId)
    {
        if (Replay(operationId) is { } done) return Outcome<Voucher>.Ok(await Replayed(done, 0));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        await CatchUp(await clock.TodayAsync());
        var result = Ledger.Accept(caller, fragmentId);
        if (!result.IsOk) return result;
        await Commit(operationId, "accept", [fragmentId]);
        return result;
    }

    public async Task<Outcome<Voucher>> Reject(Caller caller, string operationId, string fragmentId)
    {
        if (Replay(operationId) is { } done) return Outcome<Voucher>.Ok(await Replayed(done, 0));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        var today = await clock.TodayAsync();
        await CatchUp(today);
        var result = Ledger.Reject(caller, fragmentId, today);
        if (!result.IsOk) return result.Fault!;
        var (rejected, returned) = result.Value;
        if (rejected.Status == VoucherStatus.Cancelled) AddCancellationNotices();
        await Commit(operationId, "reject", returned is null ? [rejected.Id] : [rejected.Id, returned.Id]);
        return Outcome<Voucher>.Ok(rejected);
    }

    public async Task<Outcome<SplitResult>> Split(Caller caller, string operationId, string fragmentId, IReadOnlyList<Money> amounts)
    {
        if (Replay(operationId) is { } done)
            return Outcome<SplitResult>.Ok(new SplitResult(await Replayed(done, 0), done.FragmentIds.Skip(1).Select(View).ToList()));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        var today = await clock.TodayAsync();
        await CatchUp(today);
        var result = Ledger.Split(caller, fragmentId, amounts, today);
        if (!result.IsOk) return result;
        await Commit(operationId, "split", [result.Value!.Parent.Id, .. result.Value.Children.Select(c => c.Id)]);
        return result;
    }

    public async Task<Outcome<TransferResult>> Transfer(Caller caller, string operationId, string fragmentId, string toId, Money amount)
    {
        if (Replay(operationId) is { } done)
            return Outcome<TransferResult>.Ok(new TransferResult(await Replayed(done, 0), View(done.FragmentIds[1]),
                done.FragmentIds.Count > 2 ? View(done.FragmentIds[2]) : null));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        var today = await clock.TodayAsync();
        await CatchUp(today);
        var recipient = await GrainFactory.GetGrain<IParticipantGrain>(toId).Get();
        var result = Ledger.Transfer(caller, fragmentId, toId, recipient?.Role, amount, today);
        if (!result.IsOk) return result;
        var r = result.Value!;
        await Commit(operationId, "transfer", r.Remainder is null ? [r.Parent.Id, r.Transferred.Id] : [r.Parent.Id, r.Transferred.Id, r.Remainder.Id]);
        return result;
    }

    public async Task<Outcome<RepayResult>> Repay(Caller caller, string operationId)
    {
        if (Replay(operationId) is { } done)
            return Outcome<RepayResult>.Ok(new RepayResult(await Replayed(done, 0), done.FragmentIds.Skip(1).Select(View).ToList(),
                done.Payments.Select(p => new Payment(p.FromId, p.ToId, new Money(p.AmountFen), p.Reason)).ToList()));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        var today = await clock.TodayAsync();
        await CatchUp(today);
        var financed = S.Fragments.Where(f => f.FunderHeld && f.Status.IsLive()).Select(f => (f.Id, f.HolderId)).ToList();
        var result = Ledger.Repay(caller, today);
        if (!result.IsOk) return result;
        var r = result.Value!;
        var payments = r.Payments.Select(p => new PaymentRecord
        {
            OperationId = operationId, FromId = p.FromId, ToId = p.ToId, AmountFen = p.Amount.Fen, Reason = p.Reason, On = today,
        }).ToList();
        S.Payments.AddRange(payments);
        S.Outbox.Add(new Notice { Kind = NoticeKind.ObligorClose, Target = S.ObligorId, Item = RootId });
        foreach (var (id, funderId) in financed)
            S.Outbox.Add(new Notice { Kind = NoticeKind.FacilityClose, Target = Ids.Facility(funderId, S.ObligorId), Item = id });
        await Commit(operationId, "repay", [RootId, .. r.Settled.Select(f => f.Id)], record => record.Payments = payments);
        return result;
    }

    public async Task ResolveIssuance(string obligorId, string? orderId = null, string? loanId = null)
    {
        var obligor = GrainFactory.GetGrain<IObligorGrain>(obligorId);
        if (S.Phase != TreePhase.None && S.ObligorId != obligorId) return;
        switch (S.Phase)
        {
            case TreePhase.Issued:
                await (S.Fragments.Any(f => f.Status.IsLive()) ? obligor.Commit(RootId) : obligor.Close(RootId));
                await TryDeliverOutbox();
                return;
            case TreePhase.None or TreePhase.Issuing:
                // Nobody finished this issuance in time: close the id for good, then give everything back.
                if (S.Phase == TreePhase.None)
                {
                    S.ObligorId = obligorId;
                    S.OrderId = orderId;
                }
                await AbortIssuance(Fault.Conflict("The issuance did not complete and was abandoned; issue again with a new Idempotency-Key."));
                break;
            case TreePhase.Aborted:
                await ReleaseIssuance();
                break;
        }
        // Never issued, so it repays nothing: a loan that pinned its payoff for this root (perhaps before this tree
        // stored the loan in its intent) may take cash again.
        if (loanId is not null) await GrainFactory.GetGrain<ILoanGrain>(loanId).ReleaseSettlement(RootId);
    }

    public async Task ResolveDiscount(string facilityId, string fragmentId)
    {
        var facility = GrainFactory.GetGrain<IFacilityGrain>(facilityId);
        switch (S.Phase)
        {
            case TreePhase.None or TreePhase.Issuing:
                // A closed-loop part of an issuance that never completed (or of none at all): abort it, then release.
                await AbortIssuance(Fault.Conflict("The issuance did not complete and was abandoned; issue again with a new Idempotency-Key."));
                await facility.Release(fragmentId);
                return;
            case TreePhase.Aborted:
                await facility.Release(fragmentId);
                return;
        }
        var f = Ledger.Find(fragmentId);
        var held = f is not null && f.FunderHeld && Ids.Facility(f.HolderId, S.ObligorId) == facilityId;
        if (held && f!.Status.IsLive())
        {
            await facility.Commit(fragmentId);
            return;
        }
        if (held && !f!.Status.IsLive())
        {
            await facility.Close(fragmentId);
            return;
        }
        // The discount never took effect: drop its intent, if any, and store that (a stale activation, which might
        // not know of a discount a newer one applied, fails here), then give the room back.
        S.PendingDiscounts.RemoveAll(p => p.FragmentId == fragmentId);
        await Write();
        await facility.Release(fragmentId);
    }

    /// <summary>
    /// A cancelled root frees the obligor's limit, and the order it was paying is unpaid again (only an ordinary
    /// root can be cancelled: a closed-loop root is split at issuance and never pending).
    /// </summary>
    private void AddCancellationNotices()
    {
        S.Outbox.Add(new Notice { Kind = NoticeKind.ObligorClose, Target = S.ObligorId, Item = RootId });
        if (S.OrderId is not null) S.Outbox.Add(new Notice { Kind = NoticeKind.OrderReopen, Target = S.OrderId, Item = RootId });
    }

    /// <summary>
    /// Whether the tree is issued. An activation that thinks not reads storage again first: it may be a stale one,
    /// activated in a short overlap of two activations, and must not call an issued voucher "not found".
    /// </summary>
    private async Task<bool> IsIssued()
    {
        if (S.Phase == TreePhase.Issued) return true;
        await state.ReadStateAsync();
        _projected.Clear();
        return S.Phase == TreePhase.Issued;
    }

    private OperationRecord? Replay(string operationId) => S.Operations.GetValueOrDefault(operationId);

    private async Task<Voucher> Replayed(OperationRecord record, int position)
    {
        await ProjectChanges(); // the first attempt may have died between its write and its projection
        await TryDeliverOutbox();
        return View(record.FragmentIds[position]);
    }

    private Voucher View(string fragmentId) => Ledger.View(Ledger.Find(fragmentId)!);

    private async Task Commit(string operationId, string kind, List<string> fragmentIds, Action<OperationRecord>? complete = null)
    {
        var record = new OperationRecord { Kind = kind, FragmentIds = fragmentIds };
        complete?.Invoke(record);
        S.Operations[operationId] = record;
        await Write(EventKinds.GetValueOrDefault(kind));
        await TryDeliverOutbox();
    }

    /// <summary>
    /// One fenced write of the whole tree, with the exposure events its changes cause; then its read model
    /// catches up and the events go out.
    /// </summary>
    private async Task Write(string? operationKind = null)
    {
        S.Version++;
        var events = Ledger.TakeExposureChanges(S.Version, time.UtcNow, operationKind);
        S.ExposureOutbox.AddRange(events);
        RaiseStatusAlerts(events);
        await state.WriteOrDeactivateAsync(this);
        _outboxDirty = false;
        await ProjectChanges();
        await PublishExposures();
        await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
    }

    /// <summary>The first time any part of the tree falls overdue, or defaults: one alert for the platform, one for each funder holding part.</summary>
    private void RaiseStatusAlerts(IReadOnlyList<SupplyChain.Grains.Risk.ExposureEvent> events)
    {
        foreach (var (status, kind) in new[] { ("overdue", "overdue"), ("defaulted", "default") })
        {
            var crossed = events.Where(e => e.After?.Status == status && e.Before?.Status != status).ToList();
            if (crossed.Count == 0) continue;
            var amount = new Money(crossed.Sum(e => e.After!.AmountFen));
            S.PendingAlerts.Add(new PendingAlert($"{kind}:{RootId}", kind, RootId, null, S.ObligorId,
                $"Voucher {RootId} of {S.ObligorId} is {status}: {amount} unpaid since {S.MaturityDate:yyyy-MM-dd}.", time.UtcNow));
            foreach (var funder in crossed.Where(e => e.After!.HolderRole == "funder").GroupBy(e => e.After!.HolderId))
                S.PendingAlerts.Add(new PendingAlert($"{kind}:{RootId}:{funder.Key}", kind, RootId, funder.Key, S.ObligorId,
                    $"Voucher {RootId} of {S.ObligorId} is {status}: the funder holds {new Money(funder.Sum(e => e.After!.AmountFen))} of it.", time.UtcNow));
        }
    }

    /// <summary>
    /// Sends stored notices. Each is idempotent at its receiver, so the removal of delivered ones is not written
    /// on its own: it rides along with the next write, and a crash before that only means a harmless repeat.
    /// </summary>
    private async Task DeliverOutbox()
    {
        if (S.Outbox.Count == 0) return;
        foreach (var n in S.Outbox.ToList())
        {
            await (n.Kind switch
            {
                NoticeKind.ObligorCommit => GrainFactory.GetGrain<IObligorGrain>(n.Target).Commit(n.Item),
                NoticeKind.ObligorClose => GrainFactory.GetGrain<IObligorGrain>(n.Target).Close(n.Item),
                NoticeKind.FacilityCommit => GrainFactory.GetGrain<IFacilityGrain>(n.Target).Commit(n.Item),
                NoticeKind.FacilityClose => GrainFactory.GetGrain<IFacilityGrain>(n.Target).Close(n.Item),
                NoticeKind.LoanSettle => GrainFactory.GetGrain<ILoanGrain>(n.Target).Settle(n.Item, new Money(n.AmountFen)),
                NoticeKind.LoanRelease => GrainFactory.GetGrain<ILoanGrain>(n.Target).ReleaseSettlement(n.Item),
                NoticeKind.OrderCommit => GrainFactory.GetGrain<IOrderGrain>(n.Target).CommitClaim(n.Item),
                NoticeKind.OrderReopen => GrainFactory.GetGrain<IOrderGrain>(n.Target).Reopen(n.Item),
                _ => throw new InvalidOperationException($"Unknown notice {n.Kind}"),
            });
            S.Outbox.Remove(n);
        }
    }

    public async Task Reproject()
    {
        _projected.Clear();
        await ProjectChanges();
    }

    /// <summary>Writes the fragments that changed since this activation last projected (all of them after activation).</summary>
    private async Task ProjectChanges()
    {
        var changed = S.Fragments
            .Select(f => new IndexedFragment(f.Id, RootId, f.ParentId, S.ObligorId, f.HolderId, f.SenderId, new Money(f.AmountFen).Yuan,
                f.IssueDate, S.MaturityDate, f.Tier, f.Status.Wire(), S.OrderId))
            .Where(f => !_projected.TryGetValue(f.Id, out var last) || last != f)
            .ToList();
        await index.UpsertAsync(RootId, changed, S.Version, S.ExposureOutbox.Count + S.Outbox.Count);
        foreach (var f in changed) _projected[f.Id] = f;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Voucher {RootId} issued by {ObligorId} for {Amount}")]
    private partial void LogIssued(string rootId, string obligorId, string amount);
}
