using Microsoft.Extensions.Options;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Grains.Facilities;

public sealed class ObligorState
{
    public Dictionary<string, FacilityLimit> Facilities { get; set; } = new();
    public long? OperatorLimitFen { get; set; }

    /// <summary>Unsettled, uncancelled roots: root id → face. Reserved until the tree exists, then committed.</summary>
    public Dictionary<string, UsageEntry> Roots { get; set; } = new();
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

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
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
        if (S.Roots.TryGetValue(rootId, out var existing))
            return existing.AmountFen == amount.Fen
                ? Outcome<IssuancePosition>.Ok(Position(today))
                : Fault.Conflict("This root is already reserved with another amount.");
        var position = Position(today);
        if (position.Outstanding.Fen + amount.Fen > position.Limit.Fen)
            return new Fault(FaultCodes.LimitExceeded, 409,
                $"Issuing {amount} would take outstanding vouchers to {new Money(position.Outstanding.Fen + amount.Fen)}, above the issuance limit of {position.Limit}.");
        S.Roots[rootId] = new UsageEntry { RootId = rootId, AmountFen = amount.Fen, ReservedAt = time.UtcNow };
        await state.WriteOrDeactivateAsync(this);
        EnsureSweep();
        return Outcome<IssuancePosition>.Ok(Position(today));
    }

    public async Task Commit(string rootId)
    {
        if (S.Roots.TryGetValue(rootId, out var entry) && !entry.Committed)
        {
            entry.Committed = true;
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public async Task Release(string rootId)
    {
        if (S.Roots.TryGetValue(rootId, out var entry) && !entry.Committed && S.Roots.Remove(rootId))
            await state.WriteOrDeactivateAsync(this);
    }

    public async Task Close(string rootId)
    {
        if (S.Roots.Remove(rootId)) await state.WriteOrDeactivateAsync(this);
    }

    public Task<IssuancePosition> GetPosition(DateOnly today) => Task.FromResult(Position(today));

    private IssuancePosition Position(DateOnly today)
    {
        var facilities = S.Facilities.Values.Where(f => f.ExpiresOn >= today).Sum(f => f.LimitFen);
        var limit = S.OperatorLimitFen ?? facilities;
        return new IssuancePosition(new Money(limit), new Money(S.Roots.Values.Sum(r => r.AmountFen)),
            S.OperatorLimitFen is { } op ? new Money(op) : null);
    }

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, rules.Value.ReservationTimeout, () => time.UtcNow)).Ensure(
            () => S.Roots.Where(r => !r.Value.Committed).Select(r => (r.Key, r.Key, r.Value.ReservedAt)),
            (rootId, _) => GrainFactory.GetGrain<IVoucherTreeGrain>(rootId).ResolveIssuance(this.GetPrimaryKeyString()).Ignore());
}
