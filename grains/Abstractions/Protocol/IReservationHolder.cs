using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Protocol;

/// <summary>
/// A grain that holds a limit and reservations against it (obligor, facility, order). Every reservation is keyed
/// by an item id (a root, a fragment, a loan) and names its owner; the owner reserves it through the holder's own
/// reserve call (which applies the holder's rules), then commits or releases it here. All four calls are idempotent
/// and ignore items they do not hold, so a notice may be delivered any number of times.
/// </summary>
[Alias("IReservationHolder")]
public interface IReservationHolder : IGrainWithStringKey
{
    /// <summary>The reservation took effect: it stays until closed, and a release no longer drops it.</summary>
    [Alias("Commit")]
    Task Commit(string item);

    /// <summary>The reservation never took effect: its room returns. A committed reservation is never released.</summary>
    [Alias("Release")]
    Task Release(string item);

    /// <summary>What the reservation stood for is over (settled, repaid): it leaves the book.</summary>
    [Alias("Close")]
    Task Close(string item);

    /// <summary>
    /// The amount the item uses is now <paramref name="amount"/> (a loan's outstanding principal), unless a later
    /// <paramref name="version"/> of the owner was already applied. Only an owner whose operation took effect reports
    /// an amount, so the reservation is committed too.
    /// </summary>
    [Alias("SetAmount")]
    Task SetAmount(string item, Money amount, long version);
}

/// <summary>
/// A grain on whose behalf reservations are held (voucher tree, loan). The owner is the authority on whether its
/// operation took effect: asked about a reservation a holder has kept open too long, it commits, closes or releases it.
/// </summary>
[Alias("IReservationOwner")]
public interface IReservationOwner : IGrainWithStringKey
{
    /// <summary>One-way: the asker never waits on the owner, so no call cycle can form.</summary>
    [Orleans.Concurrency.OneWay, Alias("Resolve")]
    Task Resolve(EntityRef holder, string item);
}

/// <summary>A grain that emits exposure events and keeps them until the obligor's risk grain acknowledges them.</summary>
[Alias("IExposureProducer")]
public interface IExposureProducer : IGrainWithStringKey
{
    /// <summary>The consumer applied these exposure events: the producer stops re-sending them.</summary>
    [Orleans.Concurrency.OneWay, Alias("AcknowledgeExposures")]
    Task AcknowledgeExposures(IReadOnlyList<string> eventIds);

    /// <summary>The producer's live positions as its state says now: the source of truth for reconciliation.</summary>
    [Alias("GetPositions")]
    Task<IReadOnlyList<SupplyChain.Grains.Risk.HeldPosition>> GetPositions();
}

/// <summary>What a loan asks of what it draws on.</summary>
[GenerateSerializer, Immutable, Alias("DrawRequest")]
public sealed record DrawRequest(
    [property: Id(0)] string LoanId,
    [property: Id(1)] string BorrowerId,
    [property: Id(2)] string? FunderId,
    [property: Id(3)] Money Amount,
    [property: Id(4)] DateOnly Today,
    [property: Id(5)] int? TermDays);

/// <summary>
/// The terms the base sets: when the loan falls due and who lends. A base that sets the rate itself (a guarantee group)
/// is the funder's limit for its loans; otherwise the rate and the limit come from the funder's facility on the borrower.
/// </summary>
[GenerateSerializer, Immutable, Alias("DrawTerms")]
public sealed record DrawTerms([property: Id(0)] DateOnly DueDate, [property: Id(1)] string FunderId, [property: Id(2)] decimal? AnnualRate);

/// <summary>
/// What a loan draws on: an order or a guarantee group, next a credit line. Lending is one thing whatever the base: the
/// loan reserves its principal here (the base applies its own rules), then, unless the base sets the rate, on the funder's
/// facility; its outstanding principal follows by <see cref="IReservationHolder.SetAmount"/>.
/// </summary>
[Alias("ILoanBase")]
public interface ILoanBase : IReservationHolder
{
    /// <summary>Reserves room for the loan. Idempotent by loan id with the same terms.</summary>
    [Alias("ReserveDraw")]
    Task<Outcome<DrawTerms>> ReserveDraw(DrawRequest request);
}
