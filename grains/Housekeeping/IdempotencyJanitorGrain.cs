using Microsoft.Extensions.Logging;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Housekeeping;

public sealed class IdempotencyJanitorGrain(IIdempotencyStore store, PlatformTime time, ILogger<IdempotencyJanitorGrain> logger)
    : Grain, IIdempotencyJanitorGrain, IRemindable
{
    public const string Key = "platform";

    /// <summary>API.md promises at least 24 hours; two days leaves room for slow retries across a weekend outage of a client.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(48);

    public async Task Start() => await this.RegisterOrUpdateReminder("purge", TimeSpan.FromMinutes(5), TimeSpan.FromHours(1));

    public async Task ReceiveReminder(string reminderName, TickStatus status) => await Purge();

    public async Task<int> Purge()
    {
        var purged = await store.PurgeAsync(time.UtcNow - Retention);
        if (purged > 0) logger.LogInformation("Forgot {Count} idempotency records older than {Retention}", purged, Retention);
        return purged;
    }
}
