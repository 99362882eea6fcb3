using System.Globalization;

namespace SupplyChain.LoadGenerator;

/// <summary>The table at the end: per operation count, errors, throughput and exact latency percentiles.</summary>
public static class Report
{
    /// <summary>Prints the table; <paramref name="completedWorkflows"/> is null for workflows that are single operations.</summary>
    public static int Print(IReadOnlyList<Recorder> recorders, TimeSpan elapsed, int clients, int? completedWorkflows, string[] operations)
    {
        var seconds = elapsed.Ticks / (decimal)TimeSpan.TicksPerSecond;
        var all = new List<Sample>();
        Console.WriteLine($"{"operation",-16}{"count",9}{"errors",8}{"5xx",6}{"ops/s",10}{"p50 ms",9}{"p99 ms",9}{"max ms",9}");
        foreach (var operation in operations)
        {
            var samples = recorders.SelectMany(r => r.Samples.GetValueOrDefault(operation) ?? []).ToList();
            all.AddRange(samples);
            Line(operation, samples, seconds);
        }
        Line("all", all, seconds);
        var workflows = completedWorkflows is { } done
            ? string.Create(CultureInfo.InvariantCulture, $", {done / seconds:F1} complete workflows/s")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients, {seconds:F1} s measured: {all.Count / seconds:F1} ops/s overall{workflows}"));

        Slices(all, seconds);

        var errors = recorders.SelectMany(r => r.ErrorBodies)
            .GroupBy(e => e.Key, e => e.Value)
            .OrderBy(g => Array.IndexOf(operations, g.Key.Operation)).ThenBy(g => g.Key.Status)
            .ToList();
        foreach (var group in errors)
        {
            var count = recorders.Sum(r => r.Samples.GetValueOrDefault(group.Key.Operation)?.Count(s => s.Status == group.Key.Status) ?? 0);
            Console.WriteLine($"errors: {group.Key.Operation} answered {(group.Key.Status == 0 ? "no response" : group.Key.Status)} {count} times, e.g.:");
            foreach (var body in group.SelectMany(b => b).Take(3)) Console.WriteLine($"    {body}");
        }
        return all.Count(s => !IsSuccess(s));
    }

    private static void Line(string name, List<Sample> samples, decimal seconds)
    {
        var s = Stats.Of(samples, seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-16}{s.Count,9}{s.Errors,8}{s.ServerErrors,6}{s.PerSecond,10:F1}{Ms(s.P50),9}{Ms(s.P99),9}{Ms(s.Max),9}"));
    }

    /// <summary>Throughput and median by time slice: shows whether the system slows down as the run goes on.</summary>
    private static void Slices(List<Sample> all, decimal seconds)
    {
        const int count = 10;
        var width = seconds / count;
        var widthTicks = Math.Max(1, (long)(width * System.Diagnostics.Stopwatch.Frequency));
        var slices = all.GroupBy(s => (int)Math.Min(count - 1, s.EndedTicks / widthTicks)).ToDictionary(g => g.Key, g => g.ToList());
        var rate = new List<string>();
        var median = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var slice = slices.GetValueOrDefault(i) ?? [];
            rate.Add((slice.Count / width).ToString("F0", CultureInfo.InvariantCulture));
            median.Add(Ms(Percentile(Sorted(slice), 50)));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"by {width:F1} s slice, ops/s: {string.Join(' ', rate)}"));
        Console.WriteLine($"by slice, p50 ms:  {string.Join(' ', median)}");
    }

    public static decimal[] Sorted(IEnumerable<Sample> samples)
    {
        var sorted = samples.Select(s => s.Milliseconds).ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static string Ms(decimal? ms) => ms is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    /// <summary>Nearest-rank percentile of sorted samples: the smallest sample with at least p% of all samples at or below it.</summary>
    public static decimal? Percentile(decimal[] sorted, int p)
    {
        if (sorted.Length == 0) return null;
        var rank = (int)Math.Ceiling(p * sorted.Length / 100m);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public static bool IsSuccess(Sample s) => s.Status is >= 200 and < 300;
}

/// <summary>
/// The figures of one operation (or of all): answered calls, errors (non-2xx or no answer), 5xx, calls per second
/// (errors included, as in the table), successful calls per second, and nearest-rank latencies in milliseconds.
/// </summary>
public sealed record Stats(int Count, int Errors, int ServerErrors, decimal PerSecond, decimal OkPerSecond, decimal? P50, decimal? P99, decimal? Max)
{
    public static Stats Of(IReadOnlyCollection<Sample> samples, decimal seconds)
    {
        var sorted = Report.Sorted(samples);
        var errors = samples.Count(s => !Report.IsSuccess(s));
        var perSecond = seconds > 0 ? samples.Count / seconds : 0m;
        var okPerSecond = seconds > 0 ? (samples.Count - errors) / seconds : 0m;
        return new Stats(samples.Count, errors, samples.Count(s => s.Status >= 500), perSecond, okPerSecond,
            Report.Percentile(sorted, 50), Report.Percentile(sorted, 99), sorted.Length == 0 ? null : sorted[^1]);
    }
}
