using SupplyChain.Grains.Common;

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
/// loan drawn under it, keyed by the loan id; then committed or released by that tree or loan.
/// </summary>
[Alias("IFacilityGrain")]
public interface IFacilityGrain : IGrainWithStringKey
{
    [Alias("Grant")]
    Task<Outcome<Facility>> Grant(FacilityTerms terms);

    [Alias("Get")]
    Task<Facility?> Get();

    [Alias("SetLimit")]
    Task<Outcome<Facility>> SetLimit(Money limit);

    /// <summary>Reserves room for a financed fragment. Returns the facility's annual rate.</summary>
    [Alias("Reserve")]
    Task<Outcome<decimal>> Reserve(string fragmentId, string rootId, Money amount, DateOnly today);

    [Alias("Commit")]
    Task Commit(string fragmentId);

    /// <summary>Drops a reservation that did not take effect (a committed one is never released).</summary>
    [Alias("Release")]
    Task Release(string fragmentId);

    /// <summary>
    /// A loan's outstanding principal changed: its usage becomes <paramref name="amount"/>, unless a later
    /// <paramref name="version"/> of the loan was already applied.
    /// </summary>
    [Alias("SetUsage")]
    Task SetUsage(string itemId, Money amount, long version);

    /// <summary>The funder no longer holds the fragment (settled) or the loan is repaid: it leaves usage.</summary>
    [Alias("Close")]
    Task Close(string fragmentId);
}
