using SupplyChain.Grains.Common;

namespace SupplyChain.Tests.Unit;

public sealed class PricingTests
{
    [Theory]
    // amount, rate, days → charge, each worked out by hand: amount × rate × days / 360, half away from zero to the fen
    [InlineData("40000", "0.05", 99, "550.00")]       // 40000 × 0.05 × 99 / 360 = 550 exactly
    [InlineData("100000", "0.036", 90, "900.00")]     // 100000 × 0.036 × 90 / 360 = 900
    [InlineData("1000", "0.05", 1, "0.14")]           // 0.13888… → 0.14
    [InlineData("100", "0.045", 4, "0.05")]           // 0.05 exactly
    [InlineData("1", "0.09", 1, "0.00")]              // 0.00025 → 0.00
    [InlineData("0.01", "0.5", 360, "0.01")]          // 0.005 exactly: a half fen rounds up (away from zero)
    [InlineData("0.03", "0.5", 360, "0.02")]          // 0.015 → 0.02
    [InlineData("0.05", "0.3", 360, "0.02")]          // 0.015 → 0.02
    [InlineData("999999999999.99", "0.0435", 365, "44104166666.67")] // 44 104 166 666.6662… → .67
    public void Charge_RoundsHalfAwayFromZero(string amount, string rate, int days, string expected)
    {
        var charge = Pricing.Charge(Money.FromYuan(decimal.Parse(amount)), decimal.Parse(rate), days, 360);
        Assert.Equal(decimal.Parse(expected), charge.Yuan);
    }

    [Fact]
    public void Charge_HalfFenMidpoints_RoundUp_NotToEven()
    {
        // 0.025 yuan = 2.5 fen: banker's rounding would give 2 fen, the rule says 3.
        var charge = Pricing.Charge(Money.FromYuan(0.05m), 0.5m, 360, 360);
        Assert.Equal(3, charge.Fen);
    }

    [Fact]
    public void Days_AreCalendarDays()
    {
        Assert.Equal(365, Pricing.Days(new DateOnly(2026, 1, 1), new DateOnly(2027, 1, 1)));
        Assert.Equal(29, Pricing.Days(new DateOnly(2028, 2, 1), new DateOnly(2028, 3, 1)));
        Assert.Equal(0, Pricing.Days(new DateOnly(2028, 2, 1), new DateOnly(2028, 2, 1)));
    }
}
