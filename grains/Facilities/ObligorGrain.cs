using Microsoft.Extensions.Options;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Facilities;

public sealed class ObligorState
{
    public Dictionary<string, FacilityLimit> Facilities { get; set; } = new();
    public long? OperatorLimitFen { get; set; }

    /// <summary>
    /// Unsettled, uncancelled roots: the reservation book by root id. Reserved until the tree exists, then committed.
    /// A row each: it grows with the core's outstanding vouchers, and a write sends only the entries it changed.
    /// </summary>
    [StoredAsRows]
    public Dictionary<string, Reservation> Roots { get; set; } = new();

    /// <summary>Brings a row stored before the reservation book to its shape.</summary>
    public void Upgrade() => new ReservationBook(Roots).Upgrade((root, _) => EntityRef.Tree(root));
}

public sealed class FacilityLimit
{
    public long LimitFen { get; set; }
    public DateOnly ExpiresOn { get; set; }
}

public sealed class ObligorGrain(
    [PersistentState("obligor", Storage.Name)] IPersistentState<ObligorState> state,
    PlatformTime time,
    IOptions<PlatformRules> rules) : Grain, IObligorGrain
{
    private ReservationSweep? _sweep;

    private ObligorState S => state.State;
    private ReservationBook Book => new(S.Roots);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.Upgrade();
        EnsureSweep();
        return Task.CompletedTask;
    }

    public async Task SetFacilityLimit(string facilityId, Money limit, DateOnly expiresOn)
    {
        if (S.Facilities.TryGetValue(facilityId, out var f) && f.LimitFen == limit.Fen && f.ExpiresOn == expiresOn) return;
        S.Facilities[facilityId] = new FacilityLimit { LimitFen = limit.Fen, ExpiresOn = expiresOn };
        await state.WriteOrDeactivateAsync(this);
    }

    public async Task<IssuancePosition> SetOperatorLimit(Money? limit)
    {
        S.OperatorLimitFen = limit?.Fen;
        await state.WriteOrDeactivateAsync(this);
        return Position(DateOnly.FromDateTime(time.UtcNow.UtcDateTime));
    }

    public async Task<Outcome<IssuancePosition>> Reserve(string rootId, Money amount, DateOnly today)
    {
        switch (Book.AlreadyReserved(rootId, EntityRef.Tree(rootId), amount.Fen))
        {
            case true: return Outcome<IssuancePosition>.Ok(Position(today));
            case false: return Fault.Conflict("This root is already reserved with another amount.");
        }
        var position = Position(today);
        if (position.Outstanding.Fen + amount.Fen > position.Limit.Fen)
            return new Fault(FaultCodes.LimitExceeded, 409,
                $"Issuing {amount} would take outstanding vouchers to {new Money(position.Outstanding.Fen + amount.Fen)}, above the issuance limit of {position.Limit}.");
        Book.Reserve(rootId, EntityRef.Tree(rootId), amount.Fen, time.UtcNow);
        await state.WriteOrDeactivateAsync(this);
        EnsureSweep();
        return Outcome<IssuancePosition>.Ok(Position(today));
    }

    public Task Commit(string rootId) => WriteIf(Book.Commit(rootId));

    public Task Release(string rootId) => WriteIf(Book.Release(rootId));

    public Task Close(string rootId) => WriteIf(Book.Close(rootId));

    public Task SetAmount(string rootId, Money amount, long version) => WriteIf(Book.SetAmount(rootId, amount.Fen, version));

    private Task WriteIf(bool changed) => changed ? state.WriteOrDeactivateAsync(this) : Task.CompletedTask;

    public Task<IssuancePosition> GetPosition(DateOnly today) => Task.FromResult(Position(today));

    private IssuancePosition Position(DateOnly today)
    {
        var facilities = S.Facilities.Values.Where(f => f.ExpiresOn >= today).Sum(f => f.LimitFen);
        var limit = S.OperatorLimitFen ?? facilities;
        return new IssuancePosition(new Money(limit), new Money(Book.UsedFen),
            S.OperatorLimitFen is { } op ? new Money(op) : null);
    }

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Obligor(this.GetPrimaryKeyString()), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => Book.Open);
}
