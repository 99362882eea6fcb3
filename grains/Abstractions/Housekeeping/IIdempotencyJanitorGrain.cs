namespace SupplyChain.Grains.Housekeeping;

/// <summary>Forgets idempotency records past their retention, on a durable hourly reminder; key "platform".</summary>
[Alias("IIdempotencyJanitorGrain")]
public interface IIdempotencyJanitorGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task Start();

    [Alias("Purge")]
    Task<int> Purge();
}
