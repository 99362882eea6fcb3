using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Facilities;

public sealed class FacilityState
{
    public string? FunderId { get; set; }
    public string? ObligorId { get; set; }
    public long LimitFen { get; set; }
    public decimal AnnualRate { get; set; }
    public DateOnly ExpiresOn { get; set; }

    /// <summary>The highest usage threshold (0, 90 or 100 percent) reached and not yet left.</summary>
    public int AlertLevel { get; set; }

    /// <summary>How many times usage has crossed each threshold upwards: names each crossing's alert.</summary>
    public Dictionary<int, int> Crossings { get; set; } = new();

    public List<PendingAlert> PendingAlerts { get; set; } = new();

    /// <summary>
    /// The reservation book: fragments the funder holds or is about to hold from the obligor, and loans, by item id. A row
    /// each: it grows with what the funder holds, and a write sends only the entries it changed.
    /// </summary>
    [StoredAsRows]
    public Dictionary<string, Reservation> Usage { get; set; } = new();

    /// <summary>Brings a row stored before the reservation book, which named a loan or a tree only by its id, to its shape.</summary>
    public void Upgrade() =>
        new ReservationBook(Usage).Upgrade((_, row) => Ids.IsLoan(row.RootId!) ? EntityRef.Loan(row.RootId!) : EntityRef.Tree(row.RootId!));
}

public sealed class FacilityGrain(
    [PersistentState("facility", Storage.Name)] IPersistentState<FacilityState> state,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    IAlertStore alerts) : Grain, IFacilityGrain
{
    private ReservationSweep? _sweep;

    private FacilityState S => state.State;
    private ReservationBook Book => new(S.Usage);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.Upgrade();
        // The obligor's copy of this limit may have missed the last change if a process died in between.
        if (state.RecordExists) await NotifyObligor();
        await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
        EnsureSweep();
    }

    public async Task<Outcome<Facility>> Grant(FacilityTerms terms)
    {
        if (state.RecordExists)
        {
            var same = S.FunderId == terms.FunderId && S.ObligorId == terms.ObligorId && S.LimitFen == terms.Limit.Fen
                       && S.AnnualRate == terms.AnnualRate && S.ExpiresOn == terms.ExpiresOn;
            return same ? Outcome<Facility>.Ok(View()) : Fault.Conflict("This funder already has a facility on this obligor; change its limit instead.");
        }
        S.FunderId = terms.FunderId;
        S.ObligorId = terms.ObligorId;
        S.LimitFen = terms.Limit.Fen;
        S.AnnualRate = terms.AnnualRate;
        S.ExpiresOn = terms.ExpiresOn;
        await Write();
        await NotifyObligor();
        return Outcome<Facility>.Ok(View());
    }

    public Task<Facility?> Get() => Task.FromResult(state.RecordExists ? View() : null);

    public async Task<Outcome<Facility>> SetLimit(Money limit)
    {
        if (!state.RecordExists) return Fault.NotFound("Facility");
        if (S.LimitFen != limit.Fen)
        {
            // A cut below usage is allowed: it blocks new usage until usage falls under it.
            S.LimitFen = limit.Fen;
            await Write();
        }
        await NotifyObligor();
        return Outcome<Facility>.Ok(View());
    }

    public async Task<Outcome<decimal>> Reserve(string item, EntityRef owner, Money amount, DateOnly today)
    {
        if (!state.RecordExists)
            return new Fault(FaultCodes.InsufficientLimit, 409, "The funder has no facility on this obligor.");
        switch (Book.AlreadyReserved(item, owner, amount.Fen))
        {
            case true: return Outcome<decimal>.Ok(S.AnnualRate);
            case false: return Fault.Conflict("The item is already reserved with another amount.");
        }
        if (today > S.ExpiresOn)
            return new Fault(FaultCodes.InsufficientLimit, 409, $"The facility expired on {S.ExpiresOn:yyyy-MM-dd}.");
        var used = Book.UsedFen;
        if (used + amount.Fen > S.LimitFen)
            return new Fault(FaultCodes.InsufficientLimit, 409,
                $"The facility has {new Money(Math.Max(0, S.LimitFen - used))} of room; {amount} is needed.");
        Book.Reserve(item, owner, amount.Fen, time.UtcNow);
        await Write();
        EnsureSweep();
        return Outcome<decimal>.Ok(S.AnnualRate);
    }

    public Task Commit(string item) => WriteIf(Book.Commit(item));

    // A reserve that arrives after a release (only from a stale activation, whose own write is then fenced out)
    // is swept like any other open reservation.
    public Task Release(string item) => WriteIf(Book.Release(item));

    public Task SetAmount(string item, Money amount, long version) => WriteIf(Book.SetAmount(item, amount.Fen, version));

    public Task Close(string item) => WriteIf(Book.Close(item));

    private long UsedFen() => Book.UsedFen;

    private Task WriteIf(bool changed) => changed ? Write() : Task.CompletedTask;

    /// <summary>Every write re-evaluates the usage thresholds; alerts go out after the write that decided them.</summary>
    private async Task Write()
    {
        EvaluateThresholds();
        await state.WriteOrDeactivateAsync(this);
        await PendingAlert.DeliverAsync(S.PendingAlerts, alerts);
    }

    private void EvaluateThresholds()
    {
        var used = UsedFen();
        var level = used >= S.LimitFen ? 100 : used * 10 >= S.LimitFen * 9 ? 90 : 0;
        foreach (var threshold in new[] { 90, 100 }.Where(t => t > S.AlertLevel && t <= level))
        {
            var crossing = S.Crossings[threshold] = S.Crossings.GetValueOrDefault(threshold) + 1;
            S.PendingAlerts.Add(new PendingAlert($"facility-{threshold}:{this.GetPrimaryKeyString()}:{crossing}", $"facility_usage_{threshold}",
                this.GetPrimaryKeyString(), S.FunderId, S.ObligorId,
                $"Facility usage is {new Money(used)} of a {new Money(S.LimitFen)} limit (at or above {threshold}%).", time.UtcNow));
        }
        S.AlertLevel = level;
    }

    private Facility View() =>
        new(this.GetPrimaryKeyString(), S.FunderId!, S.ObligorId!, new Money(S.LimitFen), new Money(UsedFen()), S.AnnualRate, S.ExpiresOn);

    private Task NotifyObligor() =>
        GrainFactory.GetGrain<IObligorGrain>(S.ObligorId!).SetFacilityLimit(this.GetPrimaryKeyString(), new Money(S.LimitFen), S.ExpiresOn);

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Facility(this.GetPrimaryKeyString()), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => Book.Open);
}
