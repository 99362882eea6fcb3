namespace SupplyChain.LoadGenerator;

/// <summary>
/// Money in whole fen (1 yuan = 100 fen) as a long: halving and summing stay exact integer arithmetic. Converted to
/// and from yuan only at the wire, as a decimal with two places (never binary floating point).
/// </summary>
public static class Fen
{
    /// <summary>Yuan to fen; the API answers with at most two decimals, anything finer is a broken answer.</summary>
    public static long Of(decimal yuan) =>
        decimal.Round(yuan, 2) == yuan
            ? decimal.ToInt64(yuan * 100m)
            : throw new FormatException($"{yuan} yuan is not a whole number of fen.");

    /// <summary>Fen to yuan with exactly two decimal places on the wire: 12345 → 123.45, 10000 → 100.00.</summary>
    public static decimal Yuan(long fen) => fen / 100m + 0.00m;
}
