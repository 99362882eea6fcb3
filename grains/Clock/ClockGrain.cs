using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Clock;

public sealed class ClockState
{
    public DateOnly? Today { get; set; }
}

public sealed class ClockGrain(
    [PersistentState("clock", Storage.Name)] IPersistentState<ClockState> state,
    PlatformTime time) : Grain, IClockGrain
{
    public const string Key = "platform";

    public async Task<DateOnly> Today()
    {
        if (state.State.Today is { } today) return today;
        state.State.Today = DateOnly.FromDateTime(time.UtcNow.UtcDateTime);
        await state.WriteOrDeactivateAsync(this);
        return state.State.Today.Value;
    }

    public async Task<DateOnly> Advance(int days)
    {
        var today = await Today();
        state.State.Today = today.AddDays(days);
        await state.WriteOrDeactivateAsync(this);
        return state.State.Today.Value;
    }
}
