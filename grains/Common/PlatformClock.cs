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
public sealed class PlatformClock(IGrainFactory grains, PlatformTime time, IOptions<ClockOptions> options)
{
    public bool IsManual => options.Value.Manual;

    public Task<DateOnly> TodayAsync() =>
        IsManual
            ? grains.GetGrain<IClockGrain>(ClockGrain.Key).Today()
            : Task.FromResult(DateOnly.FromDateTime(time.UtcNow.UtcDateTime));
}

/// <summary>
/// The platform's source of time, kept apart from the TimeProvider Orleans itself runs on, so that tests can
/// drive business time with a fake provider without freezing the runtime's own timers and membership.
/// </summary>
public sealed class PlatformTime(TimeProvider provider)
{
    public TimeProvider Provider => provider;

    public DateTimeOffset UtcNow => provider.GetUtcNow();
}
