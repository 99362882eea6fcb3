using System.Text.Json;

namespace SupplyChain.LoadGenerator;

/// <summary>
/// The run as JSON (<c>--json FILE</c>) for scripts: the same figures as the table, per operation and in total.
/// Every number is written from a decimal (milliseconds to the microsecond, rates to the hundredth), so what the
/// file says is what the table says.
/// </summary>
public static class Summary
{
    /// <summary>Writes the summary; <paramref name="extra"/> adds workflow-specific members to the top-level object.</summary>
    public static void Write(string path, Options options, TimeSpan elapsed, IReadOnlyList<Recorder> recorders,
        string[] operations, int failedChecks, Action<Utf8JsonWriter>? extra = null)
    {
        var seconds = elapsed.Ticks / (decimal)TimeSpan.TicksPerSecond;
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("workflow", options.WorkflowName);
        json.WriteNumber("clients", options.Clients);
        if (options.WorkflowName == WorkflowNames.Split) json.WriteNumber("trees", options.Trees);
        json.WriteNumber("amount", Fen.Yuan(Fen.Of(options.VoucherAmount)));
        json.WriteNumber("seconds", decimal.Round(seconds, 3));

        var all = new List<Sample>();
        json.WriteStartObject("operations");
        foreach (var operation in operations)
        {
            var samples = recorders.SelectMany(r => r.Samples.GetValueOrDefault(operation) ?? []).ToList();
            all.AddRange(samples);
            json.WritePropertyName(operation);
            WriteStats(json, Stats.Of(samples, seconds));
        }
        json.WriteEndObject();
        json.WritePropertyName("totals");
        WriteStats(json, Stats.Of(all, seconds));
        json.WriteNumber("checks_failed", failedChecks);
        extra?.Invoke(json);
        json.WriteEndObject();
    }

    public static void WriteStats(Utf8JsonWriter json, Stats s)
    {
        json.WriteStartObject();
        json.WriteNumber("count", s.Count);
        json.WriteNumber("errors", s.Errors);
        json.WriteNumber("server_errors", s.ServerErrors);
        json.WriteNumber("ops_per_s", decimal.Round(s.PerSecond, 2));
        json.WriteNumber("ok_per_s", decimal.Round(s.OkPerSecond, 2));
        Ms(json, "p50_ms", s.P50);
        Ms(json, "p99_ms", s.P99);
        Ms(json, "max_ms", s.Max);
        json.WriteEndObject();
    }

    /// <summary>Milliseconds to the microsecond, or null when there was no sample.</summary>
    public static void Ms(Utf8JsonWriter json, string name, decimal? ms)
    {
        if (ms is { } v) json.WriteNumber(name, decimal.Round(v, 3));
        else json.WriteNull(name);
    }
}
