using Microsoft.Extensions.Logging;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// The loss waterfall of a loan that defaults in a guarantee group, as durable steps. The loss is fixed in the write
/// that defaults the loan; then the group is asked to call the other members (it stores the calls and freezes before it
/// answers, and answers a repeated request with the same calls), and the loan stores the answer. A process that dies
/// in between asks again on activation, on its next read or by the retry timer; each amount is applied once.
/// What the guarantors do not cover, the funder bears. (Risk pools, the second step, are not built yet.)
/// </summary>
public sealed partial class LoanGrain
{
    private static readonly TimeSpan WaterfallRetry = TimeSpan.FromSeconds(2);
    private IGrainTimer? _waterfallTimer;

    private void StartWaterfall()
    {
        if (GroupId is null || S.Waterfall is not null) return;
        S.Waterfall = new WaterfallState { LossFen = S.OutstandingFen + S.InterestDueFen };
    }

    private async Task AdvanceWaterfall()
    {
        if (S.Waterfall is not { Calls: null } waterfall || GroupId is null) return;
        try
        {
            var calls = await GrainFactory.GetGrain<IGuaranteeGroupGrain>(GroupId).CallGuarantors(LoanId, S.BorrowerId, new Money(waterfall.LossFen));
            waterfall.Calls = calls.Select(c => new WaterfallCall { MemberId = c.MemberId, AmountFen = c.Amount.Fen }).ToList();
            await Write();
            _waterfallTimer?.Dispose();
            _waterfallTimer = null;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Loan {LoanId} could not take its waterfall's next step; will retry", LoanId);
            _waterfallTimer ??= this.RegisterGrainTimer(AdvanceWaterfall, new GrainTimerCreationOptions(WaterfallRetry, WaterfallRetry) { Interleave = false, KeepAlive = true });
        }
    }

    /// <summary>Shown once every step has been taken (null until then), so what is shown always adds up to the loss.</summary>
    private LoanWaterfall? WaterfallView()
    {
        if (S.Waterfall is not { Calls: { } stored } w) return null;
        var calls = stored.Select(c => new GuaranteeCall(c.MemberId, new Money(c.AmountFen))).ToList();
        return new LoanWaterfall(new Money(w.LossFen), calls, null, Money.Zero, new Money(w.LossFen - calls.Sum(c => c.Amount.Fen)));
    }
}
