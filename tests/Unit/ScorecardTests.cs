using SupplyChain.Grains.Credit;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// The published scorecard (README, "Credit scorecard"), factor by factor and band by band at its edges, the grades, one
/// supplier scored by hand, refusals of a bad configuration, and the profile rules that feed it (receipts, loans, windows,
/// the early-warning conditions).
/// </summary>
public sealed class ScorecardTests
{
    private static readonly Scorecard Card = new(new CreditRules());

    /// <summary>Neutral inputs (nothing received, no history) with one factor changed.</summary>
    private static ScoreInputs Nothing => new(0, 0, 0, 1m, 0, 0, 0, 0);

    private static int PointsOf(ScoreInputs inputs, string factor) => Card.Score(inputs).Factors.Single(f => f.Name == factor).Points;

    [Theory]
    [InlineData(0, 0)] [InlineData(1, 20)] [InlineData(29, 20)] [InlineData(30, 40)] [InlineData(89, 40)] [InlineData(90, 70)]
    [InlineData(179, 70)] [InlineData(180, 110)] [InlineData(364, 110)] [InlineData(365, 150)] [InlineData(4000, 150)]
    public void DaysOnPlatform(int days, int points) => Assert.Equal(points, PointsOf(Nothing with { DaysOnPlatform = days }, "daysOnPlatform"));

    [Theory]
    [InlineData(0, 0)] [InlineData(1, 30)] [InlineData(2, 60)] [InlineData(3, 80)] [InlineData(4, 100)] [InlineData(12, 100)]
    public void DistinctCores(int cores, int points) => Assert.Equal(points, PointsOf(Nothing with { DistinctCores = cores }, "distinctCores"));

    [Theory]
    [InlineData(0L, 0)] [InlineData(1L, 40)] [InlineData(4_999_999L, 40)] [InlineData(5_000_000L, 80)] [InlineData(19_999_999L, 80)]
    [InlineData(20_000_000L, 120)] [InlineData(99_999_999L, 120)] [InlineData(100_000_000L, 160)] [InlineData(499_999_999L, 160)]
    [InlineData(500_000_000L, 200)]
    public void ReceivedLast180Days_InFen(long fen, int points) =>
        Assert.Equal(points, PointsOf(Nothing with { ReceivedLast180DaysFen = fen }, "receivedLast180Days"));

    [Theory]
    [InlineData("0.25", 100)] [InlineData("0.4", 100)] [InlineData("0.4001", 80)] [InlineData("0.6", 80)] [InlineData("0.6001", 50)]
    [InlineData("0.8", 50)] [InlineData("0.8001", 20)] [InlineData("1", 20)]
    public void LargestCoreShare_LessIsBetter(string share, int points) =>
        Assert.Equal(points, PointsOf(Nothing with { LargestCoreShare = decimal.Parse(share, System.Globalization.CultureInfo.InvariantCulture) }, "largestCoreShare"));

    [Theory]
    [InlineData(0, 30)] [InlineData(1, 60)] [InlineData(2, 90)] [InlineData(4, 90)] [InlineData(5, 120)] [InlineData(9, 120)] [InlineData(10, 150)]
    public void LoansRepaidOnTime(int loans, int points) => Assert.Equal(points, PointsOf(Nothing with { LoansRepaidOnTime = loans }, "loansRepaidOnTime"));

    [Theory]
    [InlineData(0, 100)] [InlineData(1, 70)] [InlineData(7, 70)] [InlineData(8, 30)] [InlineData(30, 30)] [InlineData(31, 0)]
    public void OverdueDays_LessIsBetter(int days, int points) => Assert.Equal(points, PointsOf(Nothing with { OverdueDays = days }, "overdueDays"));

    [Theory]
    [InlineData(0, 100)] [InlineData(1, 0)] [InlineData(3, 0)]
    public void Defaults(int defaults, int points) => Assert.Equal(points, PointsOf(Nothing with { Defaults = defaults }, "defaults"));

    [Theory]
    [InlineData(0L, 100)] [InlineData(1L, 40)] [InlineData(1_000_000L, 40)] [InlineData(1_000_001L, 0)]
    public void GuaranteeCallsOwed_InFen(long fen, int points) =>
        Assert.Equal(points, PointsOf(Nothing with { GuaranteeCallsOwedFen = fen }, "guaranteeCallsOwed"));

    [Theory]
    [InlineData(1000, Grade.A)] [InlineData(800, Grade.A)] [InlineData(799, Grade.B)] [InlineData(650, Grade.B)] [InlineData(649, Grade.C)]
    [InlineData(500, Grade.C)] [InlineData(499, Grade.D)] [InlineData(350, Grade.D)] [InlineData(349, Grade.E)] [InlineData(0, Grade.E)]
    public void Grades(int score, Grade grade) => Assert.Equal(grade, Card.GradeOf(score));

