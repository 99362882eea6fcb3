namespace SupplyChain.Grains.Common;

/// <summary>
/// An amount of CNY in integer fen. The only way in from the outside world is <see cref="TryFromYuan"/>,
/// which refuses anything that is not a positive amount of at most 2 decimals and at most 10^12 yuan.
/// </summary>
[GenerateSerializer, Immutable, Alias("Money")]
public readonly record struct Money([property: Id(0)] long Fen) : IComparable<Money>
{
    public const long MaxYuan = 1_000_000_000_000L;
    public const long MaxFen = MaxYuan * 100;

    public static Money Zero => new(0);

    public decimal Yuan => decimal.Round(Fen / 100m, 2) + 0.00m;

    public static bool TryFromYuan(decimal yuan, out Money money, out string? error)
    {
        money = Zero;
        if (yuan <= 0m)
        {
            error = "must be greater than 0";
            return false;
        }
        if (yuan > MaxYuan)
        {
            error = "must be at most 1000000000000";
            return false;
        }
        var fen = yuan * 100m;
        if (fen != decimal.Truncate(fen))
        {
            error = "must have at most 2 decimals";
            return false;
        }
        money = new Money((long)fen);
        error = null;
        return true;
    }

    public static Money FromYuan(decimal yuan) =>
        TryFromYuan(yuan, out var m, out var e) ? m : throw new ArgumentOutOfRangeException(nameof(yuan), e);

    public static Money operator +(Money a, Money b) => new(checked(a.Fen + b.Fen));
    public static Money operator -(Money a, Money b) => new(checked(a.Fen - b.Fen));
    public static bool operator <(Money a, Money b) => a.Fen < b.Fen;
    public static bool operator >(Money a, Money b) => a.Fen > b.Fen;
    public static bool operator <=(Money a, Money b) => a.Fen <= b.Fen;
    public static bool operator >=(Money a, Money b) => a.Fen >= b.Fen;

    public int CompareTo(Money other) => Fen.CompareTo(other.Fen);

    public override string ToString() => Yuan.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
