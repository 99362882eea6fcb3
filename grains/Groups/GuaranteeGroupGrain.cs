using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Groups;

public sealed class GuaranteeGroupState
{
    public string FormOperationId { get; set; } = "";
    public string FunderId { get; set; } = "";
    public List<MemberState> Members { get; set; } = new();
    public long GroupLimitFen { get; set; }
    public long MemberCapFen { get; set; }
    public decimal AnnualRate { get; set; }
    public DateOnly ExpiresOn { get; set; }
    public GroupStatus Status { get; set; }

    /// <summary>The reservation book of the members' loans, by loan id: amount = outstanding principal, counterparty = borrower.</summary>
    public Dictionary<string, Reservation> Loans { get; set; } = new();

    /// <summary>The calls made for each defaulted loan, by loan id: what a repeated call returns.</summary>
    public Dictionary<string, List<CallState>> Calls { get; set; } = new();

    public List<PendingAlert> PendingAlerts { get; set; } = new();
}

public sealed class MemberState
{
    public string Id { get; set; } = "";
    public bool Consented { get; set; }
}

public sealed class CallState
{
    public string MemberId { get; set; } = "";
    public long AmountFen { get; set; }
}

/// <summary>One guarantee group. Not reentrant; every change is one fenced write, answered after it.</summary>
public sealed class GuaranteeGroupGrain(
    [PersistentState("guarantee-group", Storage.Name)] IPersistentState<GuaranteeGroupState> state,
    PlatformTime time,
    IOptions<PlatformRules> rules,
    IAlertStore alerts,
    IGroupPoolIndex index,
    ILogger<GuaranteeGroupGrain> logger) : Grain, IGuaranteeGroupGrain
{
    private ReservationSweep? _sweep;

    private GuaranteeGroupState S => state.State;
    private string GroupId => this.GetPrimaryKeyString();
    private ReservationBook Book => new(S.Loans);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await FollowUp(); // a process may have died after a write and before its alerts or its read model went out
        EnsureSweep();
    }

    public Task Reproject() => Project();

    public async Task<Outcome<GuaranteeGroup>> Form(Caller caller, string operationId, FormGroup command)
    {
        if (state.RecordExists)
            return S.FormOperationId == operationId ? Outcome<GuaranteeGroup>.Ok(View()) : Fault.Conflict("A guarantee group with this id already exists.");
        S.FormOperationId = operationId;
        S.FunderId = command.FunderId;
        S.Members = command.MemberIds.Select(id => new MemberState { Id = id }).ToList();
        S.GroupLimitFen = command.GroupLimit.Fen;
        S.MemberCapFen = command.MemberCap.Fen;
        S.AnnualRate = command.AnnualRate;
        S.ExpiresOn = command.ExpiresOn;
        S.Status = GroupStatus.Proposed;
        await Write();
        return Outcome<GuaranteeGroup>.Ok(View());
    }

    public async Task<Outcome<GuaranteeGroup>> Consent(Caller caller)
    {
        var member = state.RecordExists ? S.Members.Find(m => m.Id == caller.Id) : null;
        if (member is null) return Fault.NotFound("Guarantee group");
        if (member.Consented) return Outcome<GuaranteeGroup>.Ok(View());
        member.Consented = true;
        if (S.Status == GroupStatus.Proposed && S.Members.All(m => m.Consented)) S.Status = GroupStatus.Active;
        await Write();
        return Outcome<GuaranteeGroup>.Ok(View());
    }

    public Task<Outcome<GuaranteeGroup>> Get(Caller caller) =>
        Task.FromResult(CanSee(caller) ? Outcome<GuaranteeGroup>.Ok(View()) : Fault.NotFound("Guarantee group"));

    public Task<bool> IsMember(string participantId) => Task.FromResult(state.RecordExists && S.Members.Any(m => m.Id == participantId));

    public async Task<Outcome<DrawTerms>> ReserveDraw(DrawRequest request)
    {
        var terms = new DrawTerms(request.Today.AddDays(request.TermDays ?? 0), S.FunderId, S.AnnualRate);
        switch (Book.AlreadyReserved(request.LoanId, EntityRef.Loan(request.LoanId), request.Amount.Fen, request.BorrowerId))
        {
            case true: return Outcome<DrawTerms>.Ok(terms);
            case false: return Fault.Conflict("This loan is already reserved on the group with other terms.");
        }
        if (!state.RecordExists || S.Members.All(m => m.Id != request.BorrowerId)) return Fault.NotFound("Guarantee group");
        if (S.Status != GroupStatus.Active)
            return Fault.InvalidState($"The group is {S.Status.Wire()}: its members cannot borrow under it.");
        if (request.Today > S.ExpiresOn) return Fault.InvalidState($"The group expired on {S.ExpiresOn:yyyy-MM-dd}.");
        if (request.TermDays is not (>= 1 and <= 365)) return Fault.Validation("termDays", "must be from 1 to 365");
        var outstanding = Book.UsedFen;
        if (outstanding + request.Amount.Fen > S.GroupLimitFen)
            return new Fault(FaultCodes.LimitExceeded, 409,
                $"The group's loans may have at most {new Money(S.GroupLimitFen)} outstanding; {new Money(outstanding)} is, so at most " +
                $"{new Money(Math.Max(0, S.GroupLimitFen - outstanding))} more can be borrowed.", "amount");
        Book.Reserve(request.LoanId, EntityRef.Loan(request.LoanId), request.Amount.Fen, time.UtcNow, request.BorrowerId);
        await Write();
        EnsureSweep();
        return Outcome<DrawTerms>.Ok(terms);
    }

    public Task Commit(string item) => WriteIf(Book.Commit(item));

    public Task Release(string item) => WriteIf(Book.Release(item));

    public Task Close(string item) => WriteIf(Book.Close(item));

    public Task SetAmount(string item, Money amount, long version) => WriteIf(Book.SetAmount(item, amount.Fen, version));

    public async Task<IReadOnlyList<GuaranteeCall>> CallGuarantors(string loanId, string borrowerId, Money loss)
    {
        if (!S.Calls.TryGetValue(loanId, out var calls))
        {
            var others = S.Members.Where(m => m.Id != borrowerId).ToList();
            var allocated = GuaranteeCalls.Allocate(loss.Fen, others.Select(m => (m.Id, Math.Max(0, S.MemberCapFen - CalledFen(m.Id)))).ToList());
            calls = allocated.Select(a => new CallState { MemberId = a.MemberId, AmountFen = a.AmountFen }).ToList();
            S.Calls[loanId] = calls;
            if (S.Status != GroupStatus.Frozen)
            {
                S.Status = GroupStatus.Frozen;
                S.PendingAlerts.Add(new PendingAlert($"group-frozen:{GroupId}", "group_frozen", GroupId, S.FunderId, borrowerId,
                    $"Guarantee group {GroupId} is frozen: loan {loanId} of {borrowerId} defaulted with a loss of {loss}; " +
                    $"the other members were called {new Money(calls.Sum(c => c.AmountFen))}.", time.UtcNow));
            }
            await Write();
        }
        return calls.Select(c => new GuaranteeCall(c.MemberId, new Money(c.AmountFen))).ToList();
    }

    /// <summary>What a member (or, with none given, every member) has been called to pay across every loss it guarantees (its capUsed): at most the cap.</summary>
    private long CalledFen(string? memberId = null) =>
        S.Calls.Values.SelectMany(c => c).Where(c => memberId is null || c.MemberId == memberId).Sum(c => c.AmountFen);

    private Task WriteIf(bool changed) => changed ? Write() : Task.CompletedTask;

    /// <summary>One fenced write; then the alerts it raised and the read model go out.</summary>
    private async Task Write()
    {
        await state.WriteOrDeactivateAsync(this);
        await FollowUp();
    }

    private Task FollowUp() => StateWrites.FollowUpAsync(S.PendingAlerts, alerts, Project, logger, $"Guarantee group {GroupId}");

    private Task Project() =>
        state.RecordExists
            ? index.UpsertGroupAsync(new IndexedGroup(GroupId, S.FunderId, S.Status.Wire(), new Money(S.GroupLimitFen).Yuan, new Money(Book.UsedFen).Yuan,
                new Money(S.MemberCapFen).Yuan, S.Members.Count, new Money(CalledFen()).Yuan,
                state.StoredVersion()))
            : Task.CompletedTask;

    /// <summary>Members, the group's funder, operators and risk staff (scoped staff: their funder's groups).</summary>
    private bool CanSee(Caller caller) =>
        state.RecordExists && caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || caller.FunderScope == S.FunderId,
            _ => caller.Id == S.FunderId || S.Members.Any(m => m.Id == caller.Id),
        };

    private GuaranteeGroup View() =>
        new(GroupId, S.FunderId, S.Members.Select(m => new GroupMember(m.Id, m.Consented, new Money(S.MemberCapFen), new Money(CalledFen(m.Id)))).ToList(),
            new Money(S.GroupLimitFen), new Money(Book.UsedFen), S.AnnualRate, S.ExpiresOn, S.Status);

    private void EnsureSweep() =>
        (_sweep ??= new ReservationSweep(this, GrainFactory, EntityRef.Group(GroupId), rules.Value.ReservationTimeout, () => time.UtcNow))
        .Ensure(() => Book.Open);
}
