using Microsoft.Extensions.Logging;
using Orleans.Streams;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Risk;

/// <summary>Sending exposure events: on the obligor's stream, in a batch that names its producer for the acknowledgement.</summary>
internal static class ExposureStream
{
    /// <summary>Sends the open events (a snapshot the caller no longer changes); false (logged) when the stream refused them. Not fatal: they stay stored and are sent again.</summary>
    public static async Task<bool> TrySendAsync(IGrainBase producer, EntityRef self, string obligorId, IReadOnlyList<ExposureEvent> events, ILogger logger)
    {
        if (events.Count == 0) return true;
        try
        {
            var stream = producer.GetStreamProvider(Exposures.Provider).GetStream<ExposureBatch>(StreamId.Create(Exposures.Namespace, obligorId));
            await stream.OnNextAsync(new ExposureBatch(events, self));
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Producer} could not send {Count} exposure events; will retry", self, events.Count);
            return false;
        }
    }
}
