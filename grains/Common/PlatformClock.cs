using Microsoft.Extensions.Options;
using SupplyChain.Grains.Clock;

namespace SupplyChain.Grains.Common;

public sealed class ClockOptions
{
    public const string Section = "SupplyChain:Clock";

    /// <summary>A clock that only moves when told (POST /v1/admin/clock/advance); its date is shared and persisted.</summary>
    public bool Manual { get; set; }
}

/// <summary>Today's business date (UTC), from the system clock or from the shared manual clock grain.</summary>
public sealed class PlatformClock(IGrainFactory grains, TimeProvider time, IOptions<ClockOptions> options)
{
    public bool IsManual => options.Value.Manual;

    public Task<DateOnly> TodayAsync() =>
        IsManual
            ? grains.GetGrain<IClockGrain>(ClockGrain.Key).Today()
            : Task.FromResult(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
}
