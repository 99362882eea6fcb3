using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Participants;

[GenerateSerializer, Immutable, Alias("Participant")]
public sealed record Participant(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] Role Role,
    [property: Id(3)] string? FunderId,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>A participant or a risk-staff member, keyed by its id.</summary>
[Alias("IParticipantGrain")]
public interface IParticipantGrain : IGrainWithStringKey
{
    /// <summary>Creates the participant; calling it again with the same data returns the same participant.</summary>
    [Alias("Register")]
    Task<Outcome<Participant>> Register(string name, Role role, string? funderId);

    [Alias("Get")]
    Task<Participant?> Get();
}
