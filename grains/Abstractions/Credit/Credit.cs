using SupplyChain.Grains.Common;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Credit;

/// <summary>A credit grade: A is the best. E never borrows under a policy (a policy's minimum grade is A to D).</summary>
public enum Grade
{
    A,
    B,
    C,
    D,
    E,
}

/// <summary>One factor of a score: its value on the platform's data, and the points its band gives.</summary>
[GenerateSerializer, Immutable, Alias("ScoreFactor")]
public sealed record ScoreFactor([property: Id(0)] string Name, [property: Id(1)] decimal Value, [property: Id(2)] int Points, [property: Id(3)] int MaxPoints);

/// <summary>A supplier's score 0–1000 as of a business date: the sum of its factors' points, and its grade.</summary>
[GenerateSerializer, Immutable, Alias("CreditScore")]
public sealed record CreditScore(
    [property: Id(0)] string SupplierId,
    [property: Id(1)] int Score,
    [property: Id(2)] Grade Grade,
    [property: Id(3)] IReadOnlyList<ScoreFactor> Factors,
    [property: Id(4)] DateOnly AsOf);

/// <summary>A funder's published lending policy. Rates are annual, by grade; E has none.</summary>
[GenerateSerializer, Immutable, Alias("CreditPolicy")]
public sealed record CreditPolicy(
    [property: Id(0)] string Id,
    [property: Id(1)] string FunderId,
    [property: Id(2)] Grade MinGrade,
    [property: Id(3)] IReadOnlyDictionary<Grade, decimal> RatesByGrade,
    [property: Id(4)] decimal LineShare,
    [property: Id(5)] Money MaxLimit,
    [property: Id(6)] int MaxTermDays,
    [property: Id(7)] DateTimeOffset PublishedAt);

/// <summary>What a funder asks to publish (the grain gives it an id and a time).</summary>
[GenerateSerializer, Immutable, Alias("PublishPolicy")]
public sealed record PublishPolicy(
    [property: Id(0)] Grade MinGrade,
    [property: Id(1)] IReadOnlyDictionary<Grade, decimal> RatesByGrade,
    [property: Id(2)] decimal LineShare,
    [property: Id(3)] Money MaxLimit,
    [property: Id(4)] int MaxTermDays);

public enum LineStatus
{
    /// <summary>Draws are allowed within the room.</summary>
    Active,
    /// <summary>An early-warning signal is open on the supplier: the undrawn room is suspended.</summary>
    Suspended,
}

/// <summary>An early-warning signal on a supplier, with its evidence; open until <see cref="ClearedAt"/>.</summary>
[GenerateSerializer, Immutable, Alias("CreditSignal")]
public sealed record CreditSignal(
    [property: Id(0)] string Id,
    [property: Id(1)] string ObligorId,
    [property: Id(2)] string Kind,
    [property: Id(3)] IReadOnlyDictionary<string, string> Evidence,
    [property: Id(4)] DateTimeOffset RaisedAt,
    [property: Id(5)] DateTimeOffset? ClearedAt);

/// <summary>A funder's credit line on a supplier: its lending facility for draws, limit and rate set by its policy and the score.</summary>
[GenerateSerializer, Immutable, Alias("CreditLine")]
public sealed record CreditLine(
    [property: Id(0)] string Id,
    [property: Id(1)] string FunderId,
    [property: Id(2)] string SupplierId,
    [property: Id(3)] Money Limit,
    [property: Id(4)] Money Used,
    [property: Id(5)] decimal AnnualRate,
    [property: Id(6)] Grade Grade,
    [property: Id(7)] DateOnly ExpiresOn,
    [property: Id(8)] int MaxTermDays,
    [property: Id(9)] LineStatus Status,
    [property: Id(10)] IReadOnlyList<CreditSignal> Signals);

/// <summary>The answer to an application: approved with the line, or declined with the reasons.</summary>
[GenerateSerializer, Immutable, Alias("CreditDecision")]
public sealed record CreditDecision(
    [property: Id(0)] bool Approved,
    [property: Id(1)] IReadOnlyList<string> Reasons,
    [property: Id(2)] CreditScore Score,
    [property: Id(3)] CreditLine? Line);

/// <summary>Something received from a buyer (an order placed with the supplier): dated, by core, replaced by its id.</summary>
[GenerateSerializer, Immutable, Alias("Receipt")]
public sealed record Receipt([property: Id(0)] string Id, [property: Id(1)] string CoreId, [property: Id(2)] Money Amount, [property: Id(3)] DateOnly On);

/// <summary>A funder's policy (one per funder, the latest replaces the last), keyed by the funder id.</summary>
[Alias("ICreditPolicyGrain")]
public interface ICreditPolicyGrain : IGrainWithStringKey
{
    [Alias("Publish")]
    Task<Outcome<CreditPolicy>> Publish(string operationId, PublishPolicy policy);

    /// <summary>The funder's current policy, or null.</summary>
    [Alias("Current"), Orleans.Concurrency.ReadOnly]
    Task<CreditPolicy?> Current();
}

/// <summary>
/// A supplier's credit, keyed by the supplier id: the aggregates of its platform data (kept from the exposure events the
/// risk grains apply and the orders placed with it), its score, its early-warning signals, and every funder's credit line
/// on it. A line is an <see cref="ILoanBase"/>: a draw is a loan that reserves its principal on the line (item = loan id).
/// The score, the signals and the lines share one state so that a signal suspends a line in the same write that raises it.
/// </summary>
[Alias("ISupplierCreditGrain")]
public interface ISupplierCreditGrain : ILoanBase
{
    /// <summary>The score as of today, from what the grain holds: one call, no scan. Not found for a caller who may not see it.</summary>
    [Alias("GetScore")]
    Task<Outcome<CreditScore>> GetScore(Caller caller);

    /// <summary>Applies to the funder under its policy: scores and decides at once. Idempotent by operation id.</summary>
    [Alias("Apply")]
    Task<Outcome<CreditDecision>> Apply(string operationId, CreditPolicy policy);

    [Alias("GetLine")]
    Task<Outcome<CreditLine>> GetLine(Caller caller, string lineId);

    /// <summary>Exposure events of the supplier's credit (vouchers it received, its loans, the guarantee calls it owes), from the risk grains. Idempotent by event id.</summary>
    [Alias("Observe")]
    Task Observe(IReadOnlyList<SupplyChain.Grains.Risk.ExposureEvent> events);

    /// <summary>An order placed with the supplier (amount 0: cancelled). Idempotent: the latest amount of a receipt id replaces the last.</summary>
    [Alias("RecordReceipt")]
    Task RecordReceipt(Receipt receipt);

    /// <summary>Looks again at what depends on the date or on others (falling receipts, its cores' standing): one-way, from the sweep and the cores' risk grains.</summary>
    [Orleans.Concurrency.OneWay, Alias("Reevaluate")]
    Task Reevaluate();
}
