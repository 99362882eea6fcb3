using SupplyChain.Grains.Pools;

namespace SupplyChain.Api.Contracts;

public sealed record CreatePoolRequest(string? Name, decimal? Leverage, decimal? CoverageRatio, decimal? Floor);

public sealed record ContributeRequest(string? ContributorId, decimal? Amount);

public sealed record EnrollRequest(string? LoanId);

public sealed record PoolContributionDto(string ContributorId, decimal Amount, DateOnly On);

public sealed record PoolPayoutDto(string LoanId, string FunderId, decimal Amount, DateOnly On);

public sealed record RiskPoolDto(string Id, string Name, decimal Balance, decimal Leverage, decimal CoverageRatio, decimal Floor, decimal Covered,
    decimal Capacity, IReadOnlyList<PoolContributionDto> Contributions, IReadOnlyList<PoolPayoutDto> Payouts, string Status)
{
    public static RiskPoolDto From(RiskPool p) =>
        new(p.Id, p.Name, p.Balance.Yuan, p.Leverage, p.CoverageRatio, p.Floor.Yuan, p.Covered.Yuan, p.Capacity.Yuan,
            p.Contributions.Select(c => new PoolContributionDto(c.ContributorId, c.Amount.Yuan, c.On)).ToList(),
            p.Payouts.Select(x => new PoolPayoutDto(x.LoanId, x.FunderId, x.Amount.Yuan, x.On)).ToList(), p.Status.Wire());
}
