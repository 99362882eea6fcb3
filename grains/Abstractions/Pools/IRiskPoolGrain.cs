using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Pools;

public enum PoolStatus
{
    Active,
    /// <summary>Its balance is spent: it covers nothing more until contributions come in.</summary>
    Exhausted,
}

public static class PoolStatuses
{
    public static string Wire(this PoolStatus s) => s.ToString().ToLowerInvariant();
}

[GenerateSerializer, Immutable, Alias("PoolContribution")]
public sealed record PoolContribution([property: Id(0)] string ContributorId, [property: Id(1)] Money Amount, [property: Id(2)] DateOnly On);

[GenerateSerializer, Immutable, Alias("PoolPayout")]
public sealed record PoolPayout([property: Id(0)] string LoanId, [property: Id(1)] string FunderId, [property: Id(2)] Money Amount, [property: Id(3)] DateOnly On);

[GenerateSerializer, Immutable, Alias("RiskPool")]
public sealed record RiskPool(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] Money Balance,
    [property: Id(3)] decimal Leverage,
    [property: Id(4)] decimal CoverageRatio,
    [property: Id(5)] Money Floor,
    [property: Id(6)] Money Covered,
    [property: Id(7)] Money Capacity,
    [property: Id(8)] IReadOnlyList<PoolContribution> Contributions,
    [property: Id(9)] IReadOnlyList<PoolPayout> Payouts,
    [property: Id(10)] PoolStatus Status);

[GenerateSerializer, Immutable, Alias("CreatePool")]
public sealed record CreatePool([property: Id(0)] string Name, [property: Id(1)] decimal Leverage, [property: Id(2)] decimal CoverageRatio, [property: Id(3)] Money Floor);

/// <summary>
/// A risk pool (风险池), keyed by its id: a co-funded reserve that pays part of the losses of the loans enrolled in it.
/// Covered (the outstanding principal of its enrolled, live loans) is a reservation book (<see cref="IReservationHolder"/>):
/// a loan enrolls by reserving its outstanding principal within capacity = balance × leverage; its principal follows by
/// set-amount, and it leaves when repaid or defaulted.
/// </summary>
[Alias("IRiskPoolGrain")]
public interface IRiskPoolGrain : IReservationHolder
{
    [Alias("Create")]
    Task<Outcome<RiskPool>> Create(string operationId, CreatePool command);

    /// <summary>Adds a sponsor's, funder's or core's money to the balance. Idempotent by operation id.</summary>
    [Alias("Contribute")]
    Task<Outcome<RiskPool>> Contribute(string operationId, string contributorId, Money amount, DateOnly on);

    /// <summary>Writes the pool's read-model row again (the sweep's answer to a row that lags the stored state).</summary>
    [Alias("Reproject")]
    Task Reproject();

    [Alias("Get")]
    Task<Outcome<RiskPool>> Get(Caller caller);

    /// <summary>Reserves cover for loan <paramref name="loanId"/> of <paramref name="funderId"/>: 409 limit_exceeded beyond capacity.</summary>
    [Alias("ReserveCover")]
    Task<Outcome<RiskPool>> ReserveCover(string loanId, string funderId, Money outstanding);

    /// <summary>
    /// Step 2 of the loss waterfall: pays the coverage ratio of <paramref name="remaining"/> (what the guarantors did not
    /// cover), rounded down to the fen, up to the balance. Idempotent by loan id: a repeat returns the first payment.
    /// </summary>
    [Alias("Pay")]
    Task<Money> Pay(string loanId, string funderId, Money remaining, DateOnly on);
}
