using System.Globalization;

namespace SupplyChain.Grains.Credit;

/// <summary>
/// The credit rules DOMAIN.md marks *(param)*, bound from configuration section "SupplyChain:Credit": the scorecard's
/// bands, the grades' thresholds, the windows and the line's validity. Bands are written "bound:points, …" (README,
/// "Credit scorecard"): for a factor where more is better, a value earns the points of the highest bound it reaches; where
/// less is better, of the lowest bound it stays within; a value outside every band earns 0.
/// </summary>
public sealed class CreditRules
{
    public const string Section = "SupplyChain:Credit";

    public string DaysOnPlatform { get; set; } = "365:150, 180:110, 90:70, 30:40, 1:20";
    public string DistinctCores { get; set; } = "4:100, 3:80, 2:60, 1:30";
    public string ReceivedLast180Days { get; set; } = "5000000:200, 1000000:160, 200000:120, 50000:80, 0.01:40";
    public string LargestCoreShare { get; set; } = "0.4:100, 0.6:80, 0.8:50, 1:20";
    public string LoansRepaidOnTime { get; set; } = "10:150, 5:120, 2:90, 1:60, 0:30";
    public string OverdueDays { get; set; } = "0:100, 7:70, 30:30";
    public string Defaults { get; set; } = "0:100";
    public string GuaranteeCallsOwed { get; set; } = "0:100, 10000:40";

    public int GradeA { get; set; } = 800;
    public int GradeB { get; set; } = 650;
    public int GradeC { get; set; } = 500;
    public int GradeD { get; set; } = 350;

    /// <summary>Receipts in this many days count toward the score and the line.</summary>
    public int ReceiptWindowDays { get; set; } = 180;

    /// <summary>Falling receipts: the last this many days against the monthly average of the receipt window before them.</summary>
    public int WarningWindowDays { get; set; } = 30;

    /// <summary>An approved line expires this many days after its approval (applying again renews it).</summary>
    public int LineValidityDays { get; set; } = 365;
}

/// <summary>One factor's bands: where more is better, or where less is.</summary>
public sealed record Bands(bool HigherIsBetter, IReadOnlyList<(decimal Bound, int Points)> Steps)
{
    public int MaxPoints => Steps.Count == 0 ? 0 : Steps.Max(s => s.Points);

    public int PointsFor(decimal value)
    {
        foreach (var (bound, points) in HigherIsBetter ? Steps.OrderByDescending(s => s.Bound) : Steps.OrderBy(s => s.Bound))
            if (HigherIsBetter ? value >= bound : value <= bound) return points;
        return 0;
    }

    /// <summary>Parses "bound:points, …"; throws with the setting's name when it cannot.</summary>
    public static Bands Parse(string name, string text, bool higherIsBetter)
    {
        var steps = new List<(decimal, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split(':', StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !decimal.TryParse(pair[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var bound) ||
                !int.TryParse(pair[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var points) || points < 0)
                throw new InvalidOperationException($"{CreditRules.Section}:{name}: \"{part}\" is not \"bound:points\" with points ≥ 0.");
            steps.Add((bound, points));
        }
        if (steps.Count == 0) throw new InvalidOperationException($"{CreditRules.Section}:{name} has no bands.");
        if (steps.Select(s => s.Item1).Distinct().Count() != steps.Count) throw new InvalidOperationException($"{CreditRules.Section}:{name} repeats a bound.");
        return new Bands(higherIsBetter, steps);
    }
}

/// <summary>What the platform knows of a supplier, as the scorecard reads it.</summary>
public sealed record ScoreInputs(
    int DaysOnPlatform,
    int DistinctCores,
    long ReceivedLast180DaysFen,
    decimal LargestCoreShare,
    int LoansRepaidOnTime,
    int OverdueDays,
    int Defaults,
    long GuaranteeCallsOwedFen);

/// <summary>The published scorecard: eight factors whose bands' best points add up to 1000, and the grades.</summary>
public sealed class Scorecard
{
    public const int MaxScore = 1000;

    private readonly CreditRules _rules;
    private readonly (string Name, Bands Bands)[] _factors;

    public Scorecard(CreditRules rules)
    {
        _rules = rules;
        _factors =
        [
            ("daysOnPlatform", Bands.Parse(nameof(rules.DaysOnPlatform), rules.DaysOnPlatform, true)),
            ("distinctCores", Bands.Parse(nameof(rules.DistinctCores), rules.DistinctCores, true)),
            ("receivedLast180Days", Bands.Parse(nameof(rules.ReceivedLast180Days), rules.ReceivedLast180Days, true)),
            ("largestCoreShare", Bands.Parse(nameof(rules.LargestCoreShare), rules.LargestCoreShare, false)),
            ("loansRepaidOnTime", Bands.Parse(nameof(rules.LoansRepaidOnTime), rules.LoansRepaidOnTime, true)),
            ("overdueDays", Bands.Parse(nameof(rules.OverdueDays), rules.OverdueDays, false)),
            ("defaults", Bands.Parse(nameof(rules.Defaults), rules.Defaults, false)),
            ("guaranteeCallsOwed", Bands.Parse(nameof(rules.GuaranteeCallsOwed), rules.GuaranteeCallsOwed, false)),
        ];
        var max = _factors.Sum(f => f.Bands.MaxPoints);
        if (max != MaxScore)
            throw new InvalidOperationException($"{CreditRules.Section}: the factors' best points add up to {max}, not {MaxScore}.");
        if (!(rules.GradeA > rules.GradeB && rules.GradeB > rules.GradeC && rules.GradeC > rules.GradeD && rules.GradeD > 0 && rules.GradeA <= MaxScore))
            throw new InvalidOperationException($"{CreditRules.Section}: grades need {MaxScore} ≥ A > B > C > D > 0.");
    }

    public CreditRules Rules => _rules;

    /// <summary>The factors with their values and points; a pure function of the inputs, so the same data gives the same score.</summary>
    public (int Score, Grade Grade, IReadOnlyList<ScoreFactor> Factors) Score(ScoreInputs x)
    {
        decimal[] values =
        [
            x.DaysOnPlatform, x.DistinctCores, x.ReceivedLast180DaysFen / 100m, x.LargestCoreShare, x.LoansRepaidOnTime, x.OverdueDays,
            x.Defaults, x.GuaranteeCallsOwedFen / 100m,
        ];
        var factors = _factors.Select((f, i) => new ScoreFactor(f.Name, values[i], f.Bands.PointsFor(values[i]), f.Bands.MaxPoints)).ToList();
        var score = factors.Sum(f => f.Points);
        return (score, GradeOf(score), factors);
    }

    public Grade GradeOf(int score) =>
        score >= _rules.GradeA ? Grade.A : score >= _rules.GradeB ? Grade.B : score >= _rules.GradeC ? Grade.C : score >= _rules.GradeD ? Grade.D : Grade.E;
}
