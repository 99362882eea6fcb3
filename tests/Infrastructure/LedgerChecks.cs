using System.Text.Json;
using Dapper;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>Checks shared by the fault tests.</summary>
public static class LedgerChecks
{
    /// <summary>Every voucher an API answer shows: the answer itself, or its voucher-valued members and arrays.</summary>
    public static IEnumerable<JsonElement> VouchersIn(JsonElement json)
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

    /// <summary>How many grains have more than one storage row (must always be 0).</summary>
    public static Task<int> GrainsWithTwoRows(Npgsql.NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM (SELECT 1 FROM orleansstorage
            GROUP BY serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring HAVING count(*) > 1) d
            """);
}
