namespace SupplyChain.Grains.Common;

public enum Role
{
    Operator,
    Core,
    Supplier,
    Funder,
    Sponsor,
    Risk,
}

/// <summary>Who is asking: the authenticated principal, passed to grains so they decide visibility.</summary>
[GenerateSerializer, Immutable, Alias("Caller")]
public sealed record Caller(
    [property: Id(0)] string Id,
    [property: Id(1)] Role Role,
    [property: Id(2)] string? FunderScope = null)
{
    public const string OperatorId = "operator";

    public static Caller Operator { get; } = new(OperatorId, Role.Operator);

    /// <summary>Operators and risk staff may read everything (risk staff scoped to a funder are narrowed by the risk views).</summary>
    public bool IsStaff => Role is Role.Operator or Role.Risk;
}
