using Microsoft.Extensions.Logging;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Pools;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// The loss waterfall of a loan that defaults in a guarantee group or enrolled in a risk pool, as durable steps. The loss
/// is fixed in the write that defaults the loan. Step 1: the group calls the other members (it stores the calls and
/// freezes before it answers, and answers a repeated request with the same calls). Step 2: the pool pays its coverage
/// ratio of what remains, up to its balance (likewise stored before it answers, once per loan). The loan stores each
/// answer as it comes. A process that dies in between asks again on activation, on its next read or by the retry timer;
/// each amount is applied once. What is left, the funder bears.
/// </summary>
public sealed partial class LoanGrain
{
    private static readonly TimeSpan WaterfallRetry = TimeSpan.FromSeconds(2);
    private IGrainTimer? _waterfallTimer;

    /// <summary>Called in the write that defaults the loan: fixes the loss, and the pool's cover ends.</summary>
    private void StartWaterfall()
    {
        if (S.PoolId is not null) S.Notices.Add(Protocol.Notice.Close(Protocol.EntityRef.Pool(S.PoolId), LoanId));
        if ((GroupId is null && S.PoolId is null) || S.Waterfall is not null) return;
        S.Waterfall = new WaterfallState { LossFen = S.OutstandingFen + S.InterestDueFen };
    }

    private async Task AdvanceWaterfall()
    {
        if (S.Waterfall is not { } w || (w.Calls is not null && w.PoolPaymentFen is not null)) return;
        try
        {
            if (w.Calls is null)
            {
                var calls = GroupId is null
                    ? []
                    : await GrainFactory.GetGrain<IGuaranteeGroupGrain>(GroupId).CallGuarantors(LoanId, S.BorrowerId, new Money(w.LossFen));
                w.Calls = calls.Select(c => new WaterfallCall { MemberId = c.MemberId, AmountFen = c.Amount.Fen }).ToList();
                // Each call is an exposure of the member to the funder, sent on the member's stream with the write that stores it.
                foreach (var (memberId, position) in LoanLedger.CallPositions(S))
                    S.ExposureOutbox.Add(new Risk.ExposureEvent($"{LoanId}:call:{memberId}", LoanId, $"{LoanId}:call:{memberId}", memberId,
                        null, position, time.UtcNow, "guarantee_call", _businessDate));
                await Write();
            }
            if (w.PoolPaymentFen is null)
            {
                var remaining = new Money(w.LossFen - w.Calls.Sum(c => c.AmountFen));
                w.PoolPaymentFen = S.PoolId is null
                    ? 0
                    : (await GrainFactory.GetGrain<IRiskPoolGrain>(S.PoolId).Pay(LoanId, S.FunderId, remaining, Ledger.DefaultDate)).Fen;
                await Write();
            }
            _waterfallTimer?.Dispose();
            _waterfallTimer = null;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Loan {LoanId} could not take its waterfall's next step; will retry", LoanId);
            _waterfallTimer ??= this.RegisterGrainTimer(AdvanceWaterfall, new GrainTimerCreationOptions(WaterfallRetry, WaterfallRetry) { Interleave = false, KeepAlive = true });
        }
    }

    /// <summary>
    /// A member called as a guarantor for this loan pays (part of) its call to the funder: one fenced write with the call's
    /// exposure event (what is left of it, none once paid), idempotent by operation id. The loss was borne as the waterfall
    /// shows: paying a call settles the member's obligation, it does not change the loss or the funder's part.
    /// </summary>
    public async Task<Outcome<Loan>> PayCall(Caller caller, string operationId, Money amount)
    {
        if (S.Phase != LoanPhase.Disbursed) await Reload();
        var call = S.Waterfall?.Calls?.Find(c => c.MemberId == caller.Id);
        if (S.Phase != LoanPhase.Disbursed || call is null) return Fault.NotFound("Guarantee call");
        var today = await TodayAsync();
        if (call.Payments.Any(p => p.OperationId == operationId))
        {
            await Outbox.ResendAsync();
            return Outcome<Loan>.Ok(View(today));
        }
        var owed = call.AmountFen - call.PaidFen;
        if (owed == 0) return Fault.InvalidState("The call is paid; nothing is owed.");
        if (amount.Fen > owed) return Fault.Validation("amount", $"The amount may be at most what is owed of the call, {new Money(owed)}.");
        var before = LoanLedger.CallPosition(S, call);
        call.PaidFen += amount.Fen;
        call.Payments.Add(new CallPayment { OperationId = operationId, AmountFen = amount.Fen, On = today });
        S.ExposureOutbox.Add(new Risk.ExposureEvent($"{LoanId}:call:{caller.Id}:{call.Payments.Count}", LoanId, $"{LoanId}:call:{caller.Id}", caller.Id,
            before, LoanLedger.CallPosition(S, call), time.UtcNow, "call_paid", today));
        await Write();
        return Outcome<Loan>.Ok(View(today));
    }

    /// <summary>Shown once every step has been taken (null until then), so what is shown always adds up to the loss.</summary>
    private LoanWaterfall? WaterfallView()
    {
        if (S.Waterfall is not { Calls: { } stored, PoolPaymentFen: { } pool } w) return null;
        var calls = stored.Select(c => new GuaranteeCall(c.MemberId, new Money(c.AmountFen), new Money(c.PaidFen))).ToList();
        return new LoanWaterfall(new Money(w.LossFen), calls, S.PoolId, new Money(pool), new Money(w.LossFen - calls.Sum(c => c.Amount.Fen) - pool));
    }
}
