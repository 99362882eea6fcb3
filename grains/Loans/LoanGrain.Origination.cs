using Microsoft.Extensions.Logging;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// Origination: the loan owns the reservations on what it draws on and on the funder's facility, keyed by its id.
/// It stores its intent, reserves both, then disburses with the commit notices; or it aborts with the release notices;
/// and it resolves a reservation a holder kept open too long.
/// </summary>
public sealed partial class LoanGrain
{
    public async Task<Outcome<Loan>> Originate(Caller caller, string operationId, DrawLoan command)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["LoanId"] = LoanId });
        if (await OwnerIntent.ReplayAsync(S.Intent, S.OriginationOperationId, operationId, Outbox, async () => View(await TodayAsync()),
                S.AbortedBecause, "A loan with this id already exists.", "Another financing with this id is in progress.") is { } replayed)
            return replayed;

        var today = await TodayAsync();
        if (S.Phase == LoanPhase.None)
        {
            if (command.FunderId is not null)
            {
                var funder = await GrainFactory.GetGrain<IParticipantGrain>(command.FunderId).Get();
                if (funder?.Role != Role.Funder) return Fault.Validation("funderId", "The lender must be a funder on the platform.");
            }
            S.Phase = LoanPhase.Originating;
            S.OriginationOperationId = operationId;
            S.BorrowerId = caller.Id;
            S.FunderId = command.FunderId ?? "";
            S.DrawsOn = command.Base;
            S.PrincipalFen = command.Amount.Fen;
            await Write();
        }

        var terms = await GrainFactory.LoanBase(S.DrawsOn!).ReserveDraw(
            new DrawRequest(LoanId, S.BorrowerId, S.FunderId.Length > 0 ? S.FunderId : null, new Money(S.PrincipalFen), today, command.TermDays));
        if (!terms.IsOk) return await Abort(terms.Fault!);
        S.FunderId = terms.Value!.FunderId;
        var rate = terms.Value.AnnualRate;
        if (DrawsOnFacility)
        {
            var room = await GrainFactory.GetGrain<IFacilityGrain>(FacilityRef.Id).Reserve(LoanId, EntityRef.Loan(LoanId), new Money(S.PrincipalFen), today);
            if (!room.IsOk) return await Abort(room.Fault!);
            rate = room.Value;
        }

        S.Phase = LoanPhase.Disbursed;
        S.AnnualRate = rate!.Value;
        S.DisbursedOn = today;
        S.AccruedTo = today;
        S.DueDate = terms.Value.DueDate;
        S.OutstandingFen = S.PrincipalFen;
        S.Status = LoanStatus.Active;
        S.Notices.Add(Notice.Commit(S.DrawsOn!, LoanId));
        if (DrawsOnFacility) S.Notices.Add(Notice.Commit(FacilityRef, LoanId));
        await Write("disbursed");
        LogDisbursed(LoanId, S.BorrowerId, S.FunderId, new Money(S.PrincipalFen).ToString());
        await Outbox.DeliverAsync();
        // A loan that is already past its dates (a late retry) catches up at once.
        await CatchUp(today);
        return Outcome<Loan>.Ok(View(today));
    }

    /// <summary>
    /// Closes the id for good. Decide, store, then release: the releases of whatever the loan's base and the facility
    /// may hold for this loan are notices stored in the same write as the decision (a stale activation fails that write
    /// and releases nothing), delivered right after it, and, if the process dies first, by a retry, the timer or the sweep.
    /// </summary>
    private async Task<Fault> Abort(Fault fault)
    {
        S.Phase = LoanPhase.Aborted;
        S.AbortedBecause = fault;
        if (S.DrawsOn is not null)
        {
            S.Notices.Add(Notice.Release(S.DrawsOn, LoanId));
            if (DrawsOnFacility) S.Notices.Add(Notice.Release(FacilityRef, LoanId));
        }
        await Write();
        await Outbox.DeliverAsync();
        return fault;
    }

    /// <summary>
    /// A holder kept this loan's reservation open too long. A disbursed loan delivers its notices and commits it; an
    /// originating one was abandoned: it closes the id for good, and its stored releases go out; an aborted one (or one
    /// that never stored an intent, so that nothing took effect) releases it.
    /// </summary>
    public async Task Resolve(EntityRef holder, string item)
    {
        if (item != LoanId) return; // a loan's reservations are keyed by its own id
        if (holder.Kind == EntityKind.Pool)
        {
            await ResolveEnrollment(holder);
            return;
        }
        const string abandoned = "The financing did not complete and was abandoned; ask again with a new Idempotency-Key.";
        switch (S.Phase)
        {
            case LoanPhase.Disbursed:
                await Outbox.DeliverAsync();
                await GrainFactory.Holder(holder).Commit(LoanId);
                return;
            case LoanPhase.Originating:
                await Abort(Fault.Conflict(abandoned));
                return;
            case LoanPhase.None:
                await Abort(Fault.Conflict(abandoned));
                await GrainFactory.Holder(holder).Release(LoanId);
                return;
            case LoanPhase.Aborted:
                await Outbox.DeliverAsync();
                await GrainFactory.Holder(holder).Release(LoanId);
                return;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId} disbursed to {BorrowerId} by {FunderId}: {Amount}")]
    private partial void LogDisbursed(string loanId, string borrowerId, string funderId, string amount);
}
