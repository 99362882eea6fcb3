using System.Diagnostics;
using SupplyChain.LoadGenerator;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients })
{
    BaseAddress = options.BaseUrl,
    Timeout = TimeSpan.FromSeconds(30),
};

var ready = await new Api(http, options.OperatorKey).Get("/health/ready");
if (ready.Status != 200)
{
    Console.Error.WriteLine($"{options.BaseUrl} is not ready: GET /health/ready answered {ready.Status} {ready.Body}");
    return 2;
}

// The split and score workloads have their own setup and runner; the loops below are the vouchers and lending workflows.
if (options.WorkflowName is WorkflowNames.Split or WorkflowNames.TreeGrowth or WorkflowNames.Scores)
{
    try
    {
        return options.WorkflowName switch
        {
            WorkflowNames.Split => await SplitRun.Run(http, options),
            WorkflowNames.Scores => await ScoresRun.Run(http, options),
            _ => await TreeGrowth.Run(http, options),
        };
    }
    catch (SetupException e)
    {
        Console.Error.WriteLine($"Setup failed: {e.Message}");
        return 2;
    }
}

Cast cast;
var setupClock = Stopwatch.StartNew();
try
{
    cast = await Cast.Create(http, options);
}
catch (SetupException e)
{
    Console.Error.WriteLine($"Setup failed: {e.Message}");
    return 2;
}
Console.WriteLine($"setup: {options.Cores} cores, {2 * options.Clients} suppliers, 1 funder, facilities and issuance limits in {setupClock.Elapsed.TotalSeconds:F1} s");

var maturity = cast.Today.AddDays(90);
IWorkflow[] workflows = options.Lending
    ? cast.Clients.Select(c => new LendingWorkflow(c, cast.Funder, cast.Today.AddDays(60), maturity, options.VoucherAmount)).ToArray<IWorkflow>()
    : cast.Clients.Select(c => new Workflow(c, cast.Funder, maturity, options.VoucherAmount)).ToArray<IWorkflow>();
var operations = options.Lending ? LendingWorkflow.Operations : Workflow.Operations;

// Warm-up, not measured: activates every grain the run touches and JIT-compiles both sides.
var warmups = workflows.Select(_ => new Recorder(Stopwatch.GetTimestamp())).ToArray();
await Task.WhenAll(workflows.Select(async (w, i) =>
{
    for (var n = 0; n < options.WarmupWorkflows; n++) await w.Round(warmups[i], () => true);
}));
var warmupErrors = warmups.SelectMany(r => r.Samples.Values).SelectMany(s => s).Count(s => s.Status is < 200 or >= 300);
if (warmupErrors > 0) Console.WriteLine($"warm-up: {warmupErrors} errors (not in the table below)");

await Hook.Run(options.Hook, "start");
var origin = Stopwatch.GetTimestamp();
var progress = new Progress("all", origin);
var recorders = workflows.Select(_ => new Recorder(origin, progress)).ToArray();
var deadline = options.Seconds is { } s ? TimeSpan.FromSeconds(s) : TimeSpan.MaxValue;
var opsLimit = options.OpsPerClient ?? int.MaxValue;
var completedBefore = workflows.Sum(w => w.Completed);
using var progressStop = new CancellationTokenSource();
var reporting = progress.RunAsync(progressStop.Token);
await Task.WhenAll(workflows.Select(async (w, i) =>
{
    var recorder = recorders[i];
    bool MayContinue() => Stopwatch.GetElapsedTime(origin) < deadline && recorder.Operations < opsLimit;
    while (MayContinue()) await w.Round(recorder, MayContinue);
}));
var elapsed = Stopwatch.GetElapsedTime(origin);
await progressStop.CancelAsync();
await reporting;
await Hook.Run(options.Hook, "stop");

var completed = workflows.Sum(w => w.Completed) - completedBefore;
var errors = Report.Print(recorders, elapsed, options.Clients, completed, operations);
var failedChecks = await Checks.Run(new Api(http, options.OperatorKey), cast, workflows);
if (options.JsonPath is { } jsonPath)
    Summary.Write(jsonPath, options, elapsed, recorders, operations, failedChecks, json => json.WriteNumber("completed_workflows", completed));
return errors == 0 && failedChecks == 0 ? 0 : 1;
