using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Participants;

public sealed class ParticipantState
{
    public string? Name { get; set; }
    public Role Role { get; set; }
    public string? FunderId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ParticipantGrain(
    [PersistentState("participant", Storage.Name)] IPersistentState<ParticipantState> state,
    PlatformTime time) : Grain, IParticipantGrain
{
    public async Task<Outcome<Participant>> Register(string name, Role role, string? funderId)
    {
        if (state.RecordExists)
        {
            var same = state.State.Name == name && state.State.Role == role && state.State.FunderId == funderId;
            return same ? Outcome<Participant>.Ok(View()) : Fault.Conflict("A participant with this id already exists.");
        }
        state.State.Name = name;
        state.State.Role = role;
        state.State.FunderId = funderId;
        state.State.CreatedAt = time.UtcNow;
        await state.WriteOrDeactivateAsync(this);
        return Outcome<Participant>.Ok(View());
    }

    public Task<Participant?> Get() => Task.FromResult(state.RecordExists ? View() : null);

    private Participant View() =>
        new(this.GetPrimaryKeyString(), state.State.Name!, state.State.Role, state.State.FunderId, state.State.CreatedAt);
}
