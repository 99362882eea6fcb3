using SupplyChain.Grains.Common;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// Boundaries of the money primitives that the mutation run (tests/mutation.sh) found unguarded: each test names
/// the Stryker mutants it kills (file:line, mutation).
/// </summary>
public sealed class MoneyBoundaryTests
{
    [Fact]
    public void Arithmetic_Overflows_Throw_InsteadOfWrapping()
    {
        // Kills Money.cs:44 and :45 "remove checked expression": unchecked, long.MaxValue fen + 1 fen wraps round to
        // long.MinValue fen, about -92 quadrillion yuan, silently; - likewise at the other end.
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue) + new Money(1));
        Assert.Throws<OverflowException>(() => new Money(long.MinValue) - new Money(1));
        // One fen inside the range is still exact.
        Assert.Equal(long.MaxValue, (new Money(long.MaxValue - 1) + new Money(1)).Fen);
        Assert.Equal(long.MinValue, (new Money(long.MinValue + 1) - new Money(1)).Fen);
    }

    [Fact]
    public void Comparisons_AreExactAtTheFen()
    {
        // Kills Money.cs:47-49 (no test reached them): the >, <= and >= operators turned round (> into <) or made strict /
        // non-strict (> into >=, <= into <, >= into >). Today's limit checks compare .Fen, but these operators are public
        // and the next one may trust them. 1.00 against 1.01 and against 1.00.
        Money a = new(100), same = new(100), b = new(101);
        Assert.Equal((true, false, false), (b > a, a > b, a > same));
        Assert.Equal((true, true, false), (a <= b, a <= same, b <= a));
        Assert.Equal((true, true, false), (b >= a, a >= same, a >= b));
        Assert.Equal((true, false, false), (a < b, a < same, b < a));
    }

    [Fact]
    public void Charge_ForZeroDays_IsZero_ForNegativeDays_IsRefused()
    {
        // Kills Pricing.cs:13 'days < 0' → 'days <= 0': a period of 0 days costs nothing and is not an error
        // (a discount with MinimumDiscountTenorDays set to 0, an interest period that starts and ends on one day).
        Assert.Equal(Money.Zero, Pricing.Charge(Money.FromYuan(1000m), 0.036m, 0, 360));
        // Kills the removal of the throw on Pricing.cs:13 (no test reached it): -1 day would be a charge of
        // 1,000 × 0.036 × (-1) / 360 = -0.10, proceeds larger than the face.
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Charge(Money.FromYuan(1000m), 0.036m, -1, 360));
    }
}
