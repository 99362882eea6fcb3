using System.Diagnostics;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// <c>--workflow scores</c>: reading credit scores at scale. Setup (not measured): <c>--suppliers</c> suppliers, each with
/// an order from one of <c>--cores</c> cores (so each has a profile with something received). Then two measured parts:
/// the first read of every supplier's score in turn (the grain may have to be activated), and <c>--seconds</c> of every
/// client reading random suppliers' scores.
/// </summary>
public static class ScoresRun
{
    public const string First = "score-first", Read = "score";

    public static async Task<int> Run(HttpClient http, Options options)
    {
        var op = new Api(http, options.OperatorKey);
        var setupClock = Stopwatch.StartNew();
        var today = await Cast.PlatformToday(op);
        var run = Guid.NewGuid().ToString("N")[..8];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.Clients, 32) };
        var cores = new Party[options.Cores];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Cores), parallel, async (i, _) =>
            cores[i] = await Cast.Participant(http, op, "core", $"scores {run} core {i}"));
        var suppliers = new string[options.Suppliers];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Suppliers), parallel, async (i, _) =>
        {
            var supplier = await Cast.Participant(http, op, "supplier", $"scores {run} supplier {i}");
            Cast.Id(await cores[i % cores.Length].Api.Post("/v1/orders", new
            {
                supplierId = supplier.Id, amount = 10_000m + i % 90 * 1_000m, paymentDate = today.AddDays(60).ToString("yyyy-MM-dd"), reference = $"SC-{i}",
            }), "order");
            suppliers[i] = supplier.Id;
        });
        Console.WriteLine($"setup: {options.Cores} cores, {options.Suppliers} suppliers with an order each in {setupClock.Elapsed.TotalSeconds:F1} s");

        // The first read of each, one at a time per client. The hook may restart the silo first (bench/scores does), so
        // that every first read activates its grain from storage.
        await Hook.Run(options.Hook, "start");
        var origin = Stopwatch.GetTimestamp();
        var firsts = Enumerable.Range(0, options.Clients).Select(_ => new Recorder(origin)).ToArray();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(async c =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < suppliers.Length)
                await op.Timed(firsts[c], First, api => api.Get($"/v1/credit/scores/{suppliers[i]}"));
        }));
        var firstElapsed = Stopwatch.GetElapsedTime(origin);
        var failures = Report.Print(firsts, firstElapsed, options.Clients, null, [First]);

        // Random reads for the measured seconds.
        origin = Stopwatch.GetTimestamp();
        var progress = new Progress(Read, origin);
        var recorders = Enumerable.Range(0, options.Clients).Select(_ => new Recorder(origin, progress)).ToArray();
        var deadline = TimeSpan.FromSeconds(options.Seconds ?? 20);
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(async c =>
        {
            var random = new Random(c);
            while (Stopwatch.GetElapsedTime(origin) < deadline)
                await op.Timed(recorders[c], Read, api => api.Get($"/v1/credit/scores/{suppliers[random.Next(suppliers.Length)]}"));
        }));
        await Hook.Run(options.Hook, "stop");
        failures += Report.Print(recorders, Stopwatch.GetElapsedTime(origin), options.Clients, null, [Read]);
        return failures == 0 ? 0 : 1;
    }
}
