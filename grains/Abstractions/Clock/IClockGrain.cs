namespace SupplyChain.Grains.Clock;

/// <summary>The manual platform clock: one date for the whole cluster, persisted; key "platform".</summary>
[Alias("IClockGrain")]
public interface IClockGrain : IGrainWithStringKey
{
    [Alias("Today")]
    Task<DateOnly> Today();

    [Alias("Advance")]
    Task<DateOnly> Advance(int days);
}
