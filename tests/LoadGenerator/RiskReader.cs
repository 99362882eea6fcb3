using System.Diagnostics;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// Risk staff watching while the split clients run: one reader, one query after another (the exposure ranking, the core's
/// exposure detail, the core's chain), recorded apart from the splits so the split figures stay those of the splits.
/// </summary>
public static class RiskReader
{
    public static readonly string[] Operations = ["risk exposures", "risk exposure detail", "risk chain"];

    /// <summary>A risk staff key, made by the operator (setup, not measured).</summary>
    public static async Task<Api> Staff(HttpClient http, Options options)
    {
        var made = await new Api(http, options.OperatorKey).Post("/v1/risk-staff", new { name = "split run risk desk" });
        if (!made.IsSuccess) throw new InvalidOperationException($"Creating risk staff answered {made.Status}: {made.Body}");
        return new Api(http, made.Json.GetProperty("apiKey").GetString()!);
    }

    public static async Task Run(Api staff, string coreId, Recorder recorder, Func<bool> mayContinue)
    {
        string[] paths = ["/v1/risk/exposures?by=obligor&top=10", $"/v1/risk/exposures/obligor/{coreId}", $"/v1/risk/chains/{coreId}"];
        for (var i = 0; mayContinue(); i = (i + 1) % paths.Length)
        {
            var path = paths[i];
            await staff.Timed(recorder, Operations[i], a => a.Get(path));
        }
    }

    /// <summary>The readers' figures under <c>risk_queries</c>: each query and all of them together.</summary>
    public static void Write(System.Text.Json.Utf8JsonWriter json, Recorder recorder, TimeSpan elapsed)
    {
        var seconds = elapsed.Ticks / (decimal)TimeSpan.TicksPerSecond;
        json.WriteStartObject("risk_queries");
        foreach (var operation in Operations)
        {
            json.WritePropertyName(operation);
            Summary.WriteStats(json, Stats.Of(recorder.Samples.GetValueOrDefault(operation) ?? [], seconds));
        }
        json.WritePropertyName("all");
        Summary.WriteStats(json, Stats.Of(recorder.Samples.Values.SelectMany(s => s).ToList(), seconds));
        json.WriteEndObject();
    }

    public static void Print(Recorder recorder)
    {
        var all = recorder.Samples.Values.SelectMany(s => s).ToList();
        var sorted = Report.Sorted(all);
        Console.WriteLine($"risk reader: {all.Count} queries, {all.Count(s => !Report.IsSuccess(s))} errors, " +
            $"p50 {Report.Percentile(sorted, 50):F1} ms, p99 {Report.Percentile(sorted, 99):F1} ms");
    }
}
