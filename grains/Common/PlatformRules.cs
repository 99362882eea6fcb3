namespace SupplyChain.Grains.Common;

/// <summary>The parameters DOMAIN.md marks *(param)*, bound from configuration section "SupplyChain:Rules".</summary>
public sealed class PlatformRules
{
    public const string Section = "SupplyChain:Rules";

    public int MaxTier { get; set; } = 10;
    public int PendingExpiryDays { get; set; } = 7;
    public decimal MinimumFragment { get; set; } = 0.01m;
    public int MinimumDiscountTenorDays { get; set; } = 1;
    public int MaxTenorDays { get; set; } = 365;
    public int LongTenorDays { get; set; } = 180;
    public int DayCountBasis { get; set; } = 360;
    public int MaxSplitChildren { get; set; } = 100;
    public int DefaultAfterOverdueDays { get; set; } = 30;

    /// <summary>Loans drawing on an order may have at most this share of its amount outstanding.</summary>
    public decimal OrderFinancingRatio { get; set; } = 0.70m;

    /// <summary>An order-financing loan is due this many days after the order's payment date.</summary>
    public int LoanDueAfterPaymentDays { get; set; } = 30;

    /// <summary>How many suppliers a guarantee group has, at least and at most.</summary>
    public int MinGroupMembers { get; set; } = 3;
    public int MaxGroupMembers { get; set; } = 10;

    /// <summary>The longest term of a loan in a guarantee group.</summary>
    public int MaxGroupLoanTermDays { get; set; } = 365;

    /// <summary>Longest reference text an order may carry.</summary>
    public int MaxReferenceLength { get; set; } = 200;

    /// <summary>A funder's exposure to one obligor above this share of its portfolio raises an alert.</summary>
    public decimal ConcentrationThreshold { get; set; } = 0.25m;

    /// <summary>How long a reservation may stay unresolved before its holder asks the tree to resolve it.</summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
