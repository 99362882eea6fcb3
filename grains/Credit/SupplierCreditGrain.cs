using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Risk;

namespace SupplyChain.Grains.Credit;

/// <summary>
/// One supplier's credit. Not reentrant; every change is one fenced write, answered after it. It calls no grain and waits
/// on nobody (the risk grains and loans call it), so no call cycle can form; it reads the cores' standing from the exposure
/// aggregates. A signal raised in a write suspends the lines in that same write: a draw can never pass an open signal.
/// </summary>
public sealed class SupplierCreditGrain(
    [PersistentState("supplier-credit", Storage.Name)] IPersistentState<SupplierCreditState> state,
    PlatformClock clock,
    PlatformTime time,
    Scorecard scorecard,
    IOptions<PlatformRules> rules,
    IAlertStore alerts,
    ICreditIndex index,
    IExposureStore exposures,
    ILogger<SupplierCreditGrain> logger) : Grain, ISupplierCreditGrain
{
    private readonly Dictionary<string, ReservationSweep> _sweeps = new();

    /// <summary>Cores this activation has written to <c>credit_relations</c>: a projection writes only the new ones.</summary>
    private readonly HashSet<string> _relationsProjected = new(StringComparer.Ordinal);

    private SupplierCreditState S => state.State;
    private string SupplierId => this.GetPrimaryKeyString();
    private CreditProfile Profile => new(S, SupplierId, scorecard);
    private bool Suspended => S.Signals.Any(x => x.ClearedAt is null);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.RecordExists) return;
        // A process may have died after a write and before its alerts or read model went out. Projecting costs a commit,
        // so an activation (a score read, most often) projects only when something is left: one indexed read otherwise.
        try
        {
            if (S.PendingAlerts.Count > 0 || S.Signals.Any(x => !x.Projected) || await index.ProjectedVersionAsync(SupplierId) < state.StoredVersion())
                await FollowUp();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Credit of {SupplierId} could not check its read model on activation; the next write or the daily sweep projects it", SupplierId);
        }
        EnsureSweeps();
    }

    public async Task<Outcome<CreditScore>> GetScore(Caller caller)
    {
        if (!CanSeeScore(caller)) return Fault.NotFound("Supplier");
        return Outcome<CreditScore>.Ok(Profile.Score(await clock.TodayAsync()));
    }

    public async Task<Outcome<CreditDecision>> Apply(string operationId, CreditPolicy policy)
    {
        var lineId = Ids.CreditLine(SupplierId, policy.FunderId);
        if (S.Applications.TryGetValue(operationId, out var first))
            return Outcome<CreditDecision>.Ok(new CreditDecision(first.Approved, first.Reasons, first.Score,
                first.Approved && S.Lines.ContainsKey(lineId) ? LineView(lineId) : null));

        var today = await clock.TodayAsync();
        Evaluate(today);
        var score = Profile.Score(today);
        var received = Profile.ReceivedInWindowFen(today);
        var figure = Profile.Figure(policy.LineShare, policy.MaxLimit.Fen, today);
        var reasons = new List<string>();
        if (score.Grade > policy.MinGrade)
        {
            reasons.Add($"grade {score.Grade} (score {score.Score}) is below the policy's minimum grade {policy.MinGrade}");
            reasons.AddRange(score.Factors.Where(f => f.Points < f.MaxPoints).OrderByDescending(f => f.MaxPoints - f.Points).ThenBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => $"{f.Name} is {f.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {f.Points} of {f.MaxPoints} points"));
        }
        if (figure <= 0)
            reasons.Add($"nothing was received in the last {scorecard.Rules.ReceiptWindowDays} days to lend against");
        foreach (var signal in S.Signals.Where(x => x.ClearedAt is null))
            reasons.Add($"an early-warning signal is open: {signal.Kind} ({signal.Id})");
        var approved = reasons.Count == 0;
        if (approved)
        {
            reasons.Add($"grade {score.Grade} (score {score.Score}) meets the policy's minimum grade {policy.MinGrade}");
            reasons.Add($"limit {new Money(figure)}: {policy.LineShare:0.####} of {new Money(received)} received in the last {scorecard.Rules.ReceiptWindowDays} days" +
                        (figure == policy.MaxLimit.Fen ? $", at most the policy's maximum {policy.MaxLimit}" : ""));
            var line = S.Lines.TryGetValue(lineId, out var known) ? known : S.Lines[lineId] = new LineState { FunderId = policy.FunderId };
            line.PolicyId = policy.Id;
            line.LimitFen = figure;
            line.Grade = score.Grade;
            line.AnnualRate = policy.RatesByGrade[score.Grade];
            line.ExpiresOn = today.AddDays(scorecard.Rules.LineValidityDays);
            line.MaxTermDays = policy.MaxTermDays;
            line.MinGrade = policy.MinGrade;
            line.LineShare = policy.LineShare;
            line.MaxLimitFen = policy.MaxLimit.Fen;
            line.RatesByGrade = policy.RatesByGrade.ToDictionary(r => r.Key, r => r.Value);
        }
        else if (S.Lines.TryGetValue(lineId, out var existing))
            existing.LimitFen = Math.Min(existing.LimitFen, CreditProfile.UsedFen(existing)); // declined again: no new draws
        if (!S.AskedBy.Contains(policy.FunderId)) S.AskedBy.Add(policy.FunderId);
        S.Applications[operationId] = new ApplicationState { FunderId = policy.FunderId, Approved = approved, Reasons = reasons, Score = score };
        await Write();
        return Outcome<CreditDecision>.Ok(new CreditDecision(approved, reasons, score, approved ? LineView(lineId) : null));
    }

    public async Task<Outcome<CreditLine>> GetLine(Caller caller, string lineId)
    {
        if (await LineOrReload(lineId) is not { } line) return Fault.NotFound("Credit line");
        var visible = caller.Role switch
        {
            Role.Operator => true,
            Role.Risk => caller.FunderScope is null || caller.FunderScope == line.FunderId,
            _ => caller.Id == SupplierId || caller.Id == line.FunderId,
        };
        return visible ? Outcome<CreditLine>.Ok(LineView(lineId)) : Fault.NotFound("Credit line");
    }

    /// <summary>An activation that does not know the line reads storage again before saying so: it may be a stale one.</summary>
    private async Task<LineState?> LineOrReload(string lineId)
    {
        if (S.Lines.TryGetValue(lineId, out var line)) return line;
        await state.ReadStateAsync();
        return S.Lines.GetValueOrDefault(lineId);
    }

    public async Task Observe(IReadOnlyList<ExposureEvent> events)
    {
        var today = await clock.TodayAsync();
        var profile = Profile;
        var changed = false;
        var grow = false;
        foreach (var e in events)
        {
            if (S.Seen.ContainsKey(e.Id)) continue;
            S.Seen[e.Id] = today; // dated by when it was applied: it is forgotten only long after any re-delivery
            changed = true;
            if (CreditProfile.IsGuaranteeCall(e) && e.ObligorId == SupplierId)
                profile.ApplyCallEvent(e);
            else if (Ids.IsLoan(e.InstrumentId) && e.ObligorId == SupplierId)
            {
                var (becameOverdue, repaidOnTime) = profile.ApplyLoanEvent(e, today);
                if (becameOverdue) CutLinesToDrawn();
                grow |= repaidOnTime;
            }
            else if (profile.IsReceipt(e))
                profile.AddReceipt(e.Id, e.ObligorId, e.After!.AmountFen, e.On ?? today);
        }
        if (!changed) return;
        if (grow) GrowLines(today);
        Evaluate(today);
        await Write();
    }

    public async Task RecordReceipt(Receipt receipt)
    {
        if (S.Receipts.TryGetValue(receipt.Id, out var known) ? known.AmountFen == receipt.Amount.Fen : receipt.Amount.Fen == 0) return;
        Profile.AddReceipt(receipt.Id, receipt.CoreId, receipt.Amount.Fen, receipt.On);
        Evaluate(await clock.TodayAsync());
        await Write();
    }

    public async Task Reevaluate()
    {
        var today = await clock.TodayAsync();
        var cores = Profile.CoresSoldTo(today);
        var troubled = new Dictionary<string, CoreStanding>();
        foreach (var core in cores)
        {
            var buckets = await exposures.BucketsAsync(obligorId: core);
            var overdue = buckets.Where(b => b.Status == "overdue").Sum(b => (long)(b.Amount * 100));
            var defaulted = buckets.Where(b => b.Status == "defaulted").Sum(b => (long)(b.Amount * 100));
            if (overdue > 0 || defaulted > 0) troubled[core] = new CoreStanding { OverdueFen = overdue, DefaultedFen = defaulted };
        }
        var standingChanged = troubled.Count != S.TroubledCores.Count ||
                              troubled.Any(t => !S.TroubledCores.TryGetValue(t.Key, out var was) || was.OverdueFen != t.Value.OverdueFen || was.DefaultedFen != t.Value.DefaultedFen);
        if (standingChanged) S.TroubledCores = troubled;
        var changed = Evaluate(today) | standingChanged;
        if (changed || !state.RecordExists) await Write();
        else await FollowUp();
    }

    public async Task<Outcome<DrawTerms>> ReserveDraw(DrawRequest request)
    {
        var lineId = Ids.CreditLine(SupplierId, request.FunderId ?? "");
        if (request.BorrowerId != SupplierId || await LineOrReload(lineId) is not { } line) return Fault.NotFound("Credit line");
        var book = new ReservationBook(line.Draws);
        var terms = new DrawTerms(request.Today.AddDays(request.TermDays ?? 0), line.FunderId, line.AnnualRate);
        switch (book.AlreadyReserved(request.LoanId, EntityRef.Loan(request.LoanId), request.Amount.Fen, request.BorrowerId))
        {
            case true: return Outcome<DrawTerms>.Ok(terms);
            case false: return Fault.Conflict("This loan is already reserved on the line with other terms.");
        }
        if (request.TermDays is not { } term || term < 1 || term > line.MaxTermDays)
            return Fault.Validation("termDays", $"must be from 1 to {line.MaxTermDays}, the policy's longest term");
        if (Evaluate(request.Today)) await Write(); // a signal the date raises is stored before it refuses anything
        if (Suspended)
            return Fault.InvalidState("The line is suspended while an early-warning signal is open on the supplier: " +
                                      string.Join("; ", S.Signals.Where(x => x.ClearedAt is null).Select(x => $"{x.Kind} ({x.Id})")) + ".");
        if (request.Today > line.ExpiresOn) return Fault.InvalidState($"The line expired on {line.ExpiresOn:yyyy-MM-dd}; apply again to renew it.");
        var used = CreditProfile.UsedFen(line);
        if (used + request.Amount.Fen > line.LimitFen)
            return new Fault(FaultCodes.InsufficientLimit, 409,
                $"The line's room is {new Money(Math.Max(0, line.LimitFen - used))} (limit {new Money(line.LimitFen)}, drawn {new Money(used)}).", "amount");
        book.Reserve(request.LoanId, EntityRef.Loan(request.LoanId), request.Amount.Fen, time.UtcNow, request.BorrowerId);
        await Write();
        EnsureSweeps();
        return Outcome<DrawTerms>.Ok(terms);
    }

    public Task Commit(string item) => OnDraw(item, book => book.Commit(item));

    public Task Release(string item) => OnDraw(item, book => book.Release(item));

    public Task Close(string item) => OnDraw(item, book => book.Close(item));

    public Task SetAmount(string item, Money amount, long version) => OnDraw(item, book => book.SetAmount(item, amount.Fen, version));

    private Task OnDraw(string item, Func<ReservationBook, bool> change)
    {
        var line = S.Lines.Values.FirstOrDefault(l => l.Draws.ContainsKey(item));
        return line is not null && change(new ReservationBook(line.Draws)) ? Write() : Task.CompletedTask;
    }

    /// <summary>An overdue loan cuts every line to what is drawn: no new draws.</summary>
    private void CutLinesToDrawn()
    {
        foreach (var line in S.Lines.Values) line.LimitFen = Math.Min(line.LimitFen, CreditProfile.UsedFen(line));
    }

    /// <summary>A loan repaid in full on time: re-scored, each line whose policy the grade still meets grows to the new figure, up to its maximum.</summary>
    private void GrowLines(DateOnly today)
    {
        var score = Profile.Score(today);
        foreach (var line in S.Lines.Values.Where(l => score.Grade <= l.MinGrade))
        {
            var figure = Profile.Figure(line.LineShare, line.MaxLimitFen, today);
            if (figure > line.LimitFen) line.LimitFen = figure;
            line.Grade = score.Grade;
            if (line.RatesByGrade.TryGetValue(score.Grade, out var rate)) line.AnnualRate = rate;
        }
    }

    /// <summary>
    /// Raises a signal for each condition that holds and has none open, clears each open one whose condition ended; ages
    /// out old receipts. Returns whether anything changed (worth a write).
    /// </summary>
    private bool Evaluate(DateOnly today)
    {
        var changed = S.EvaluatedOn != today;
        S.EvaluatedOn = today;
        Profile.AgeOut(today);
        var conditions = Profile.Conditions(today).ToDictionary(c => c.Key, StringComparer.Ordinal);
        var now = time.UtcNow;
        foreach (var open in S.Signals.Where(x => x.ClearedAt is null && !conditions.ContainsKey(x.Key)))
        {
            open.ClearedAt = now;
            open.Projected = false;
            changed = true;
        }
        foreach (var c in conditions.Values.Where(c => !S.Signals.Any(x => x.ClearedAt is null && x.Key == c.Key)))
        {
            var id = "sg" + Ids.Derive("signal", $"{SupplierId}|{++S.SignalsRaised}");
            S.Signals.Add(new SignalState { Id = id, Key = c.Key, Kind = c.Kind, Evidence = c.Evidence, RaisedAt = now });
            var detail = $"Early warning on supplier {SupplierId}: {c.Description}. Its credit lines' undrawn room is suspended until this clears.";
            S.PendingAlerts.Add(new PendingAlert($"signal:{id}", "early_warning", id, null, SupplierId, detail, now));
            foreach (var funder in S.Lines.Values.Select(l => l.FunderId).Distinct())
                S.PendingAlerts.Add(new PendingAlert($"signal:{id}:{funder}", "early_warning", id, funder, SupplierId, detail, now));
            changed = true;
        }
        return changed;
    }

    /// <summary>One fenced write; then the alerts it raised and the read model go out.</summary>
    private async Task Write()
    {
        await state.WriteOrDeactivateAsync(this);
        await FollowUp();
    }

    private Task FollowUp() => StateWrites.FollowUpAsync(S.PendingAlerts, alerts, Project, logger, $"Credit of {SupplierId}");

    private async Task Project()
    {
        if (!state.RecordExists) return;
        var score = Profile.Score(S.EvaluatedOn);
        var toProject = S.Signals.Where(x => !x.Projected).ToList();
        var newCores = S.Receipts.Values.Select(r => r.CoreId).Where(c => !_relationsProjected.Contains(c)).Distinct().ToList();
        var written = await index.ProjectAsync(new CreditProjection(SupplierId, score.Score, score.Grade.ToString(), S.Signals.Count(x => x.ClearedAt is null), S.EvaluatedOn,
            state.StoredVersion(), newCores,
            S.Lines.Keys.Select(id => LineView(id)).Select(l => new IndexedCreditLine(l.Id, l.SupplierId, l.FunderId, l.Limit.Yuan, l.Used.Yuan, l.AnnualRate,
                l.Grade.ToString(), l.ExpiresOn, l.Status.ToString().ToLowerInvariant())).ToList(),
            toProject.Select(x => new SignalRow(0, x.Id, SupplierId, x.Kind, x.Evidence, x.RaisedAt, x.ClearedAt)).ToList()));
        foreach (var x in toProject) x.Projected = true;
        if (written) _relationsProjected.UnionWith(newCores);
        // A cleared signal whose clearing the read model holds has nothing left to do here (the next write drops it).
        S.Signals.RemoveAll(x => x.ClearedAt is not null && x.Projected);
    }

    private CreditLine LineView(string lineId)
    {
        var line = S.Lines[lineId];
        var open = S.Signals.Where(x => x.ClearedAt is null).Select(x => new CreditSignal(x.Id, SupplierId, x.Kind, x.Evidence, x.RaisedAt, null)).ToList();
        return new CreditLine(lineId, line.FunderId, SupplierId, new Money(line.LimitFen), new Money(CreditProfile.UsedFen(line)), line.AnnualRate, line.Grade,
            line.ExpiresOn, line.MaxTermDays, open.Count > 0 ? LineStatus.Suspended : LineStatus.Active, open);
    }

    /// <summary>The supplier itself, funders it applied to, operators and risk staff.</summary>
    private bool CanSeeScore(Caller caller) => caller.Role switch
    {
        Role.Operator or Role.Risk => true,
        Role.Funder => S.AskedBy.Contains(caller.Id),
        _ => caller.Id == SupplierId,
    };

    private void EnsureSweeps()
    {
        foreach (var lineId in S.Lines.Keys)
        {
            if (!_sweeps.TryGetValue(lineId, out var sweep))
                _sweeps[lineId] = sweep = new ReservationSweep(this, GrainFactory, EntityRef.CreditLine(lineId), rules.Value.ReservationTimeout, () => time.UtcNow);
            // Looked up on every tick: a re-read of storage replaces the state's objects.
            sweep.Ensure(() => S.Lines.TryGetValue(lineId, out var line) ? new ReservationBook(line.Draws).Open : []);
        }
    }
}
