using SupplyChain.Grains.Groups;

namespace SupplyChain.Grains.Risk;

/// <summary>A live loan the stress test defaults: its outstanding principal is the loss it stresses.</summary>
public sealed record StressedLoan(string LoanId, string BorrowerId, string FunderId, long OutstandingFen, string? GroupId, string? PoolId);

/// <summary>A guarantee group as it stands: each member's cap and what has been called from it already.</summary>
public sealed record StressedGroup(string GroupId, IReadOnlyList<(string MemberId, long CapFen, long CapUsedFen)> Members);

/// <summary>A risk pool as it stands.</summary>
public sealed record StressedPool(string PoolId, long BalanceFen, decimal CoverageRatio);

/// <summary>What the stress test recovers for one funder: from guarantors and from pools.</summary>
public sealed record StressRecovery(string FunderId, long GuarantorFen, long PoolFen);

/// <summary>
/// The recoveries of the stress test with contagion ("if these participants defaulted today"), the loss waterfall run over
/// every live loan of a defaulting borrower at once:
/// - step 1, in loan id order: the group calls the other members pro rata to their remaining caps (the rounding of
///   <see cref="GuaranteeCalls"/>); a member's cap is spent once across all the losses it guarantees, what it was called
///   before included; a member that itself defaults is called but pays nothing, so its call recovers nothing;
/// - step 2: each enrolled loan's pool owes its coverage ratio of what the calls left, rounded down to the fen; a pool whose
///   balance cannot pay them all shares its balance pro rata to what each is owed, so the balance is spent once.
/// Pure: the same inputs give the same recoveries.
/// </summary>
public static class StressTest
{
    public static IReadOnlyList<StressRecovery> Recover(IReadOnlyCollection<string> defaulting, IReadOnlyList<StressedLoan> loans,
        IReadOnlyDictionary<string, StressedGroup> groups, IReadOnlyDictionary<string, StressedPool> pools)
    {
        var defaults = defaulting.ToHashSet(StringComparer.Ordinal);
        var guarantor = new Dictionary<string, long>(StringComparer.Ordinal);
        var remainingCap = groups.Values.SelectMany(g => g.Members.Select(m => (Key: (g.GroupId, m.MemberId), Left: Math.Max(0, m.CapFen - m.CapUsedFen))))
            .ToDictionary(m => m.Key, m => m.Left);
        var owedByPool = new Dictionary<string, List<(StressedLoan Loan, long DueFen)>>(StringComparer.Ordinal);

        foreach (var loan in loans.Where(l => defaults.Contains(l.BorrowerId)).OrderBy(l => l.LoanId, StringComparer.Ordinal))
        {
            var called = 0L;
            if (loan.GroupId is not null && groups.TryGetValue(loan.GroupId, out var group))
            {
                var others = group.Members.Where(m => m.MemberId != loan.BorrowerId).Select(m => (m.MemberId, remainingCap[(group.GroupId, m.MemberId)])).ToList();
                foreach (var (memberId, amount) in GuaranteeCalls.Allocate(loan.OutstandingFen, others))
                {
                    remainingCap[(group.GroupId, memberId)] -= amount;
                    called += amount;
                    if (!defaults.Contains(memberId)) guarantor[loan.FunderId] = guarantor.GetValueOrDefault(loan.FunderId) + amount;
                }
            }
            if (loan.PoolId is not null && pools.TryGetValue(loan.PoolId, out var pool))
            {
                var due = (long)decimal.Floor((loan.OutstandingFen - called) * pool.CoverageRatio);
                if (!owedByPool.TryGetValue(pool.PoolId, out var owed)) owedByPool[pool.PoolId] = owed = new();
                owed.Add((loan, due));
            }
        }

        var fromPools = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (poolId, owed) in owedByPool)
        {
            var paid = GuaranteeCalls.Allocate(Math.Min(pools[poolId].BalanceFen, owed.Sum(o => o.DueFen)), owed.Select(o => (o.Loan.LoanId, o.DueFen)).ToList());
            foreach (var ((loan, _), (_, amount)) in owed.Zip(paid))
                fromPools[loan.FunderId] = fromPools.GetValueOrDefault(loan.FunderId) + amount;
        }

        return guarantor.Keys.Union(fromPools.Keys).Order(StringComparer.Ordinal)
            .Select(f => new StressRecovery(f, guarantor.GetValueOrDefault(f), fromPools.GetValueOrDefault(f)))
            .ToList();
    }
}
