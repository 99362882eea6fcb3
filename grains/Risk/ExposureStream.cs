using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace SupplyChain.Grains.Risk;

/// <summary>
/// The producer side shared by voucher trees and loans: events stay in the producer's stored outbox until the
/// obligor's risk grain acknowledges them; sending is best effort, and the producer's timer sends again.
/// </summary>
internal static class ExposureOutbox
{
    /// <summary>Sends the open events on the obligor's stream; false (logged) when the stream refused them.</summary>
    public static async Task<bool> TrySendAsync(Grain producer, string obligorId, List<ExposureEvent> outbox, ILogger logger)
    {
        if (outbox.Count == 0) return true;
        try
        {
            var stream = producer.GetStreamProvider(Exposures.Provider).GetStream<ExposureBatch>(StreamId.Create(Exposures.Namespace, obligorId));
            await stream.OnNextAsync(new ExposureBatch(outbox.ToList()));
            return true;
        }
        catch (Exception e)
        {
            // Not fatal: the events are stored and the producer's timer tries again.
            logger.LogWarning(e, "{Producer} could not send {Count} exposure events; will retry", producer.GetGrainId(), outbox.Count);
            return false;
        }
    }

    /// <summary>Drops the acknowledged events; true when any was dropped (the removal is then worth storing).</summary>
    public static bool Acknowledge(List<ExposureEvent> outbox, IReadOnlyList<string> eventIds)
    {
        var acknowledged = eventIds.ToHashSet(StringComparer.Ordinal);
        return outbox.RemoveAll(e => acknowledged.Contains(e.Id)) > 0;
    }
}
