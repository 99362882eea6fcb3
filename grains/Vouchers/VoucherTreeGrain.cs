using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// One voucher tree. Not reentrant: operations on a tree run one at a time, and each is one fenced write.
/// Cross-grain steps follow reserve → commit/release keyed by root or fragment id:
/// issuance reserves the obligor's limit, a discount reserves the funder's facility; the intent is stored
/// before the reservation is asked for, and the reservation is committed by a notice stored with the change and
/// delivered by the tree's durable outbox, which also carries its exposure events.
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

    /// <summary>The change stamp up to which every fragment was projected (0: none yet in this activation).</summary>
    private long _projectedUpTo;

    private VoucherTreeState S => state.State;
    private string RootId => this.GetPrimaryKeyString();
    private TreeLedger Ledger => new(S, RootId, rules.Value);
    private EntityRef ObligorRef => EntityRef.Obligor(S.ObligorId);
    private DurableOutbox? _outbox;
    private DurableOutbox Outbox => _outbox ??= new DurableOutbox(this, GrainFactory, EntityRef.Tree(RootId), () => S, logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.Upgrade();
        if (S.Phase == TreePhase.None) return;
        // A process may have died after a write and before its notices or read model went out (an aborted issuance
        // may still have releases to send), or between a discount's intent and its effect: no call of this activation
        // can still be running them. None of this may keep the tree from activating: what fails here is retried by
        // the timer, the sweep or the next write.
        try
        {
            if (S.Phase == TreePhase.Issued) await ReleasePendingDiscounts();
            await Outbox.RecoverAsync();
            if (S.Phase == TreePhase.Issued) await ProjectChanges();
            await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Tree {RootId} could not finish its recovery on activation; it is retried later", RootId);
        }
    }

    public async Task<Outcome<Voucher>> Get(Caller caller, string fragmentId)
    {
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        await CatchUp(await TodayAsync());
        var visible = Ledger.Visible(caller, fragmentId);
        return visible.IsOk ? Outcome<Voucher>.Ok(Ledger.View(visible.Value!)) : visible.Fault!;
    }

    public async Task<Outcome<VoucherTree>> GetTree(Caller caller)
    {
        if (!await IsIssued() || !Ledger.CanSeeTree(caller)) return Fault.NotFound("Voucher");
        await CatchUp(await TodayAsync());
        var ledger = Ledger;
        var fragments = S.Fragments.Select(ledger.View).ToList();
        return Outcome<VoucherTree>.Ok(new VoucherTree(fragments[0], fragments));
    }

    public async Task CatchUp()
    {
        if (S.Phase == TreePhase.Issued) await CatchUp(await TodayAsync());
    }

    /// <summary>Brings the tree up to today before anything reads or changes it (expiry, overdue, default).</summary>
    /// <summary>The business date of the running operation, remembered for the exposure events its write adds.</summary>
    private DateOnly? _businessDate;

    private async Task<DateOnly> TodayAsync() => (_businessDate = await clock.TodayAsync()).Value;

    private async Task CatchUp(DateOnly today)
    {
        var result = Ledger.CatchUp(today);
        if (result.Touched.Count == 0) return;
        if (result.RootCancelled) AddCancellationNotices();
        await Write();
        await Outbox.DeliverAsync();
    }

    public async Task<Outcome<Voucher>> Accept(Caller caller, string operationId, string fragmentId) =>
        (await Apply([TreeCommand.Accept(caller, operationId, fragmentId)]))[0].Voucher!;

    public async Task<Outcome<Voucher>> Reject(Caller caller, string operationId, string fragmentId) =>
        (await Apply([TreeCommand.Reject(caller, operationId, fragmentId)]))[0].Voucher!;

    public async Task<Outcome<SplitResult>> Split(Caller caller, string operationId, string fragmentId, IReadOnlyList<Money> amounts) =>
        (await Apply([TreeCommand.Split(caller, operationId, fragmentId, amounts)]))[0].Split!;

    public async Task<Outcome<TransferResult>> Transfer(Caller caller, string operationId, string fragmentId, string toId, Money amount) =>
        (await Apply([TreeCommand.Transfer(caller, operationId, fragmentId, toId, amount)]))[0].Transfer!;

    public async Task<IReadOnlyList<TreeCommandResult>> Apply(IReadOnlyList<TreeCommand> commands)
    {
        var results = new TreeCommandResult?[commands.Count];
        var written = false;
        if (commands.Any(c => Replay(c.OperationId) is null))
        {
            if (!await IsIssued())
            {
                for (var i = 0; i < commands.Count; i++)
                    if (Replay(commands[i].OperationId) is null) results[i] = TreeCommandResult.Refused(commands[i].Kind, Fault.NotFound("Voucher"));
            }
            else
            {
                var today = await TodayAsync();
                await CatchUp(today);
                var roles = await RecipientRoles(commands);
                try
                {
                    for (var i = 0; i < commands.Count; i++)
                    {
                        if (Replay(commands[i].OperationId) is not null) continue; // answered below, after the write
                        results[i] = Decide(commands[i], roles, today);
                        written |= results[i]!.IsOk;
                    }
                }
                catch (Exception e)
                {
                    // Something unexpected after earlier commands changed the state in memory: none of it is stored, and
                    // none of it may be stored by a later write on behalf of requests that are answered with this error.
                    await ForgetUnstoredChanges(e);
                    throw;
                }
            }
        }
        if (written)
        {
            await Flush();
            await Outbox.DeliverAsync();
        }
        else if (S.Phase == TreePhase.Issued && results.Any(r => r is null))
        {
            // Only replays: the first attempt may have died between its write and its projection or its notices.
            await ProjectChanges();
            await Outbox.DeliverAsync();
        }
        for (var i = 0; i < commands.Count; i++)
            results[i] ??= ReplayOf(commands[i], Replay(commands[i].OperationId)!);
        return results!;
    }

    /// <summary>The role of each participant a transfer of the batch names (null: no such participant).</summary>
    private async Task<Dictionary<string, Role?>> RecipientRoles(IReadOnlyList<TreeCommand> commands)
    {
        var ids = commands.Where(c => c.Kind == TreeCommandKind.Transfer && Replay(c.OperationId) is null).Select(c => c.ToId!).Distinct().ToList();
        var participants = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IParticipantGrain>(id).Get()));
        return ids.Zip(participants, (id, p) => (id, p?.Role)).ToDictionary(x => x.id, x => x.Role);
    }

    /// <summary>
    /// Drops what this activation changed in memory and did not store by reading the stored state again. If even that
    /// fails, the activation goes, with a reason that writes nothing at deactivation.
    /// </summary>
    private async Task ForgetUnstoredChanges(Exception cause)
    {
        try
        {
            await ReadStoredState();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Tree {RootId} could not read its stored state again after a failed batch; it deactivates", RootId);
            GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, cause, "A batch failed while deciding"));
        }
    }

    /// <summary>Decides one command on the state as it is now; a done one is recorded and staged for the batch's write.</summary>
    private TreeCommandResult Decide(TreeCommand c, Dictionary<string, Role?> roles, DateOnly today)
    {
        switch (c.Kind)
        {
            case TreeCommandKind.Split:
                var split = Ledger.Split(c.Caller, c.FragmentId, c.SplitAmounts!, today);
                if (split.IsOk) Record(c.OperationId, "split", [split.Value!.Parent.Id, .. split.Value.Children.Select(x => x.Id)]);
                return new(Split: split);
            case TreeCommandKind.Transfer:
                var transfer = Ledger.Transfer(c.Caller, c.FragmentId, c.ToId!, roles[c.ToId!], c.TransferAmount, today);
                if (transfer.IsOk)
                {
                    var r = transfer.Value!;
                    Record(c.OperationId, "transfer", r.Remainder is null ? [r.Parent.Id, r.Transferred.Id] : [r.Parent.Id, r.Transferred.Id, r.Remainder.Id]);
                }
                return new(Transfer: transfer);
            case TreeCommandKind.Accept:
                var accepted = Ledger.Accept(c.Caller, c.FragmentId);
                if (accepted.IsOk) Record(c.OperationId, "accept", [c.FragmentId]);
                return new(Voucher: accepted);
            case TreeCommandKind.Reject:
                var result = Ledger.Reject(c.Caller, c.FragmentId, today);
                if (!result.IsOk) return new(Voucher: result.Fault!);
                var (rejected, returned) = result.Value;
                if (rejected.Status == VoucherStatus.Cancelled) AddCancellationNotices();
                Record(c.OperationId, "reject", returned is null ? [rejected.Id] : [rejected.Id, returned.Id]);
                return new(Voucher: Outcome<Voucher>.Ok(rejected));
            default:
                throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "Not a command a tree takes in a batch.");
        }
    }

    /// <summary>A command whose operation is already recorded answers what it did, as the fragments are now.</summary>
    private TreeCommandResult ReplayOf(TreeCommand c, OperationRecord done) => c.Kind switch
    {
        TreeCommandKind.Split => new(Split: Outcome<SplitResult>.Ok(new SplitResult(View(done.FragmentIds[0]), done.FragmentIds.Skip(1).Select(View).ToList()))),
        TreeCommandKind.Transfer => new(Transfer: Outcome<TransferResult>.Ok(new TransferResult(View(done.FragmentIds[0]), View(done.FragmentIds[1]),
            done.FragmentIds.Count > 2 ? View(done.FragmentIds[2]) : null))),
        _ => new(Voucher: Outcome<Voucher>.Ok(View(done.FragmentIds[0]))),
    };

    public async Task<Outcome<RepayResult>> Repay(Caller caller, string operationId)
    {
        if (Replay(operationId) is { } done)
            return Outcome<RepayResult>.Ok(new RepayResult(await Replayed(done, 0), done.FragmentIds.Skip(1).Select(View).ToList(),
                done.Payments.Select(p => new Payment(p.FromId, p.ToId, new Money(p.AmountFen), p.Reason)).ToList()));
        if (!await IsIssued()) return Fault.NotFound("Voucher");
        var today = await TodayAsync();
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
        S.Notices.Add(Notice.Close(ObligorRef, RootId));
        foreach (var (id, funderId) in financed)
            S.Notices.Add(Notice.Close(EntityRef.Facility(Ids.Facility(funderId, S.ObligorId)), id));
        await Commit(operationId, "repay", [RootId, .. r.Settled.Select(f => f.Id)], record => record.Payments = payments);
        return result;
    }

    /// <summary>
    /// Whether the tree is issued. An activation that thinks not reads storage again first: it may be a stale one,
    /// activated in a short overlap of two activations, and must not call an issued voucher "not found".
    /// </summary>
    private async Task<bool> IsIssued()
    {
        if (S.Phase == TreePhase.Issued) return true;
        await ReadStoredState();
        return S.Phase == TreePhase.Issued;
    }

    /// <summary>
    /// Reads the stored state again, dropping whatever this activation holds in memory; the state read
    /// makes every consumer (rows and read model by their change stamps, exposure by the state's change log) look at all of it.
    /// </summary>
    private async Task ReadStoredState()
    {
        await state.ReadStateAsync();
        S.Upgrade();
        ForgetProjection();
    }

    private OperationRecord? Replay(string operationId) => S.Operations.GetValueOrDefault(operationId);

    private async Task<Voucher> Replayed(OperationRecord record, int position)
    {
        await ProjectChanges(); // the first attempt may have died between its write and its projection
        await Outbox.DeliverAsync();
        return View(record.FragmentIds[position]);
    }

    private Voucher View(string fragmentId) => Ledger.View(Ledger.Find(fragmentId)!);

    private async Task Commit(string operationId, string kind, List<string> fragmentIds, Action<OperationRecord>? complete = null)
    {
        Record(operationId, kind, fragmentIds, complete);
        await Flush();
        await Outbox.DeliverAsync();
    }

    /// <summary>Records a decided operation and stages its change (version, exposure events, alerts) for the next write.</summary>
    private void Record(string operationId, string kind, List<string> fragmentIds, Action<OperationRecord>? complete = null)
    {
        var record = new OperationRecord { Kind = kind, FragmentIds = fragmentIds };
        complete?.Invoke(record);
        S.Operations[operationId] = record;
        Stage(EventKinds.GetValueOrDefault(kind));
    }

    /// <summary>
    /// One fenced write of the whole tree, with the notices and exposure events its changes cause; then its read
    /// model catches up and the events go out (the callers deliver the notices once their answer is decided).
    /// </summary>
    private async Task Write(string? operationKind = null)
    {
        Stage(operationKind);
        await Flush();
    }

    /// <summary>
    /// A change decided in memory: the tree's version moves on, and the exposure events and alerts it causes join what the
    /// next write stores. Several staged changes (a batch) go in one write, each with its own version and events.
    /// </summary>
    private void Stage(string? operationKind)
    {
        S.Version++;
        var events = Ledger.TakeExposureChanges(S.Version, time.UtcNow, operationKind, _businessDate);
        S.ExposureOutbox.AddRange(events);
        RaiseStatusAlerts(events);
    }

    /// <summary>Writes what was staged, fenced; then the events go out and the alerts are delivered.</summary>
    private async Task Flush()
    {
        await WriteWithProjection();
        Outbox.Written();
        await Outbox.PublishAsync();
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
}
