using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Dapper;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Requests generated from the served OpenAPI document (every operation it lists), valid, at the boundaries and
/// malformed: real ids and ids of the wrong kind, empty, blank, too long and odd-Unicode ids; amounts of 0, negative,
/// 3 decimals, huge and as strings; dates that do not exist; wrong JSON types, unknown properties, broken JSON; every
/// role, no key and a wrong key; missing, over-long and reused Idempotency-Keys. For each one: no 5xx, a problem
/// document with a code on every 4xx, and neither a rejected request nor a read changes a business total (read models, positions,
/// alerts, keys, and the objects of the setup as the API shows them).
/// CsCheck drives it; a failure prints its seed: replay with SUPPLYCHAIN_FUZZ_SEED=&lt;seed&gt;. SUPPLYCHAIN_FUZZ_REQUESTS
/// sets how many (default 2,500).
/// </summary>
public sealed class FuzzTests(ApiFixture fixture, ITestOutputHelper output) : IClassFixture<ApiFixture>
{
    private sealed record Operation(string Method, string Path, JsonElement? Body, bool TakesKey, string[] Roles);

    /// <summary>The callers, by index: the roles as the document names them, then no key and a key nobody has.</summary>
    private static readonly string[] CallerRoles = ["operator", "core", "supplier", "funder", "risk", "", ""];

    public sealed record Request(string Method, string Path, string? Body, int Caller, string? Key)
    {
        public override string ToString() => $"{Method} {Path} as caller {Caller}, key '{Key}', body {Body ?? "(none)"}";
    }

