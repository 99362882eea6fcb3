using System.Text.Json;
using Dapper;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// The ledger's invariants as functions that list what is wrong (empty when nothing is), so that the tests which
/// rely on them can also be shown to fail: tests/Api/OracleTests.cs breaks data behind the system's back and
/// checks that each oracle says so.
/// </summary>
public static class Oracles
{
    private static readonly HashSet<string> Live = ["pending", "active", "financed", "overdue", "defaulted"];
    private static readonly HashSet<string> Consumed = ["split", "transferred"];

    /// <summary>
    /// A tree as GET /v1/vouchers/{id}/tree shows it: ids unique, every fragment of this root and obligor, the root without
    /// a parent and every other fragment's parent present, live fragments sum to the face (or the tree is wholly settled, or a cancelled root with nothing live),
    /// and a consumed fragment's children (a rejected transfer's returned child too) sum to its amount.
    /// </summary>
    public static IReadOnlyList<string> TreeViolations(JsonElement tree)
    {
        var problems = new List<string>();
        var root = tree.GetProperty("root");
        var rootId = root.GetProperty("id").GetString()!;
        var obligor = root.GetProperty("obligorId").GetString();
        var face = root.GetProperty("amount").GetDecimal();
        var fragments = tree.GetProperty("fragments").EnumerateArray().ToList();
        var ids = fragments.Select(f => f.GetProperty("id").GetString()!).ToList();
        foreach (var duplicate in ids.GroupBy(i => i).Where(g => g.Count() > 1)) problems.Add($"{rootId}: fragment {duplicate.Key} appears {duplicate.Count()} times");
        var known = ids.ToHashSet();
        if (!known.Contains(rootId)) problems.Add($"{rootId}: the root is not among the fragments");
        if (root.GetProperty("parentId").GetString() is { } rootParent) problems.Add($"{rootId}: the root has parent {rootParent}");

        foreach (var f in fragments)
        {
            var id = f.GetProperty("id").GetString();
            if (f.GetProperty("rootId").GetString() != rootId) problems.Add($"{rootId}: {id} names root {f.GetProperty("rootId")}");
            if (f.GetProperty("obligorId").GetString() != obligor) problems.Add($"{rootId}: {id} names obligor {f.GetProperty("obligorId")}");
            if (f.GetProperty("amount").GetDecimal() <= 0) problems.Add($"{rootId}: {id} has amount {f.GetProperty("amount").GetDecimal()}");
            var parent = f.GetProperty("parentId").GetString();
            if (id != rootId && (parent is null || !known.Contains(parent))) problems.Add($"{rootId}: {id} has parent {parent ?? "none"}, not in the tree");
        }

        decimal SumOf(Func<string, bool> status) => fragments.Where(f => status(f.GetProperty("status").GetString()!)).Sum(f => f.GetProperty("amount").GetDecimal());
        var live = SumOf(Live.Contains);
        var settled = SumOf(s => s == "settled");
        var rootStatus = root.GetProperty("status").GetString();
        var balanced = (live == face && settled == 0) || (settled == face && live == 0) || (live == 0 && settled == 0 && rootStatus == "cancelled");
        if (!balanced) problems.Add($"{rootId}: live fragments sum to {live} and settled to {settled}, the face is {face} (root {rootStatus})");

        foreach (var parent in fragments.Where(f => Consumed.Contains(f.GetProperty("status").GetString()!) || f.GetProperty("status").GetString() == "rejected"))
        {
            var id = parent.GetProperty("id").GetString();
            var children = fragments.Where(f => f.GetProperty("parentId").GetString() == id).ToList();
            if (parent.GetProperty("status").GetString() == "rejected" && children.Count == 0 && id == rootId) continue; // a rejected root returns nothing
            var sum = children.Sum(f => f.GetProperty("amount").GetDecimal());
            if (sum != parent.GetProperty("amount").GetDecimal())
                problems.Add($"{rootId}: {parent.GetProperty("status")} {id} of {parent.GetProperty("amount").GetDecimal()} has children summing to {sum}");
        }
        return problems;
    }

