using System.Diagnostics;
using System.Globalization;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// <c>--workflow tree-growth</c>: does a split get slower as its tree grows? One client, one tree: split the root,
/// then keep splitting the newest of the largest live fragments until the tree holds <c>--fragments</c> fragments
/// (each split adds two; split parents stay in the tree). Each split's latency is kept with the tree's size when
/// it was sent; the report compares the first 100 splits with the last 100. Before that, unmeasured, the same
/// growth on a separate warm-up tree (100 splits per <c>--warmup</c>) so that JIT warm-up does not flatter the end.
/// </summary>
public static class TreeGrowth
{
    /// <summary>How many splits the first and last figures each cover.</summary>
    private const int Window = 100;

    /// <summary>The growth stops after this many failed splits in a row.</summary>
    private const int MaxConsecutiveFailures = 10;

    public static async Task<int> Run(HttpClient http, Options options)
    {
        var setupClock = Stopwatch.StartNew();
        var cast = await SplitCast.Create(http, options, options.WarmupWorkflows > 0 ? 2 : 1);
        var root = cast.Roots[^1];
        Console.WriteLine($"setup: 1 core, 1 holder, {cast.Roots.Count} accepted voucher(s) of {Fen.Yuan(root.AmountFen)} in {setupClock.Elapsed.TotalSeconds:F1} s");

        if (cast.Roots.Count > 1)
        {
            var warmup = new Recorder(Stopwatch.GetTimestamp());
            await Grow(cast.Roots[0], 1 + 2 * Window * options.WarmupWorkflows, warmup, []);
            var warmupErrors = warmup.Samples.Values.SelectMany(s => s).Count(s => !Report.IsSuccess(s));
            if (warmupErrors > 0) Console.WriteLine($"warm-up: {warmupErrors} errors (not in the table below)");
        }
        // On its own line for scripts: the stored state of this tree is what a benchmark measures afterwards.
        Console.WriteLine($"tree-growth root: {root.Id}");

        await Hook.Run(options.Hook, "start");
        var origin = Stopwatch.GetTimestamp();
        var progress = new Progress(SplitWorkflow.Split, origin);
        var recorder = new Recorder(origin, progress);
        var sizes = new List<int>(options.Fragments / 2 + 1);
        using var progressStop = new CancellationTokenSource();
        var reporting = progress.RunAsync(progressStop.Token);
        var fragments = await Grow(root, options.Fragments, recorder, sizes);
        var elapsed = Stopwatch.GetElapsedTime(origin);
        await progressStop.CancelAsync();
        await reporting;
        await Hook.Run(options.Hook, "stop");

        var errors = Report.Print([recorder], elapsed, 1, null, SplitWorkflow.Operations);
        var samples = recorder.Samples.GetValueOrDefault(SplitWorkflow.Split) ?? [];
        var first = Figures.Of(samples, sizes, 0);
        var last = Figures.Of(samples, sizes, Math.Max(0, samples.Count - Window));
        Console.WriteLine($"tree-growth: {samples.Count:N0} splits grew the tree to {fragments:N0} fragments");
        Console.WriteLine($"first {first.Count} splits (tree of {first.From:N0}–{first.To:N0} fragments): {first}");
        Console.WriteLine($"last {last.Count} splits (tree of {last.From:N0}–{last.To:N0} fragments): {last}");
        var p50Ratio = Ratio(last.P50, first.P50);
        var meanRatio = Ratio(last.Mean, first.Mean);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"last ÷ first: p50 {p50Ratio:F2}x, mean {meanRatio:F2}x"));

        var failedChecks = await Checks.Trees(cast.Core.Api, [root]);
        if (options.JsonPath is { } path)
        {
            Summary.Write(path, options, elapsed, [recorder], SplitWorkflow.Operations, failedChecks, json =>
            {
                json.WriteStartObject("tree_growth");
                json.WriteString("root", root.Id);
                json.WriteNumber("fragments", fragments);
                json.WriteNumber("splits", samples.Count);
                first.Write(json, "first");
                last.Write(json, "last");
                WriteRatio(json, "p50_ratio", p50Ratio);
                WriteRatio(json, "mean_ratio", meanRatio);
                json.WriteEndObject();
            });
        }
        return errors == 0 && failedChecks == 0 ? 0 : 1;
    }

    /// <summary>
    /// Splits the largest live fragment (the newest among equals) until the tree holds <paramref name="target"/>
    /// fragments; records each split with the tree's size when it was sent. Returns the tree's size at the end.
    /// </summary>
    private static async Task<int> Grow(Fragment root, int target, Recorder recorder, List<int> sizes)
    {
        // Largest amount first, then the highest sequence number (the newest).
        var live = new PriorityQueue<Fragment, (long Fen, long Sequence)>(
            Comparer<(long Fen, long Sequence)>.Create((a, b) => b.CompareTo(a)));
        long sequence = 0;
        live.Enqueue(root, (root.AmountFen, sequence++));
        var size = 1;
        var failures = 0;
        while (size < target && failures < MaxConsecutiveFailures && live.TryDequeue(out var fragment, out _))
        {
            if (fragment.AmountFen < 2) continue;
            var first = fragment.AmountFen / 2;
            var second = fragment.AmountFen - first;
            sizes.Add(size);
            var reply = await fragment.Holder.Api.Timed(recorder, SplitWorkflow.Split, a => a.Post($"/v1/vouchers/{fragment.Id}/split",
                new { amounts = new[] { Fen.Yuan(first), Fen.Yuan(second) } }));
            if (!reply.IsSuccess)
            {
                failures++;
                continue;
            }
            failures = 0;
            foreach (var child in reply.Json.GetProperty("children").EnumerateArray())
            {
                var amount = Fen.Of(child.GetProperty("amount").GetDecimal());
                live.Enqueue(new Fragment(child.GetProperty("id").GetString()!, amount, fragment.Holder), (amount, sequence++));
                size++;
            }
        }
        if (failures >= MaxConsecutiveFailures) Console.WriteLine($"tree-growth: stopped after {failures} failed splits in a row");
        return size;
    }

    private static decimal? Ratio(decimal? last, decimal? first) =>
        last is { } l && first is { } f && f > 0 ? decimal.Round(l / f, 2) : null;

    private static void WriteRatio(System.Text.Json.Utf8JsonWriter json, string name, decimal? ratio)
    {
        if (ratio is { } r) json.WriteNumber(name, r);
        else json.WriteNull(name);
    }

    /// <summary>Up to 100 consecutive splits from <c>start</c>: how many, the tree sizes they saw, p50 and mean.</summary>
    private sealed record Figures(int Count, int From, int To, decimal? P50, decimal? Mean)
    {
        public static Figures Of(List<Sample> samples, List<int> sizes, int start)
        {
            var window = samples.Skip(start).Take(Window).ToList();
            if (window.Count == 0) return new Figures(0, 0, 0, null, null);
            var sorted = Report.Sorted(window);
            return new Figures(window.Count, sizes[start], sizes[start + window.Count - 1], Report.Percentile(sorted, 50),
                sorted.Sum() / sorted.Length);
        }

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"p50 {P50:F2} ms, mean {Mean:F2} ms");

        public void Write(System.Text.Json.Utf8JsonWriter json, string name)
        {
            json.WriteStartObject(name);
            json.WriteNumber("count", Count);
            json.WriteNumber("tree_size_from", From);
            json.WriteNumber("tree_size_to", To);
            Summary.Ms(json, "p50_ms", P50);
            Summary.Ms(json, "mean_ms", Mean);
            json.WriteEndObject();
        }
    }
}