    [Fact]
    public async Task GeneratedRequests_NeverAnswer5xx_AnswerAProblemOnEvery4xx_AndChangeNothingWhenRejected()
    {
        var s = fixture.Scenario;
        var (core, supplier, funder, facility) = await s.Cast(1_000_000m);
        var voucher = await s.ActiveVoucher(core, supplier, 50_000m);
        var order = await s.Order(core, supplier, 100_000m);
        await s.Facility(funder, supplier, 500_000m); // the funder's lending facility on the supplier
        var loan = (await s.Loan(supplier, order, funder, 10_000m)).Expect(HttpStatusCode.Created).Id;
        var risk = (await s.Operator.Post("/v1/risk-staff", new { name = "Fuzz risk" })).Expect(HttpStatusCode.Created);
        var pool = (await s.Operator.Post("/v1/risk-pools", new { name = "Fuzz pool", leverage = 5m, coverageRatio = 0.5m, floor = 100m })).Expect(HttpStatusCode.Created).Id;
        var ids = new[] { core.Id, supplier.Id, funder.Id, facility, voucher, voucher + "-1", order, loan, risk.Id, pool };
        var keys = new[] { ApiHost.OperatorKey, core.Client.ApiKey, supplier.Client.ApiKey, funder.Client.ApiKey, risk.Json.GetProperty("apiKey").GetString(), null, "sk_not_a_key" };

        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var operations = Operations(JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json")).RootElement);
        Assert.True(operations.Count >= 40, $"the document lists {operations.Count} operations");
        var today = await s.Today();

        var gen = RequestGen(operations, ids, keys.Length, today);
        var requests = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_FUZZ_REQUESTS") ?? "2500");
        var byStatus = new SortedDictionary<int, int>();
        var before = await Totals(http, ids);
        await gen.SampleAsync(async request =>
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
            if (keys[request.Caller] is { } apiKey) message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
            if (request.Key is not null) message.Headers.TryAddWithoutValidation("Idempotency-Key", request.Key);
            if (request.Body is not null) message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(message);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            lock (byStatus) byStatus[status] = byStatus.GetValueOrDefault(status) + 1;

            Assert.True(status < 500, $"{status} for {request}: {text}");
            if (status >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(text);
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("code").GetString()), text);
                Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
                var after = await Totals(http, ids);
                Assert.True(before == after, $"{status} {text} for {request} changed the totals:\n{Diff(before, after)}");
            }
            else if (request.Method == "GET")
            {
                Assert.True(before == await Totals(http, ids), $"a read changed the totals: {request}");
            }
            else
            {
                before = await Settled(http, ids); // what an accepted request did, and what it set off, has landed
            }
        }, seed: Environment.GetEnvironmentVariable("SUPPLYCHAIN_FUZZ_SEED") is { Length: > 0 } seed ? seed : null, iter: requests, threads: 1,
            writeLine: output.WriteLine);

        var summary = $"fuzz: {byStatus.Values.Sum()} requests over {operations.Count} operations; by status: " +
                      string.Join(", ", byStatus.Select(kv => $"{kv.Key}×{kv.Value}"));
        output.WriteLine(summary);
        Console.WriteLine(summary);
        Assert.True(byStatus.Keys.Any(k => k is >= 200 and < 300), "some generated requests were accepted: " + summary);
    }

    // ------------------------------------------------------------------------------------------------
    // Generation from the document.
    // ------------------------------------------------------------------------------------------------

    private static List<Operation> Operations(JsonElement document)
    {
        var list = new List<Operation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            if (!path.Name.StartsWith("/v1", StringComparison.Ordinal) && !path.Name.StartsWith("/health", StringComparison.Ordinal)) continue;
            foreach (var op in path.Value.EnumerateObject())
            {
                JsonElement? body = op.Value.TryGetProperty("requestBody", out var rb)
                    ? rb.GetProperty("content").GetProperty("application/json").GetProperty("schema")
                    : null;
                var takesKey = op.Value.TryGetProperty("parameters", out var ps) && ps.EnumerateArray().Any(p => p.GetProperty("name").GetString() == "Idempotency-Key");
                var description = op.Value.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "";
                var who = description.IndexOf("Who may call: ", StringComparison.Ordinal);
                var roles = who < 0 ? CallerRoles[..5] : description[(who + 14)..].Split(';')[0].Split(", ");
                list.Add(new Operation(op.Name.ToUpperInvariant(), path.Name, body, takesKey, roles));
            }
        }
        return list;
    }

    private static readonly string[] OddIds =
        ["", " ", "   ", "\t", "a b", "é", "\u202e", "😀", "ＡＢＣ", new string('x', 65), "..", "null", "0", "-1", "A", "vc", "pt-", "%", "\\", "'", "\"", "<script>"];

    private static readonly string[] OddStrings =
        ["", " ", "\u0000", "\u200b", "ж", "😀😀", new string('n', 201), new string('n', 5000), "Acme Co", "\r\n", "<b>x</b>", "' OR 1=1 --"];

    private static readonly string[] OddNumbers =
        ["0", "-1", "-0.01", "0.01", "0.001", "1.005", "1", "100", "1000.5", "49999.99", "1e3", "1e15", "1e30", "79228162514264337593543950335",
         "99999999999999999999999999999999", "1E+400", "\"100\"", "true", "null", "[]", "{}"];

    private static readonly string[] OddIntegers = ["0", "-1", "1", "7", "30", "90", "365", "366", "2147483648", "1.5", "\"3\"", "null"];

    private static Gen<Request> RequestGen(List<Operation> operations, string[] ids, int callers, DateOnly today)
    {
        var id = Gen.Frequency((4, Gen.OneOf(ids)), (2, Gen.OneOf(OddIds)));
        // A path id is mostly one of the right kind, so that requests get past "not found" into the rules.
        Gen<string> PathId(string path) => path switch
        {
            _ when path.StartsWith("/v1/vouchers", StringComparison.Ordinal) => Gen.Frequency((6, Gen.OneOf(ids[4], ids[5])), (3, id)),
            _ when path.StartsWith("/v1/facilities", StringComparison.Ordinal) => Gen.Frequency((6, Gen.Const(ids[3])), (3, id)),
            _ when path.StartsWith("/v1/orders", StringComparison.Ordinal) => Gen.Frequency((6, Gen.Const(ids[6])), (3, id)),
            _ when path.StartsWith("/v1/loans", StringComparison.Ordinal) => Gen.Frequency((6, Gen.Const(ids[7])), (3, id)),
            _ when path.StartsWith("/v1/risk-pools", StringComparison.Ordinal) => Gen.Frequency((6, Gen.Const(ids[9])), (3, id)),
            _ when path.StartsWith("/v1/participants", StringComparison.Ordinal) || path.StartsWith("/v1/risk/", StringComparison.Ordinal) =>
                Gen.Frequency((6, Gen.OneOf(ids[0], ids[1], ids[2])), (3, id)),
            _ => id,
        };
        var dates = new[]
        {
            today.AddDays(30), today.AddDays(90), today.AddDays(400), today.AddDays(-1), today,
        }.Select(d => $"\"{d:yyyy-MM-dd}\"").Concat(["\"2026-02-30\"", "\"\"", "\"x\"", "\"9999-12-31\"", "\"0001-01-01\"", "20260101", "null"]).ToArray();

        Gen<string> Value(JsonElement schema, string name, int depth)
        {
            var type = TypeOf(schema);
            if (schema.TryGetProperty("enum", out var e))
                return Gen.Frequency((4, Gen.OneOf(e.EnumerateArray().Select(v => v.GetRawText()).ToArray())), (1, Gen.OneOf("\"bogus\"", "\"\"", "1")));
            return type switch
            {
                "number" => Gen.OneOf(OddNumbers),
                "integer" => Gen.OneOf(OddIntegers),
                "boolean" => Gen.OneOf("true", "false", "1"),
                "array" when depth < 2 && schema.TryGetProperty("items", out var items) =>
                    Gen.Frequency(
                        (5, Value(items, name, depth + 1).Array[0, 6].Select(a => "[" + string.Join(",", a) + "]")),
                        (1, Gen.OneOf("[]", "{}", "\"x\"", "null"))),
                "string" when schema.TryGetProperty("format", out var f) && f.GetString() == "date" => Gen.OneOf(dates),
                "string" when name.EndsWith("id", StringComparison.OrdinalIgnoreCase) || name.EndsWith("ids", StringComparison.OrdinalIgnoreCase) =>
                    id.Select(v => JsonSerializer.Serialize(v)),
                "string" => Gen.OneOf(OddStrings).Select(v => JsonSerializer.Serialize(v)),
                _ => Gen.OneOf("null", "1", "\"x\"", "{}"),
            };
        }

        Gen<string> Body(JsonElement schema)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p.EnumerateObject().ToList() : [];
            var fields = properties.Select(prop =>
                Gen.Frequency(
                    (8, Value(prop.Value, prop.Name, 0).Select(v => (string?)$"\"{prop.Name}\":{v}")),
                    (1, Gen.Const((string?)null)),                                              // left out
                    (1, Gen.OneOf("\"x\"", "[]", "{}", "true").Select(v => (string?)$"\"{prop.Name}\":{v}")))) // wrong type
                .ToArray();
            var all = fields.Aggregate(Gen.Const(Array.Empty<string?>()), (acc, field) => acc.Select(field, (list, f) => list.Append(f).ToArray()));
            var obj = all
                .Select(Gen.Frequency((6, Gen.Const((string?)null)), (1, Gen.OneOf((string?)"\"holderId\":\"x\"", "\"status\":\"settled\"", "\"AMOUNT\":1"))),
                    (fs, extra) => "{" + string.Join(",", fs.Append(extra).Where(f => f is not null)) + "}");
            return Gen.Frequency<string>(
                (9, (IGen<string>)obj),
                (1, (IGen<string>)Gen.OneOf("", "{", "[]", "null", "\"x\"", "{}", "{\"a\":1}", "{\"amount\":1e400}", "{\"amounts\":[1,2]}{}",
                    new string('[', 2000) + new string(']', 2000))));
        }

        string Path(string template, IReadOnlyList<string> values)
        {
            var i = 0;
            var parts = template.Split('/').Select(seg =>
                seg.StartsWith('{') ? (seg == "{kind}" ? values[i++ % values.Count] is var k && k.Length % 5 == 0 ? "group" : "obligor" : Uri.EscapeDataString(values[i++ % values.Count])) : seg);
            return string.Join('/', parts);
        }

        var key = Gen.Frequency(
            (12, Gen.Guid.Select(g => (string?)g.ToString("N"))),
            (1, Gen.Const((string?)null)),
            (1, Gen.OneOf((string?)"", new string('k', 256), "fuzz-reused-key", " lead-space")));
        var query = Gen.OneOf("", "", "", "?limit=0", "?limit=-1", "?limit=1000000", "?limit=x", "?after=%20", "?after=zzz", "?by=pool&top=3",
            "?by=nothing", "?top=-5", "?status=bogus", "?status=active&limit=2", "?after=-1", "?after=99999999999999999999");

        return Gen.Int[0, operations.Count - 1].SelectMany(index =>
        {
            var op = operations[index];
            var body = op.Body is { } schema ? Body(schema).Select(b => (string?)b) : Gen.Frequency((6, Gen.Const((string?)null)), (1, Gen.OneOf((string?)"{}", "{\"x\":1}", "[]")));
            var allowed = Enumerable.Range(0, callers).Where(c => op.Roles.Contains(CallerRoles[c])).ToArray();
            var caller = Gen.Frequency((7, allowed.Length > 0 ? Gen.OneOf(allowed) : Gen.Int[0, callers - 1]), (2, Gen.Int[0, callers - 1]));
            return Gen.Select(PathId(op.Path).Array[3], body, caller, key, query,
                (pathIds, b, caller, k, q) => new Request(op.Method, Path(op.Path, pathIds) + (op.Method == "GET" ? q : ""), b, caller, op.TakesKey ? k : null));
        });
    }

    private static string TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var t)) return "";
        return t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(x => x.GetString()!).FirstOrDefault(x => x != "null") ?? ""
            : t.GetString() ?? "";
    }

    // ------------------------------------------------------------------------------------------------
    // The totals a rejected request must leave as they were.
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The business totals. A loan row with status <c>aborted</c> is left out: it records a financing that was refused
    /// (its reservation failed), so that a retry answers the same refusal; it never lent anything, and it is projected
    /// after the refusal was answered.
    /// </summary>
    private async Task<string> Totals(HttpClient http, string[] ids)
    {
        await using var db = fixture.Database.Open();
        var tables = await db.QuerySingleAsync<string>(
            """
            SELECT concat_ws(E'\n',
              (SELECT 'api_keys ' || count(*) FROM api_keys),
              (SELECT 'fragments ' || count(*) || ' ' || coalesce(string_agg(id || ':' || status || ':' || amount || ':' || holder_id, ',' ORDER BY id), '') FROM voucher_fragments),
              (SELECT 'trees ' || count(*) FROM voucher_trees),
              (SELECT 'positions ' || coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT (to_jsonb(p) - 'projected_at' - 'updated_at')::text x FROM exposure_positions p) t),
              (SELECT 'alerts ' || count(*) FROM alerts),
              (SELECT 'loans ' || coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT (to_jsonb(l) - 'projected_at' - 'unacked' - 'version')::text x FROM loans l WHERE status <> 'aborted') t),
              (SELECT 'groups ' || coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT (to_jsonb(g) - 'projected_at' - 'unacked' - 'version')::text x FROM guarantee_groups g) t),
              (SELECT 'pools ' || coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT (to_jsonb(r) - 'projected_at' - 'unacked' - 'version')::text x FROM risk_pools r) t))
            """);
        var objects = new StringBuilder(tables);
        foreach (var path in new[] { $"/v1/facilities/{ids[3]}", $"/v1/orders/{ids[6]}", $"/v1/loans/{ids[7]}", $"/v1/vouchers/{ids[4]}/tree", $"/v1/participants/{ids[0]}/issuance" })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, path);
            get.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ApiHost.OperatorKey);
            using var response = await http.SendAsync(get);
            objects.Append('\n').Append(path).Append(' ').Append(await response.Content.ReadAsStringAsync());
        }
        return objects.ToString();
    }

    /// <summary>
    /// The totals once what an accepted request set off has landed: the exposure stream reconciles with the trees and
    /// loans (a clock move defaults loans and vouchers, whose events follow), and then the totals read the same three
    /// times in a row, 250 ms apart (projections are asynchronous too). Polled with a deadline.
    /// </summary>
    private async Task<string> Settled(HttpClient http, string[] ids)
    {
        await fixture.Scenario.ExposuresReconcile(TimeSpan.FromSeconds(60), "the fuzzer's accepted request has landed");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = await Totals(http, ids);
        var same = 1;
        while (same < 3)
        {
            await Task.Delay(250);
            var now = await Totals(http, ids);
            same = now == last ? same + 1 : 1;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the totals did not settle within 60 s");
            last = now;
        }
        return last;
    }

    private static string Diff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        return string.Join('\n', a.Zip(b).Where(p => p.First != p.Second).Select(p => $"- {p.First}\n+ {p.Second}"));
    }
}