    /// <summary>
    /// What acknowledged answers promise, against the fragments as stored. <paramref name="acknowledged"/> are the 2xx
    /// answers in an order that follows cause and effect for every fragment: the order in which they were received
    /// across all callers (a transfer's answer before the recipient's accept), not one caller's list after another's. Every fragment an answer showed exists with the identity it
    /// showed (root, parent, obligor, amount, tier); no fragment exists that neither is a root in <paramref name="roots"/>
    /// nor was created by an acknowledged answer. With <paramref name="finalStates"/> (valid when every request got a
    /// definite answer and nothing else moves the fragments: no clock, no expiry), each fragment also has the holder and
    /// status of the last answer that showed it.
    /// </summary>
    public static IReadOnlyList<string> AcknowledgedEffects(
        IEnumerable<JsonElement> acknowledged, IReadOnlyDictionary<string, JsonElement> stored, IEnumerable<string> roots, bool finalStates)
    {
        var problems = new List<string>();
        var expected = new HashSet<string>(roots);
        var last = new Dictionary<string, JsonElement>();
        foreach (var answer in acknowledged)
            foreach (var shown in Fragments(answer))
            {
                var id = shown.GetProperty("id").GetString()!;
                expected.Add(id);
                last[id] = shown;
                if (!stored.TryGetValue(id, out var now))
                {
                    problems.Add($"acknowledged fragment {id} is not stored: {shown}");
                    continue;
                }
                foreach (var field in new[] { "rootId", "parentId", "obligorId", "amount", "tier" })
                    if (shown.GetProperty(field).ToString() != now.GetProperty(field).ToString())
                        problems.Add($"{id}: {field} was acknowledged as {shown.GetProperty(field)} and is stored as {now.GetProperty(field)}");
            }
        foreach (var id in stored.Keys.Where(k => !expected.Contains(k)).Order())
            problems.Add($"{id} is stored but no acknowledged answer created it: {stored[id]}");
        foreach (var id in expected.Where(k => !stored.ContainsKey(k) && !last.ContainsKey(k)).Order())
            problems.Add($"root {id} is not stored");
        if (finalStates)
            foreach (var (id, shown) in last)
                if (stored.TryGetValue(id, out var now))
                    foreach (var field in new[] { "holderId", "status" })
                        if (shown.GetProperty(field).GetString() != now.GetProperty(field).GetString())
                            problems.Add($"{id}: {field} was last acknowledged as {shown.GetProperty(field)} and is stored as {now.GetProperty(field)}");
        return problems;
    }

    /// <summary>Every voucher an API answer shows: the answer itself, or its voucher-valued members and arrays.</summary>
    public static IEnumerable<JsonElement> Fragments(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) yield break;
        if (json.TryGetProperty("rootId", out _))
        {
            yield return json;
            yield break;
        }
        foreach (var p in json.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("rootId", out _)) yield return p.Value;
            if (p.Value.ValueKind == JsonValueKind.Array)
                foreach (var i in p.Value.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object && i.TryGetProperty("rootId", out _)))
                    yield return i;
        }
    }

    /// <summary>Throws with every violation listed, for tests that use an oracle as a check.</summary>
    public static void AssertNone(IReadOnlyList<string> violations, string what)
    {
        if (violations.Count > 0)
            Assert.Fail($"{what}: {violations.Count} violation(s)\n" + string.Join("\n", violations.Take(50)));
    }

    /// <summary>How many grains have more than one storage row (must always be 0: the unique key on grain identity).</summary>
    public static Task<int> GrainsWithTwoRows(Npgsql.NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM (SELECT 1 FROM orleansstorage
            GROUP BY serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring HAVING count(*) > 1) d
            """);
}
