using Microsoft.Extensions.Logging;
using Orleans.Streams;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Vouchers;

/// <summary>
/// The producer side of exposure events: an outbox in the tree's own state. Events are stored with the change
/// that caused them, sent on the obligor's stream after each write, re-sent while unacknowledged (memory
/// streams lose what is queued when a silo dies), and dropped once the obligor's risk grain acknowledges them.
/// </summary>
public sealed partial class VoucherTreeGrain
{
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(2);
    private IGrainTimer? _resend;
    private long _lastSentTicks;

    /// <summary>Acknowledged events were dropped from memory but are still in the stored outbox.</summary>
    private bool _outboxDirty;

    public Task AcknowledgeExposures(IReadOnlyList<string> eventIds)
    {
        if (ExposureOutbox.Acknowledge(S.ExposureOutbox, eventIds)) _outboxDirty = true;
        return Task.CompletedTask;
    }

    public Task<TreePositions> GetPositions() =>
        Task.FromResult(new TreePositions(S.ObligorId,
            S.Phase != TreePhase.Issued ? [] : S.Fragments.Select(TreeLedger.Position).OfType<ExposurePosition>().ToList()));

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Spare the next activation from re-sending what was acknowledged; harmless if this write never happens.
        if (_outboxDirty && S.ExposureOutbox.Count == 0 && reason.ReasonCode != DeactivationReasonCode.ApplicationError)
        {
            try
            {
                await Write();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Tree {RootId} could not store its acknowledged exposure events at deactivation", RootId);
            }
        }
    }

    private async Task PublishExposures()
    {
        if (S.ExposureOutbox.Count == 0) return;
        if (await ExposureOutbox.TrySendAsync(this, S.ObligorId, S.ExposureOutbox, logger)) _lastSentTicks = Environment.TickCount64;
        EnsureRetryTimer();
    }

    /// <summary>
    /// While exposure events are unacknowledged or notices undelivered (a receiver was unreachable), retry them
    /// every few seconds; the timer stops when both are empty.
    /// </summary>
    private void EnsureRetryTimer()
    {
        if (_resend is not null || (S.ExposureOutbox.Count == 0 && S.Outbox.Count == 0)) return;
        _resend = this.RegisterGrainTimer(async () =>
        {
            if (S.ExposureOutbox.Count == 0 && S.Outbox.Count == 0)
            {
                _resend?.Dispose();
                _resend = null;
                return;
            }
            if (S.Outbox.Count > 0) await TryDeliverOutbox();
            if (S.ExposureOutbox.Count > 0 && Environment.TickCount64 - _lastSentTicks >= (long)ResendAfter.TotalMilliseconds) await PublishExposures();
        }, new GrainTimerCreationOptions(ResendAfter, ResendAfter) { Interleave = false, KeepAlive = true });
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
            logger.LogWarning(e, "Tree {RootId} could not deliver {Count} notices; will retry", RootId, S.Outbox.Count);
            EnsureRetryTimer();
        }
    }
}
