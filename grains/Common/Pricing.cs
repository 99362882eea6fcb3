namespace SupplyChain.Grains.Common;

public static class Pricing
{
    /// <summary>
    /// Simple-interest charge on <paramref name="amount"/> for <paramref name="days"/> days at <paramref name="annualRate"/>,
    /// day count ACT/<paramref name="basis"/>, rounded half away from zero to the fen.
    /// Computed on fen in decimal: the product is exact, and a true half-fen midpoint is a terminating decimal,
    /// so the rounding decision is never disturbed by representation error.
    /// </summary>
    public static Money Charge(Money amount, decimal annualRate, int days, int basis)
    {
        if (days < 0) throw new ArgumentOutOfRangeException(nameof(days));
        var fen = amount.Fen * annualRate * days / basis;
        return new Money((long)Math.Round(fen, 0, MidpointRounding.AwayFromZero));
    }

    public static int Days(DateOnly valueDate, DateOnly maturityDate) => maturityDate.DayNumber - valueDate.DayNumber;
}
