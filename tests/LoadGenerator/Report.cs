using System.Globalization;

namespace SupplyChain.LoadGenerator;

/// <summary>The table at the end: per operation count, errors, throughput and exact latency percentiles.</summary>
public static class Report
{
    public static int Print(IReadOnlyList<Recorder> recorders, TimeSpan elapsed, int clients, int completedWorkflows, string[] operations)
    {
        var seconds = elapsed.TotalSeconds;
        var all = new List<Sample>();
        Console.WriteLine($"{"operation",-16}{"count",9}{"errors",8}{"5xx",6}{"ops/s",10}{"p50 ms",9}{"p99 ms",9}{"max ms",9}");
        foreach (var operation in operations)
        {
            var samples = recorders.SelectMany(r => r.Samples.GetValueOrDefault(operation) ?? []).ToList();
            all.AddRange(samples);
            Line(operation, samples, seconds);
        }
        Line("all", all, seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients, {seconds:F1} s measured: {all.Count / seconds:F1} ops/s overall, {completedWorkflows / seconds:F1} complete workflows/s"));

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

    private static void Line(string name, List<Sample> samples, double seconds)
    {
        var sorted = samples.Select(s => s.Milliseconds).ToArray();
        Array.Sort(sorted);
        var errors = samples.Count(s => !IsSuccess(s));
        var serverErrors = samples.Count(s => s.Status >= 500);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-16}{samples.Count,9}{errors,8}{serverErrors,6}{samples.Count / seconds,10:F1}{Percentile(sorted, 50),9:F1}{Percentile(sorted, 99),9:F1}{(sorted.Length == 0 ? double.NaN : sorted[^1]),9:F1}"));
    }

    /// <summary>Throughput and median by time slice: shows whether the system slows down as the run goes on.</summary>
    private static void Slices(List<Sample> all, double seconds)
    {
        const int count = 10;
        var width = seconds / count;
        var slices = all.GroupBy(s => Math.Min(count - 1, (int)(s.EndedAt / width))).ToDictionary(g => g.Key, g => g.ToList());
        var rate = new List<string>();
        var median = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var slice = slices.GetValueOrDefault(i) ?? [];
            var sorted = slice.Select(s => s.Milliseconds).ToArray();
            Array.Sort(sorted);
            rate.Add((slice.Count / width).ToString("F0", CultureInfo.InvariantCulture));
            median.Add(Percentile(sorted, 50).ToString("F1", CultureInfo.InvariantCulture));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"by {width:F1} s slice, ops/s: {string.Join(' ', rate)}"));
        Console.WriteLine($"by slice, p50 ms:  {string.Join(' ', median)}");
    }

    /// <summary>Nearest-rank percentile of sorted samples: the smallest sample with at least p% of all samples at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static bool IsSuccess(Sample s) => s.Status is >= 200 and < 300;
}
