using SupplyChain.Grains.Risk;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// The stress test's recoveries with contagion (API.md, Risk additions): a guarantor that itself defaults recovers nothing;
/// a member's cap is spent once across every loss it guarantees; a pool's balance is spent once across its covered losses.
/// Amounts in fen.
/// </summary>
public sealed class StressTestTests
{
    private static StressedGroup Group(string id, long cap, params (string Member, long Used)[] members) =>
        new(id, members.Select(m => (m.Member, cap, m.Used)).ToList());

    private static IReadOnlyList<(string, long, long)> Recover(string[] defaulting, StressedLoan[] loans, StressedGroup[]? groups = null, StressedPool[]? pools = null) =>
        StressTest.Recover(defaulting, loans, (groups ?? []).ToDictionary(g => g.GroupId), (pools ?? []).ToDictionary(p => p.PoolId))
            .Select(r => (r.FunderId, r.GuarantorFen, r.PoolFen)).ToList();

    /// <summary>The worked example's group and pool, before the default: A owes 100,000.00 to F, enrolled in the pool.</summary>
    private static readonly StressedGroup Abc = Group("g", 3_000_000, ("A", 0), ("B", 0), ("C", 0));
    private static readonly StressedPool Pool = new("p", 3_000_000, 0.5m);
    private static readonly StressedLoan LoanOfA = new("L1", "A", "F", 10_000_000, "g", "p");

    [Fact]
    public void TheWorkedExample_BAndCPayTheirCaps_ThePoolHalfOfTheRest()
    {
        // 100,000.00: B and C 30,000.00 each; of the 40,000.00 left the pool pays half, 20,000.00 (its balance is 30,000.00).
        Assert.Equal([("F", 6_000_000L, 2_000_000L)], Recover(["A"], [LoanOfA], [Abc], [Pool]));
    }

    [Fact]
    public void AGuarantorThatItselfDefaults_IsCalledButRecoversNothing()
    {
        // B is called its 30,000.00 as before (the others' calls do not grow), but pays nothing; the pool pays half of what the calls
        // left, as the waterfall would: the funder bears B's share.
        Assert.Equal([("F", 3_000_000L, 2_000_000L)], Recover(["A", "B"], [LoanOfA], [Abc], [Pool]));
        Assert.Equal([("F", 0L, 2_000_000L)], Recover(["A", "B", "C"], [LoanOfA], [Abc], [Pool]));
    }

    [Fact]
    public void AMembersCap_IsSpentOnce_AcrossEveryLossItGuarantees_WhatWasCalledBeforeIncluded()
    {
        // Caps of 10,000.00; C was called 5,000.00 before. A's loan (30,000.00) takes every remaining cap: B 10,000 (lost: B defaults),
        // C 5,000, D 10,000. B's loan (30,000.00) then finds only A's cap (10,000, lost: A defaults): nothing more is recovered.
        var group = Group("g", 1_000_000, ("A", 0), ("B", 0), ("C", 500_000), ("D", 0));
        var loans = new[] { new StressedLoan("L1", "A", "F", 3_000_000, "g", null), new StressedLoan("L2", "B", "F", 3_000_000, "g", null) };
        Assert.Equal([("F", 1_500_000L, 0L)], Recover(["A", "B"], loans, [group]));
    }

    [Fact]
    public void APoolsBalance_IsSpentOnce_SharedProRataToWhatEachLoanIsOwed()
    {
        // Owed 15,000.00 (half of 30,000.00) and 5,000.00 (half of 10,000.00): 20,000.00 against a balance of 10,000.00, shared 3 : 1.
        var loans = new[] { new StressedLoan("L1", "A", "F1", 3_000_000, null, "p"), new StressedLoan("L2", "B", "F2", 1_000_000, null, "p") };
        Assert.Equal([("F1", 0L, 750_000L), ("F2", 0L, 250_000L)], Recover(["A", "B"], loans, pools: [new StressedPool("p", 1_000_000, 0.5m)]));
        // A balance that covers both pays both in full.
        Assert.Equal([("F1", 0L, 1_500_000L), ("F2", 0L, 500_000L)], Recover(["A", "B"], loans, pools: [new StressedPool("p", 5_000_000, 0.5m)]));
    }

    [Fact]
    public void OnlyTheDefaultingBorrowersLoansAreStressed_AndAnUnknownGroupOrPoolRecoversNothing()
    {
        var loans = new[] { LoanOfA, new StressedLoan("L2", "B", "F", 1_000_000, "g", "p") };
        Assert.Empty(Recover(["X"], loans, [Abc], [Pool]));
        Assert.Empty(Recover(["A"], [LoanOfA], [], []));
        // Recovery never exceeds the loss: a loss of 1,000.00 in the group recovers at most 1,000.00.
        var small = new StressedLoan("L3", "A", "F", 100_000, "g", "p");
        Assert.Equal([("F", 100_000L, 0L)], Recover(["A"], [small], [Abc], [Pool]));
    }
}
