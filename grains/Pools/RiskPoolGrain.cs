using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Pools;

public sealed class RiskPoolState
{
    public string CreateOperationId { get; set; } = "";
    public string Name { get; set; } = "";
    public decimal Leverage { get; set; }
    public decimal CoverageRatio { get; set; }
    public long FloorFen { get; set; }

    /// <summary>What came in less what was paid out: derived, never stored (a row written with a stored balance reads the same).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long BalanceFen => Contributions.Sum(c => c.AmountFen) - Payouts.Values.Sum(p => p.AmountFen);

    /// <summary>Contributions, each with the operation that made it (a retry adds nothing).</summary>
    public List<ContributionState> Contributions { get; set; } = new();

    /// <summary>Payouts by loan id: a repeated request for a loan's payment returns the first.</summary>
    public Dictionary<string, PayoutState> Payouts { get; set; } = new();

    /// <summary>The reservation book of covered loans, by loan id: amount = outstanding principal, counterparty = funder.</summary>
    public Dictionary<string, Reservation> Covered { get; set; } = new();

    /// <summary>Every funder that ever enrolled a loan, by loan id: they may see the pool.</summary>
    public Dictionary<string, string> Enrolled { get; set; } = new();

    /// <summary>Whether covered is at or above 80% of capacity, and the balance below the floor, as of the last write.</summary>
    public bool NearCapacity { get; set; }
    public bool BelowFloor { get; set; }
    public int CapacityCrossings { get; set; }
    public int FloorCrossings { get; set; }

    public List<PendingAlert> PendingAlerts { get; set; } = new();
}

public sealed class ContributionState
{
    public string OperationId { get; set; } = "";
    public string ContributorId { get; set; } = "";
    public long AmountFen { get; set; }
    public DateOnly On { get; set; }
}

public sealed class PayoutState
{
    public string FunderId { get; set; } = "";
    public long AmountFen { get; set; }
    public DateOnly On { get; set; }
}