    [Fact]
    public void OneSupplier_ScoredByHand()
    {
        // 200 days on the platform (110), 3 cores (80), 1,234,567.89 received (160), largest core 0.55 (80), 6 loans on time (120),
        // 3 overdue days (70), no default (100), 500.00 of guarantee calls owed (40): 760, grade B.
        var score = Card.Score(new ScoreInputs(200, 3, 123_456_789, 0.55m, 6, 3, 0, 50_000));
        Assert.Equal(
            [("daysOnPlatform", 200m, 110), ("distinctCores", 3m, 80), ("receivedLast180Days", 1_234_567.89m, 160), ("largestCoreShare", 0.55m, 80),
                ("loansRepaidOnTime", 6m, 120), ("overdueDays", 3m, 70), ("defaults", 0m, 100), ("guaranteeCallsOwed", 500m, 40)],
            score.Factors.Select(f => (f.Name, f.Value, f.Points)).ToArray());
        Assert.Equal((760, Grade.B), (score.Score, score.Grade));
        Assert.Equal(1000, score.Factors.Sum(f => f.MaxPoints));
        // Same data, same score.
        Assert.Equal(score.Factors, Card.Score(new ScoreInputs(200, 3, 123_456_789, 0.55m, 6, 3, 0, 50_000)).Factors);
    }

    [Fact]
    public void TheBest_AndTheWorst()
    {
        Assert.Equal((1000, Grade.A), Pair(Card.Score(new ScoreInputs(400, 5, 600_000_000, 0.3m, 12, 0, 0, 0))));
        Assert.Equal((0 + 0 + 0 + 20 + 30 + 0 + 0 + 0, Grade.E), Pair(Card.Score(new ScoreInputs(0, 0, 0, 1m, 0, 90, 2, 5_000_000))));
        static (int, Grade) Pair((int Score, Grade Grade, IReadOnlyList<ScoreFactor> _) s) => (s.Score, s.Grade);
    }

    [Fact]
    public void BandsAreConfiguration_AndABadOneIsRefusedAtOnce()
    {
        // Moving 50 points from days on the platform to cores: still 1000 in all.
        var moved = new Scorecard(new CreditRules { DaysOnPlatform = "365:100, 30:40", DistinctCores = "2:150" });
        Assert.Equal(150, moved.Score(Nothing with { DistinctCores = 2 }).Factors.Single(f => f.Name == "distinctCores").Points);

        Assert.Contains("DistinctCores", Assert.Throws<InvalidOperationException>(() => new Scorecard(new CreditRules { DistinctCores = "4=100" })).Message);
        Assert.Contains("1000", Assert.Throws<InvalidOperationException>(() => new Scorecard(new CreditRules { Defaults = "0:90" })).Message);
        Assert.Contains("repeats", Assert.Throws<InvalidOperationException>(() => new Scorecard(new CreditRules { Defaults = "0:100, 0:50" })).Message);
        Assert.Contains("grades", Assert.Throws<InvalidOperationException>(() => new Scorecard(new CreditRules { GradeB = 900 })).Message);
    }

    private const string Me = "ptsupplier0000000000a";
    private static readonly DateOnly Today = new(2027, 6, 30);

    private static ExposureEvent Accepted(string id, string core, long fen, DateOnly on, string holder = Me, string? orderId = null) =>
        new(id, "vc", id, core, new ExposurePosition(holder, "supplier", "pending", 1, fen), new ExposurePosition(holder, "supplier", "active", 1, fen),
            DateTimeOffset.UnixEpoch, "accepted", on, orderId);

    private static ExposureEvent LoanEvent(int version, string status, long fen, DateOnly on, DateOnly due, string kind, bool closed = false) =>
        new($"lnloan00000000000000a1:{version}:lnloan00000000000000a1", "lnloan00000000000000a1", "lnloan00000000000000a1", Me,
            new ExposurePosition("ptfunder", "funder", "active", 0, fen), closed ? null : new ExposurePosition("ptfunder", "funder", status, 0, fen),
            DateTimeOffset.UnixEpoch, kind, on, null, due);

    [Fact]
    public void Profile_CountsAcceptedVouchersAndOrders_NotVouchersPayingAnOrder_NorOthersReceipts_WithinTheWindow()
    {
        var state = new SupplierCreditState();
        var profile = new CreditProfile(state, Me, Card);
        Assert.True(profile.IsReceipt(Accepted("e1", "core1", 100_00, Today)));
        Assert.False(profile.IsReceipt(Accepted("e2", "core1", 100_00, Today, orderId: "or1")));
        Assert.False(profile.IsReceipt(Accepted("e3", "core1", 100_00, Today, holder: "someone-else")));
        Assert.False(profile.IsReceipt(Accepted("e4", "core1", 100_00, Today) with { Kind = "split" }));

        profile.AddReceipt("e1", "core1", 60_000_00, Today.AddDays(-10));
        profile.AddReceipt("order:o1", "core2", 40_000_00, Today.AddDays(-179));
        profile.AddReceipt("e0", "core2", 99_000_00, Today.AddDays(-180)); // just outside the 180 days
        var inputs = profile.Inputs(Today);
        Assert.Equal((180, 2, 100_000_00L, 0.6m), (inputs.DaysOnPlatform, inputs.DistinctCores, inputs.ReceivedLast180DaysFen, inputs.LargestCoreShare));
        // A cancelled order no longer counts; the first day stays.
        profile.AddReceipt("order:o1", "core2", 0, Today.AddDays(-179));
        Assert.Equal((180, 1, 60_000_00L, 1m), (profile.Inputs(Today).DaysOnPlatform, profile.Inputs(Today).DistinctCores,
            profile.Inputs(Today).ReceivedLast180DaysFen, profile.Inputs(Today).LargestCoreShare));
    }

