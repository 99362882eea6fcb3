using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Facilities;

[GenerateSerializer, Immutable, Alias("IssuancePosition")]
public sealed record IssuancePosition(
    [property: Id(0)] Money Limit,
    [property: Id(1)] Money Outstanding,
    [property: Id(2)] Money? OperatorLimit);

/// <summary>
/// A core enterprise's issuance limit and the outstanding face of its unsettled roots; key = obligor id.
/// Roots are reserved by the new voucher tree, committed once the tree exists, closed at settlement or cancellation
/// (the reservation book of <see cref="IReservationHolder"/>, item = root id, owner = that tree).
/// </summary>
[Alias("IObligorGrain")]
public interface IObligorGrain : IReservationHolder
{
    [Alias("SetFacilityLimit")]
    Task SetFacilityLimit(string facilityId, Money limit, DateOnly expiresOn);

    [Alias("SetOperatorLimit")]
    Task<IssuancePosition> SetOperatorLimit(Money? limit);

    [Alias("Reserve")]
    Task<Outcome<IssuancePosition>> Reserve(string rootId, Money amount, DateOnly today);

    [Alias("GetPosition")]
    Task<IssuancePosition> GetPosition(DateOnly today);
}
