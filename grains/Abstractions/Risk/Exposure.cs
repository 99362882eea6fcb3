using Orleans.Concurrency;

namespace SupplyChain.Grains.Risk;

public static class Exposures
{
    /// <summary>The stream provider and namespace of exposure events; the stream key is the obligor id.</summary>
    public const string Provider = "exposures";
    public const string Namespace = "exposure";
}

/// <summary>What someone holds of an obligor's credit: only live fragments are positions.</summary>
[GenerateSerializer, Immutable, Alias("ExposurePosition")]
public sealed record ExposurePosition(
    [property: Id(0)] string HolderId,
    [property: Id(1)] string HolderRole,
    [property: Id(2)] string Status,
    [property: Id(3)] int Tier,
    [property: Id(4)] long AmountFen);

/// <summary>
/// A change to one instrument's exposure: its position before and after (null when it was or is not live).
/// The id is stable across retries: it names the tree, the tree's version that made the change, and the fragment.
/// Applying before and after as deltas makes events commute, so late or reordered delivery gives the same totals.
/// Kind says what happened: issued, accepted, rejected, split, transferred, discounted, settled, overdue, defaulted.
/// What a supplier's credit profile needs besides (events written before 2026-12 lack them): <paramref name="On"/>, the
/// business date of the change; <paramref name="OrderId"/>, the order a voucher pays (it was counted as received when
/// placed); <paramref name="DueDate"/>, a loan's due date.
/// </summary>
[GenerateSerializer, Immutable, Alias("ExposureEvent")]
public sealed record ExposureEvent(
    [property: Id(0)] string Id,
    [property: Id(1)] string RootId,
    [property: Id(2)] string InstrumentId,
    [property: Id(3)] string ObligorId,
    [property: Id(4)] ExposurePosition? Before,
    [property: Id(5)] ExposurePosition? After,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] string Kind,
    [property: Id(8)] DateOnly? On = null,
    [property: Id(9), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? OrderId = null,
    [property: Id(10), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    DateOnly? DueDate = null);

/// <summary>A live position and the obligor it is on: a producer's positions may be on several (a loan's guarantee calls are on its guarantors).</summary>
[GenerateSerializer, Immutable, Alias("HeldPosition")]
public sealed record HeldPosition([property: Id(0)] string ObligorId, [property: Id(1)] ExposurePosition Position);

/// <summary>Events from one producer, which the consumer acknowledges to it by its typed reference.</summary>
[GenerateSerializer, Immutable, Alias("ExposureBatch")]
public sealed record ExposureBatch([property: Id(0)] IReadOnlyList<ExposureEvent> Events, [property: Id(1)] SupplyChain.Grains.Protocol.EntityRef Producer);

/// <summary>
/// The risk grain of one obligor: consumes that obligor's exposure stream (implicit subscription), applies each
/// event exactly once in effect to the SQL aggregates, and acknowledges it to the tree that keeps it until then.
/// </summary>
[Alias("IObligorRiskGrain")]
public interface IObligorRiskGrain : IGrainWithStringKey
{
    /// <summary>How many events this activation applied and how many it saw again (duplicates).</summary>
    [Alias("GetCounters"), ReadOnly]
    Task<(long Applied, long Duplicates)> GetCounters();
}
