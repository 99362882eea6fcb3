using Microsoft.Extensions.Logging;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// Issuance. The tree stores its intent, reserves the obligor's limit and, against an order, claims the order; then it
/// creates the root in one write with the commit notices. Against a financed order (the closed loop) it also asks each
/// loan drawing on the order to pin what it owes today, and reserves the funder's part on the funder's facility on the
/// obligor. All of it is keyed by the root id (fragment id for facilities), committed by notices stored with the issued
/// tree, and released if the issuance is abandoned: by the tree, from what it knows, and by each holder's sweep, which
/// asks the tree naming what it holds (so nothing needs storing between the steps).
/// </summary>
public sealed partial class VoucherTreeGrain
{
    public async Task<Outcome<Voucher>> Issue(Caller caller, string operationId, IssueVoucher command)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["RootId"] = RootId });
        if (await OwnerIntent.ReplayAsync(S.Intent, S.IssueOperationId, operationId, Outbox, () => Task.FromResult(Ledger.View(S.Fragments[0])),
                S.AbortedBecause, "A voucher with this id already exists.", "Another issuance of this voucher is in progress.") is { } replayed)
            return replayed;

        var today = await TodayAsync();
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
        S.Notices.Add(Notice.Commit(ObligorRef, RootId));
        AddClosedLoopNotices();
        await Write("issued");
        LogIssued(RootId, S.ObligorId, root.Amount.ToString());
        await Outbox.DeliverAsync();
        return Outcome<Voucher>.Ok(root);
    }

    /// <summary>
    /// A cancelled root frees the obligor's limit, and the order it was paying is unpaid again (only an ordinary
    /// root can be cancelled: a closed-loop root is split at issuance and never pending).
    /// </summary>
    private void AddCancellationNotices()
    {
        S.Notices.Add(Notice.Close(ObligorRef, RootId));
        if (S.OrderId is not null) S.Notices.Add(Notice.Reopen(S.OrderId, RootId));
    }

    /// <summary>Pins each loan's payoff, allocates the face to the loans in order, and reserves facility room. Null when all is ready.</summary>
    private async Task<Fault?> PrepareClosedLoop(DateOnly today)
    {
        var parts = S.ClosedLoop!;
        if (parts.Any(p => p.PayoffFen is null))
        {
            foreach (var part in parts.Where(p => p.PayoffFen is null))
            {
                var payoff = await GrainFactory.GetGrain<ILoanGrain>(part.LoanId).ReserveSettlement(RootId, today);
                if (!payoff.IsOk) return payoff.Fault;
                part.PayoffFen = payoff.Value.Fen;
            }
            // The allocation and the fragment ids follow from the pinned payoffs, which a retry gets again unchanged.
            var remaining = S.FaceFen;
            var sequence = 1;
            foreach (var part in parts)
            {
                part.AmountFen = Math.Min(remaining, part.PayoffFen!.Value);
                remaining -= part.AmountFen;
                part.FragmentId = part.AmountFen > 0 ? Ids.Fragment(RootId, sequence++) : null;
            }
        }
        foreach (var part in parts.Where(p => p.FragmentId is not null))
        {
            var room = await GrainFactory.GetGrain<IFacilityGrain>(Ids.Facility(part.FunderId, S.ObligorId))
                .Reserve(part.FragmentId!, EntityRef.Tree(RootId), new Money(part.AmountFen), today);
            if (!room.IsOk)
                return room.Fault! with
                {
                    Detail = $"The closed loop needs {new Money(part.AmountFen)} of funder {part.FunderId}'s facility on {S.ObligorId}: {room.Fault.Detail}",
                };
        }
        return null;
    }

    /// <summary>Commit notices for everything the closed loop reserved; they are stored with the issued tree.</summary>
    private void AddClosedLoopNotices()
    {
        if (S.OrderId is null) return;
        foreach (var part in S.ClosedLoop ?? [])
        {
            if (part.FragmentId is not null)
            {
                S.Notices.Add(Notice.Commit(EntityRef.Facility(Ids.Facility(part.FunderId, S.ObligorId)), part.FragmentId));
                S.Notices.Add(Notice.Settle(part.LoanId, RootId, part.AmountFen));
            }
            else
            {
                S.Notices.Add(Notice.Unpin(part.LoanId, RootId));
            }
        }
        S.Notices.Add(Notice.Commit(EntityRef.Order(S.OrderId), RootId));
    }

    /// <summary>
    /// The issuance will never happen: close the id with <paramref name="fault"/> and give back whatever it may have
    /// reserved. Decide, store, then release: the releases are notices stored with the decision (a stale activation
    /// fails that write and releases nothing a newer one committed to), delivered by the outbox. Each is idempotent
    /// and ignores what was never reserved (or was committed).
    /// </summary>
    private async Task<Fault> AbortIssuance(Fault fault)
    {
        S.Phase = TreePhase.Aborted;
        S.AbortedBecause = fault;
        if (S.ObligorId.Length > 0) S.Notices.Add(Notice.Release(ObligorRef, RootId));
        if (S.OrderId is not null)
        {
            foreach (var part in S.ClosedLoop ?? [])
            {
                S.Notices.Add(Notice.Unpin(part.LoanId, RootId));
                if (part.FragmentId is not null)
                    S.Notices.Add(Notice.Release(EntityRef.Facility(Ids.Facility(part.FunderId, S.ObligorId)), part.FragmentId));
            }
            S.Notices.Add(Notice.Release(EntityRef.Order(S.OrderId), RootId));
        }
        await Write();
        await Outbox.DeliverAsync();
        return fault;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Voucher {RootId} issued by {ObligorId} for {Amount}")]
    private partial void LogIssued(string rootId, string obligorId, string amount);
}
