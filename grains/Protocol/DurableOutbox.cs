using Microsoft.Extensions.Logging;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Protocol;

/// <summary>The stored half of a durable outbox: lists in the sender's grain state, written with every change.</summary>
public interface IOutboxState
{
    /// <summary>Effects on other grains, delivered until each receiver has answered.</summary>
    List<Notice> Notices { get; }

    /// <summary>Exposure events, re-sent until the obligor's risk grain acknowledges them.</summary>
    List<ExposureEvent> ExposureOutbox { get; }
}

/// <summary>
/// The sender's side of every cross-grain effect. A grain adds notices and exposure events to its state and stores
/// them in the same fenced write as the change that caused them (a stale activation fails that write and sends
/// nothing); then this delivers them. What cannot be delivered now is retried by a timer, and again on the next
/// activation, so every stored notice reaches its receiver at least once and every event is acknowledged.
/// Delivered notices and acknowledged events leave memory at once and storage with the next write: a crash in between
/// only repeats a delivery, which every receiver ignores.
/// </summary>
internal sealed class DurableOutbox(IGrainBase sender, IGrainFactory grains, EntityRef self, Func<IOutboxState> state, ILogger logger)
{
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(2);
    private IGrainTimer? _timer;

    /// <summary>
    /// When this activation last sent each unacknowledged event (Environment.TickCount64). After a write only the events
    /// not sent yet go out; the timer sends again those left unacknowledged for <see cref="ResendAfter"/>. A busy grain
    /// whose acknowledgements wait in its queue behind its requests would otherwise send its whole outbox after every
    /// write.
    /// </summary>
    private readonly Dictionary<string, long> _sentAt = new(StringComparer.Ordinal);

    /// <summary>Events were acknowledged since the last write: the stored outbox still lists them.</summary>
    private bool _acknowledgedUnstored;

    private IOutboxState S => state();

    /// <summary>What is still to go out: the read model records it, so that a sweep can wake a sender that stalled.</summary>
    public int Pending => S.Notices.Count + S.ExposureOutbox.Count;

    /// <summary>Call after each successful write: the stored outbox is now the one in memory.</summary>
    public void Written() => _acknowledgedUnstored = false;

    /// <summary>After activation: a process may have died between a write and its deliveries.</summary>
    public async Task RecoverAsync()
    {
        await DeliverAsync();
        await ResendAsync();
        EnsureTimer();
    }

    /// <summary>Delivers the stored notices in order if every receiver answers; what is left waits for the timer.</summary>
    public async Task DeliverAsync()
    {
        try
        {
            foreach (var n in S.Notices.ToList())
            {
                await n.DeliverAsync(grains);
                S.Notices.Remove(n);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Sender} could not deliver {Count} notices; will retry", self, S.Notices.Count);
            EnsureTimer();
        }
    }

    /// <summary>
    /// Sends the exposure events this activation has not sent yet (after a write: those it added), each on its obligor's
    /// stream (best effort: the timer sends again what stays unacknowledged).
    /// </summary>
    public Task PublishAsync() => SendAsync(e => !_sentAt.ContainsKey(e.Id));

    /// <summary>Sends every unacknowledged exposure event again (after activation, or when woken).</summary>
    public Task ResendAsync() => SendAsync(_ => true);

    private async Task SendAsync(Func<SupplyChain.Grains.Risk.ExposureEvent, bool> which)
    {
        if (S.ExposureOutbox.Count == 0) return;
        var now = Environment.TickCount64;
        foreach (var obligor in S.ExposureOutbox.Where(which).GroupBy(e => e.ObligorId, StringComparer.Ordinal).ToList())
        {
            var events = obligor.ToList();
            if (await ExposureStream.TrySendAsync(sender, self, obligor.Key, events, logger))
                foreach (var e in events) _sentAt[e.Id] = now;
        }
        EnsureTimer();
    }

    public void Acknowledge(IReadOnlyList<string> eventIds)
    {
        var acknowledged = eventIds.ToHashSet(StringComparer.Ordinal);
        foreach (var id in eventIds) _sentAt.Remove(id);
        if (S.ExposureOutbox.RemoveAll(e => acknowledged.Contains(e.Id)) > 0) _acknowledgedUnstored = true;
    }

    /// <summary>Spares the next activation from re-sending what was acknowledged; harmless if this write never happens.</summary>
    public async Task OnDeactivateAsync(DeactivationReason reason, Func<Task> write)
    {
        if (!_acknowledgedUnstored || S.ExposureOutbox.Count > 0 || reason.ReasonCode == DeactivationReasonCode.ApplicationError) return;
        try
        {
            await write();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Sender} could not store its acknowledged exposure events at deactivation", self);
        }
    }

    /// <summary>While anything is undelivered or unacknowledged, retry every few seconds; the timer stops when all is out.</summary>
    private void EnsureTimer()
    {
        if (_timer is not null || Pending == 0) return;
        _timer = sender.RegisterGrainTimer(async () =>
        {
            if (Pending == 0)
            {
                _timer?.Dispose();
                _timer = null;
                _sentAt.Clear();
                return;
            }
            if (S.Notices.Count > 0) await DeliverAsync();
            var due = Environment.TickCount64 - (long)ResendAfter.TotalMilliseconds;
            await SendAsync(e => !_sentAt.TryGetValue(e.Id, out var at) || at <= due);
        }, new GrainTimerCreationOptions(ResendAfter, ResendAfter) { Interleave = false, KeepAlive = true });
    }
}