/// <summary>One risk pool. Not reentrant; every change is one fenced write, with the alerts it raises, answered after it.</summary>
public sealed class RiskPoolGrain(
    [PersistentState("risk-pool", Storage.Name)] IPersistentState<RiskPoolState> state,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    IAlertStore alerts,
    IGroupPoolIndex index,
    ILogger<RiskPoolGrain> logger) : Grain, IRiskPoolGrain
{
    private ReservationSweep? _sweep;

    private RiskPoolState S => state.State;
    private string PoolId => this.GetPrimaryKeyString();
    private ReservationBook Book => new(S.Covered);
    private long CapacityFen => (long)decimal.Floor(S.BalanceFen * S.Leverage);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await FollowUp(); // a process may have died after a write and before its alerts or its read model went out
        EnsureSweep();
    }

    public Task Reproject() => Project();

    public async Task<Outcome<RiskPool>> Create(string operationId, CreatePool command)
    {
        if (state.RecordExists)
            return S.CreateOperationId == operationId ? Outcome<RiskPool>.Ok(View()) : Fault.Conflict("A risk pool with this id already exists.");
        S.CreateOperationId = operationId;
        S.Name = command.Name;
        S.Leverage = command.Leverage;
        S.CoverageRatio = command.CoverageRatio;
        S.FloorFen = command.Floor.Fen;
        await Write();
        return Outcome<RiskPool>.Ok(View());
    }

    public async Task<Outcome<RiskPool>> Contribute(string operationId, string contributorId, Money amount, DateOnly on)
    {
        if (!state.RecordExists) return Fault.NotFound("Risk pool");
        if (S.Contributions.Any(c => c.OperationId == operationId)) return Outcome<RiskPool>.Ok(View());
        S.Contributions.Add(new ContributionState { OperationId = operationId, ContributorId = contributorId, AmountFen = amount.Fen, On = on });
        await Write();
        return Outcome<RiskPool>.Ok(View());
    }

    public Task<Outcome<RiskPool>> Get(Caller caller) =>
        Task.FromResult(CanSee(caller) ? Outcome<RiskPool>.Ok(View()) : Fault.NotFound("Risk pool"));

    public async Task<Outcome<RiskPool>> ReserveCover(string loanId, string funderId, Money outstanding)
    {
        switch (Book.AlreadyReserved(loanId, EntityRef.Loan(loanId), outstanding.Fen, funderId))
        {
            case true: return Outcome<RiskPool>.Ok(View());
            case false: return Fault.Conflict("This loan is already enrolled with other terms.");
        }
        if (!state.RecordExists) return Fault.NotFound("Risk pool");
        var covered = Book.UsedFen;
        if (covered + outstanding.Fen > CapacityFen)
            return new Fault(FaultCodes.LimitExceeded, 409,
                $"The pool covers {new Money(covered)} of a capacity of {new Money(CapacityFen)} ({new Money(S.BalanceFen)} × {S.Leverage}); " +
                $"a loan of {outstanding} outstanding does not fit.", "loanId");
        Book.Reserve(loanId, EntityRef.Loan(loanId), outstanding.Fen, time.UtcNow, funderId);
        S.Enrolled[loanId] = funderId;
        await Write();
        EnsureSweep();
        return Outcome<RiskPool>.Ok(View());
    }

    public Task Commit(string item) => WriteIf(Book.Commit(item));

    public Task Release(string item) => WriteIf(Book.Release(item));

    public Task Close(string item) => WriteIf(Book.Close(item));

    public Task SetAmount(string item, Money amount, long version) => WriteIf(Book.SetAmount(item, amount.Fen, version));

    public async Task<Money> Pay(string loanId, string funderId, Money remaining, DateOnly on)
    {
        if (!S.Payouts.TryGetValue(loanId, out var payout))
        {
            var due = (long)decimal.Floor(remaining.Fen * S.CoverageRatio);
            payout = new PayoutState { FunderId = funderId, AmountFen = Math.Min(due, S.BalanceFen), On = on };
            S.Payouts[loanId] = payout;
            Book.Close(loanId); // a defaulted loan leaves covered (its own close notice may come later: a repeat is harmless)
            await Write();
        }
        return new Money(payout.AmountFen);
    }

    private Task WriteIf(bool changed) => changed ? Write() : Task.CompletedTask;

    /// <summary>Every write re-evaluates the pool's alerts (capacity at 80%, balance below the floor); they go out after it.</summary>
    private async Task Write()
    {
        var near = CapacityFen > 0 ? Book.UsedFen * 5 >= CapacityFen * 4 : Book.UsedFen > 0;
        if (near && !S.NearCapacity)
            S.PendingAlerts.Add(new PendingAlert($"pool-capacity:{PoolId}:{++S.CapacityCrossings}", "pool_capacity", PoolId, null, null,
                $"Risk pool {S.Name} covers {new Money(Book.UsedFen)} of its capacity of {new Money(CapacityFen)} (at or above 80%).", time.UtcNow));
        var below = S.BalanceFen < S.FloorFen && S.Contributions.Count > 0;
        if (below && !S.BelowFloor)
            S.PendingAlerts.Add(new PendingAlert($"pool-floor:{PoolId}:{++S.FloorCrossings}", "pool_floor", PoolId, null, null,
                $"Risk pool {S.Name} has a balance of {new Money(S.BalanceFen)}, below its floor of {new Money(S.FloorFen)}.", time.UtcNow));
        (S.NearCapacity, S.BelowFloor) = (near, below);
        await state.WriteOrDeactivateAsync(this);
        await FollowUp();
    }

    private Task FollowUp() => StateWrites.FollowUpAsync(S.PendingAlerts, alerts, Project, logger, $"Risk pool {PoolId}");

    private Task Project() =>
        state.RecordExists
            ? index.UpsertPoolAsync(new IndexedPool(PoolId, S.Name, Status.Wire(), new Money(S.BalanceFen).Yuan, S.Leverage, S.CoverageRatio,
                new Money(S.FloorFen).Yuan, new Money(Book.UsedFen).Yuan, new Money(CapacityFen).Yuan, state.StoredVersion()))
            : Task.CompletedTask;

    private PoolStatus Status => S.BalanceFen > 0 || S.Contributions.Count == 0 ? PoolStatus.Active : PoolStatus.Exhausted;

    /// <summary>Operators and risk staff, its contributors, and funders that enrolled loans in it.</summary>
    private bool CanSee(Caller caller) =>
        state.RecordExists && caller.Role switch
        {
            Role.Operator or Role.Risk => true,
            _ => S.Contributions.Any(c => c.ContributorId == caller.Id) || S.Enrolled.ContainsValue(caller.Id),
        };

    private RiskPool View() =>
        new(PoolId, S.Name, new Money(S.BalanceFen), S.Leverage, S.CoverageRatio, new Money(S.FloorFen), new Money(Book.UsedFen), new Money(CapacityFen),
            S.Contributions.Select(c => new PoolContribution(c.ContributorId, new Money(c.AmountFen), c.On)).ToList(),
            S.Payouts.Select(p => new PoolPayout(p.Key, p.Value.FunderId, new Money(p.Value.AmountFen), p.Value.On)).ToList(),
            Status);

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Pool(PoolId), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => Book.Open);
}