    [Fact]
    public void Profile_Loans_OnTime_Overdue_Defaulted()
    {
        var state = new SupplierCreditState();
        var profile = new CreditProfile(state, Me, Card);
        var due = Today.AddDays(-20);
        Assert.Equal((false, false), profile.ApplyLoanEvent(LoanEvent(1, "active", 100_00, Today.AddDays(-50), due, "disbursed"), Today));
        Assert.Equal((false, true), profile.ApplyLoanEvent(LoanEvent(2, "repaid", 100_00, due, due, "repaid", closed: true), Today)); // on its due date: on time
        Assert.Equal(1, profile.Inputs(Today).LoansRepaidOnTime);

        var late = new CreditProfile(new SupplierCreditState(), Me, Card);
        Assert.Equal((true, false), late.ApplyLoanEvent(LoanEvent(2, "overdue", 100_00, due.AddDays(1), due, "overdue"), Today));
        Assert.Equal((20, 0), (late.Inputs(Today).OverdueDays, late.Inputs(Today).Defaults)); // still unpaid: days to today
        Assert.Single(late.Conditions(Today), c => c.Kind == "loan_overdue");
        late.ApplyLoanEvent(LoanEvent(3, "defaulted", 100_00, Today, due, "defaulted"), Today);
        Assert.Equal(1, late.Inputs(Today).Defaults);
        Assert.Equal((false, false), late.ApplyLoanEvent(LoanEvent(4, "repaid", 100_00, Today.AddDays(5), due, "repaid", closed: true), Today.AddDays(5)));
        Assert.Equal((25, 0), (late.Inputs(Today.AddDays(40)).OverdueDays, late.Inputs(Today).LoansRepaidOnTime)); // closed: days to the repayment
        Assert.DoesNotContain(late.Conditions(Today.AddDays(5)), c => c.Kind == "loan_overdue");
    }

    [Fact]
    public void GuaranteeCalls_TheNewestEventSaysWhatIsOwed_ALateOlderOneChangesNothing()
    {
        var profile = new CreditProfile(new SupplierCreditState(), Me, Card);
        const string call = "lnloan00000000000000a1:call:" + Me;
        ExposureEvent Event(string id, long? owedFen) => new(id, "lnloan00000000000000a1", call, Me, null,
            owedFen is { } fen ? new ExposurePosition("ptfunder", "funder", "called", 0, fen) : null, DateTimeOffset.UnixEpoch, "guarantee_call", Today);
        profile.ApplyCallEvent(Event(call, 5_000_00));
        Assert.Equal(5_000_00, profile.Inputs(Today).GuaranteeCallsOwedFen);
        Assert.Single(profile.Conditions(Today), c => c.Kind == "guarantor_called");
        profile.ApplyCallEvent(Event($"{call}:2", null));    // paid in full by the second payment…
        profile.ApplyCallEvent(Event($"{call}:1", 3_000_00)); // …and the first payment's event arrives late
        profile.ApplyCallEvent(Event(call, 5_000_00));        // as does the call itself, again
        Assert.Equal(0, profile.Inputs(Today).GuaranteeCallsOwedFen);
        Assert.DoesNotContain(profile.Conditions(Today), c => c.Kind == "guarantor_called");
    }

    [Fact]
    public void FallingReceipts_LastThirtyDaysBelowHalfTheMonthlyAverageBefore()
    {
        var state = new SupplierCreditState();
        var profile = new CreditProfile(state, Me, Card);
        profile.AddReceipt("old", "core1", 600_000_00, Today.AddDays(-100)); // 6 months before: 100,000.00 a month on average
        Assert.Contains(profile.Conditions(Today), c => c.Kind == "falling_receipts");
        profile.AddReceipt("recent", "core1", 49_999_99, Today.AddDays(-29));
        Assert.Contains(profile.Conditions(Today), c => c.Kind == "falling_receipts");
        profile.AddReceipt("recent", "core1", 50_000_00, Today.AddDays(-29)); // exactly half: not below
        Assert.DoesNotContain(profile.Conditions(Today), c => c.Kind == "falling_receipts");
        // Nothing before: nothing to fall from.
        Assert.Empty(new CreditProfile(new SupplierCreditState(), Me, Card).Conditions(Today));
    }

    [Fact]
    public void Lines_TheFigureIsTheShareOfWhatWasReceived_AtMostTheMaximum_InWholeFen()
    {
        var profile = new CreditProfile(new SupplierCreditState(), Me, Card);
        profile.AddReceipt("r", "core1", 333_33, Today);
        Assert.Equal(99_99L, profile.Figure(0.3m, 1_000_000_00, Today)); // 333.33 × 0.3 = 99.999 → 99.99
        Assert.Equal(50_00L, profile.Figure(0.3m, 50_00, Today));
    }
}
