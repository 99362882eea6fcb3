using System.Diagnostics;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// <c>--workflow split</c>: setup (not measured), warm-up splits (not measured), the measured run with every client
/// on the shared queue, the table, and a check of the sums of a few trees.
/// </summary>
public static class SplitRun
{
    /// <summary>How many trees the check after the run reads (each read returns the whole tree).</summary>
    private const int CheckedTrees = 4;

    /// <summary>The warm-up gives up after this long (e.g. when every split fails).</summary>
    private static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(60);

    public static async Task<int> Run(HttpClient http, Options options)
    {
        var setupClock = Stopwatch.StartNew();
        var cast = await SplitCast.Create(http, options, options.Trees);
        Console.WriteLine($"setup: 1 core, {cast.Holders.Count} holder(s), {cast.Roots.Count} accepted voucher(s) of {Fen.Yuan(cast.Roots[0].AmountFen)} in {setupClock.Elapsed.TotalSeconds:F1} s");

        var riskStaff = await RiskReader.Staff(http, options);
        var work = new SplitWorkflow(cast.Roots);
        var clients = Enumerable.Range(0, options.Clients).ToArray();

        // Warm-up, not measured: JIT-compiles both sides and activates the first trees.
        var warmups = clients.Select(_ => new Recorder(Stopwatch.GetTimestamp())).ToArray();
        using (var warmupStop = new CancellationTokenSource(WarmupLimit))
        {
            await Task.WhenAll(clients.Select(i =>
                work.Client(warmups[i], () => warmups[i].Operations < options.WarmupWorkflows, warmupStop.Token)));
        }
        var warmupErrors = warmups.SelectMany(r => r.Samples.Values).SelectMany(s => s).Count(s => !Report.IsSuccess(s));
        if (warmupErrors > 0) Console.WriteLine($"warm-up: {warmupErrors} errors (not in the table below)");
        var splitsBefore = work.Splits;

        await Hook.Run(options.Hook, "start");
        var origin = Stopwatch.GetTimestamp();
        var progress = new Progress(SplitWorkflow.Split, origin);
        var recorders = clients.Select(_ => new Recorder(origin, progress)).ToArray();
        var deadline = options.Seconds is { } s ? TimeSpan.FromSeconds(s) : TimeSpan.MaxValue;
        var opsLimit = options.OpsPerClient ?? int.MaxValue;
        // Cancels the wait of a client whose queue is empty when the time is up.
        using var stop = options.Seconds is { } limit ? new CancellationTokenSource(TimeSpan.FromSeconds(limit)) : new CancellationTokenSource();
        using var progressStop = new CancellationTokenSource();
        var reporting = progress.RunAsync(progressStop.Token);
        var splitting = Task.WhenAll(clients.Select(i =>
        {
            var recorder = recorders[i];
            bool MayContinue() => Stopwatch.GetElapsedTime(origin) < deadline && recorder.Operations < opsLimit;
            return work.Client(recorder, MayContinue, stop.Token);
        }));
        var riskRecorder = new Recorder(origin);
        var reading = RiskReader.Run(riskStaff, cast.Core.Id, riskRecorder, () => !splitting.IsCompleted);
        await splitting;
        await reading;
        var elapsed = Stopwatch.GetElapsedTime(origin);
        await progressStop.CancelAsync();
        await reporting;
        await Hook.Run(options.Hook, "stop");

        var errors = Report.Print(recorders, elapsed, options.Clients, null, SplitWorkflow.Operations);
        var splits = work.Splits - splitsBefore;
        Console.WriteLine($"split: {options.Trees} trees, {splits:N0} splits confirmed in the measured run, {work.Queued:N0} live fragments queued, " +
            $"{work.Failed:N0} dropped after a failed split, {work.TooSmall:N0} too small to halve");

        RiskReader.Print(riskRecorder);

        var failedChecks = await Checks.Trees(cast.Core.Api, cast.Roots.Take(CheckedTrees).ToList());
        if (options.JsonPath is { } path)
        {
            Summary.Write(path, options, elapsed, recorders, SplitWorkflow.Operations, failedChecks, json =>
            {
                json.WriteNumber("splits", splits);
                json.WriteNumber("live_fragments_queued", work.Queued);
                json.WriteNumber("dropped_failed", work.Failed);
                json.WriteNumber("dropped_too_small", work.TooSmall);
                json.WriteNumber("warmup_errors", warmupErrors);
                RiskReader.Write(json, riskRecorder, elapsed);
            });
        }
        return errors == 0 && failedChecks == 0 ? 0 : 1;
    }
}
