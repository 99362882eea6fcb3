namespace SupplyChain.Grains.Housekeeping;

/// <summary>Forgets idempotency records past their retention, on a durable hourly reminder; key "platform".</summary>
[Alias("IIdempotencyJanitorGrain")]
public interface IIdempotencyJanitorGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder (idempotent); called at silo start. Interleaved, like the maturity sweep's.</summary>
    [Orleans.Concurrency.AlwaysInterleave, Alias("Start")]
    Task Start();

    [Alias("Purge")]
    Task<int> Purge();
}
