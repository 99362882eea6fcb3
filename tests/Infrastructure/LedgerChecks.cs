using System.Text.Json;
using Dapper;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>Checks shared by the fault tests.</summary>
public static class LedgerChecks
{
    /// <summary>Every voucher an API answer shows (<see cref="Oracles.Fragments"/>).</summary>
    public static IEnumerable<JsonElement> VouchersIn(JsonElement json) => Oracles.Fragments(json);

    /// <summary>How many grains have more than one storage row (must always be 0).</summary>
    public static Task<int> GrainsWithTwoRows(Npgsql.NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM (SELECT 1 FROM orleansstorage
            GROUP BY serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring HAVING count(*) > 1) d
            """);
}
