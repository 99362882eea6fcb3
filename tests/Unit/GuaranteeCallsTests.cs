using SupplyChain.Grains.Groups;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// Step 1 of the loss waterfall (DOMAIN.md): pro rata to the remaining caps, rounded down to the fen, the fen left over one at
/// a time to the largest remainders, ties by member id; the calls add up exactly to min(loss, Σ remaining caps).
/// </summary>
public sealed class GuaranteeCallsTests
{
    private static IReadOnlyList<(string, long)> Calls(long loss, params (string, long)[] remaining) => GuaranteeCalls.Allocate(loss, remaining);

    [Fact]
    public void TheWorkedExample_TwoFullCaps()
    {
        // A defaulted with 102,000.00; B and C, 30,000.00 of cap each, are called in full.
        Assert.Equal([("B", 3_000_000L), ("C", 3_000_000L)], Calls(10_200_000, ("B", 3_000_000), ("C", 3_000_000)));
    }

    [Fact]
    public void ALossBelowTheCaps_IsSharedProRata_AndTheLeftoverFenGoesToTheLargestRemainders()
    {
        // 100.00 over caps 1 : 1 : 1 → 33.333… each: 33.33 each and the last fen to the tie, broken by member id (A).
        Assert.Equal([("A", 3_334L), ("B", 3_333L), ("C", 3_333L)], Calls(10_000, ("C", 500_000), ("A", 500_000), ("B", 500_000)).OrderBy(c => c.Item1));
        // 10.00 over caps of 100.00, 200.00 and 400.00 (1 : 2 : 4) → 142.857…, 285.714…, 571.428… fen: floors 142, 285, 571 (998); the 2 fen left go to the
        // largest remainders, .857… (A) and .714… (B), not to C (.428…).
        var split = Calls(1_000, ("A", 10_000), ("B", 20_000), ("C", 40_000));
        Assert.Equal(1_000, split.Sum(c => c.Item2));
        Assert.Equal([("A", 143L), ("B", 286L), ("C", 571L)], split);
    }

    [Fact]
    public void TiesAreBrokenByMemberId_NotByOrder()
    {
        // 0.02 over four equal caps: 0.005 each → 0 each, 2 fen left, equal remainders: the two smallest ids.
        Assert.Equal([("m4", 0L), ("m1", 1L), ("m3", 0L), ("m2", 1L)], Calls(2, ("m4", 100), ("m1", 100), ("m3", 100), ("m2", 100)));
    }

    [Fact]
    public void ALossAboveTheCaps_CallsEveryRemainingCapInFull()
    {
        Assert.Equal([("B", 1_000L), ("C", 250L)], Calls(1_000_000, ("B", 1_000), ("C", 250)));
    }

    [Fact]
    public void CapsPartlyUsed_CountOnlyWhatRemains_AndAMemberWithNothingLeftIsCalledNothing()
    {
        // B has 10.00 of its cap left, C 30.00, D nothing: a loss of 20.00 is shared 1 : 3 → 5.00 and 15.00.
        Assert.Equal([("B", 500L), ("C", 1_500L), ("D", 0L)], Calls(2_000, ("B", 1_000), ("C", 3_000), ("D", 0)));
    }

    [Fact]
    public void NothingLeftAnywhere_OrNoLoss_CallsNothing()
    {
        Assert.Equal([("B", 0L), ("C", 0L)], Calls(5_000, ("B", 0), ("C", 0)));
        Assert.Equal([("B", 0L), ("C", 0L)], Calls(0, ("B", 100), ("C", 100)));
    }

    [Fact]
    public void CallsAlwaysAddUpToTheSmallerOfLossAndCaps_AndNoneExceedsItsCap()
    {
        var random = new Random(10);
        for (var i = 0; i < 2_000; i++)
        {
            var members = Enumerable.Range(0, random.Next(2, 10)).Select(m => ($"m{m}", (long)random.Next(0, 5_000_000))).ToArray();
            var loss = (long)random.Next(0, 30_000_000);
            var calls = Calls(loss, members);
            Assert.Equal(Math.Min(loss, members.Sum(m => m.Item2)), calls.Sum(c => c.Item2));
            Assert.All(calls.Zip(members), p => Assert.InRange(p.First.Item2, 0, p.Second.Item2));
        }
    }
}
