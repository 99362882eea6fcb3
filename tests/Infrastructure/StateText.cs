using System.Net;
using System.Text.Json;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// Text descriptions of what parties read, for "nothing changed" checks: take a snapshot before a refused request
/// and compare it with one taken after.
/// </summary>
public static class StateText
{
    public static string Fragment(JsonElement f) =>
        $"{f.GetProperty("id")} {f.GetProperty("status")} holder {f.GetProperty("holderId")} amount {f.GetProperty("amount").GetDecimal()} tier {f.GetProperty("tier")}";

    public static async Task<string> Facility(ApiClient owner, string id)
    {
        var f = (await owner.Get($"/v1/facilities/{id}")).Expect(HttpStatusCode.OK).Json;
        return $"facility {id} {f.GetProperty("funderId")}→{f.GetProperty("obligorId")} limit {f.GetProperty("limit").GetDecimal()} "
               + $"used {f.GetProperty("used").GetDecimal()} rate {f.GetProperty("annualRate").GetDecimal()} expires {f.GetProperty("expiresOn")}";
    }

    public static async Task<string> Issuance(Party core)
    {
        var i = (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Expect(HttpStatusCode.OK).Json;
        return $"issuance {core.Id} limit {i.GetProperty("limit").GetDecimal()} outstanding {i.GetProperty("outstanding").GetDecimal()} "
               + $"operatorLimit {i.GetProperty("operatorLimit")}";
    }

    /// <summary>Each party's own voucher list, and the manual clock's date.</summary>
    public static async Task<IEnumerable<string>> ListsAndClock(ApiClient @operator, params Party[] parties)
    {
        var lines = new List<string>();
        foreach (var party in parties)
        {
            var items = (await party.Client.Get("/v1/vouchers?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items");
            lines.Add($"list of {party.Kind} {party.Id}: " + string.Join(", ", items.EnumerateArray().Select(Fragment)));
        }
        lines.Add("today " + (await @operator.Get("/v1/admin/clock")).Expect(HttpStatusCode.OK).Json.GetProperty("today"));
        return lines;
    }
}
