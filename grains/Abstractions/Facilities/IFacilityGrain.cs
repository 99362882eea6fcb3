using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Facilities;

[GenerateSerializer, Immutable, Alias("Facility")]
public sealed record Facility(
    [property: Id(0)] string Id,
    [property: Id(1)] string FunderId,
    [property: Id(2)] string ObligorId,
    [property: Id(3)] Money Limit,
    [property: Id(4)] Money Used,
    [property: Id(5)] decimal AnnualRate,
    [property: Id(6)] DateOnly ExpiresOn);

[GenerateSerializer, Immutable, Alias("FacilityTerms")]
public sealed record FacilityTerms(
    [property: Id(0)] string FunderId,
    [property: Id(1)] string ObligorId,
    [property: Id(2)] Money Limit,
    [property: Id(3)] decimal AnnualRate,
    [property: Id(4)] DateOnly ExpiresOn);

/// <summary>
/// A funder's credit line on one obligor; key = <see cref="Ids.Facility"/>(funder, obligor).
/// Usage is reserved by the voucher tree that discounts into it, keyed by the financed fragment's id, or by the
/// loan drawn under it, keyed by the loan id; then committed or released by that tree or loan (<see cref="IReservationHolder"/>);
/// a loan's usage follows its outstanding principal (SetAmount) and leaves when it is repaid (Close).
/// </summary>
[Alias("IFacilityGrain")]
public interface IFacilityGrain : IReservationHolder
{
    [Alias("Grant")]
    Task<Outcome<Facility>> Grant(FacilityTerms terms);

    [Alias("Get")]
    Task<Facility?> Get();

    [Alias("SetLimit")]
    Task<Outcome<Facility>> SetLimit(Money limit);

    /// <summary>
    /// Reserves room for <paramref name="item"/> (a financed fragment, or a loan) on behalf of <paramref name="owner"/>
    /// (its voucher tree, or the loan). Returns the facility's annual rate.
    /// </summary>
    [Alias("Reserve")]
    Task<Outcome<decimal>> Reserve(string item, EntityRef owner, Money amount, DateOnly today);
}
