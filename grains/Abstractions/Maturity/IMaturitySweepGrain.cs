namespace SupplyChain.Grains.Maturity;

/// <summary>
/// Finds voucher trees with something due (expiry, overdue, default) and has each catch up. Driven by a durable
/// reminder every minute, and right after the manual clock moves; key "platform".
/// </summary>
[Alias("IMaturitySweepGrain")]
public interface IMaturitySweepGrain : IGrainWithStringKey
{
    /// <summary>
    /// Registers the reminder (idempotent); called at silo start. Interleaved: it touches no sweep state, and must not
    /// wait behind a long sweep (a starting silo would time out on it).
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave, Alias("Start")]
    Task Start();

    /// <summary>Runs one sweep now and returns how many trees were asked to catch up.</summary>
    [Alias("Sweep")]
    Task<int> Sweep();
}
