using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>A grain's stored state as one JSON object, and its row's version.</summary>
public sealed record StoredState(JsonObject State, int Version);

/// <summary>
/// Reads and rewrites a grain's stored state directly in the database, for tests that corrupt or roll back storage on
/// purpose. A state is its row in orleansstorage plus, for collections stored as rows (a tree's Fragments,
/// Operations and ExposureOutbox), its rows in grain_rows: this puts them together as the one JSON object the grain sees (lists in their
/// order, dictionaries by id) and takes it apart again, keeping the row's version so that the grain loads it as its own.
/// </summary>
public static class StoredStates
{
    public static async Task<StoredState> ReadAsync(NpgsqlConnection c, string type, string key)
    {
        var own = await c.QuerySingleAsync<(byte[] Payload, int Version)>(
            "SELECT payloadbinary, version FROM orleansstorage WHERE graintypestring = @type AND grainidextensionstring = @key",
            new { type, key });
        var state = JsonNode.Parse(own.Payload)!.AsObject();
        var rows = await c.QueryAsync<(string Kind, string Id, int? Position, byte[] Body)>(
            "SELECT kind, id, position, body FROM grain_rows WHERE graintype = @type AND grainkey = @key ORDER BY kind, position, id",
            new { type, key });
        foreach (var kind in rows.GroupBy(r => r.Kind))
        {
            if (kind.All(r => r.Position is not null))
                state[kind.Key] = new JsonArray(kind.OrderBy(r => r.Position).Select(r => JsonNode.Parse(r.Body)).ToArray());
            else if (kind.All(IsListItem))
                state[kind.Key] = new JsonArray(kind.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => JsonNode.Parse(r.Body)).ToArray());
            else
                state[kind.Key] = new JsonObject(kind.Select(r => KeyValuePair.Create(r.Id, JsonNode.Parse(r.Body))));
        }
        // A collection stored as rows with no rows now (an outbox with nothing unacknowledged) is empty, not missing.
        if (type == "voucher-tree")
        {
            foreach (var list in new[] { "Fragments", "ExposureOutbox" }) state[list] ??= new JsonArray();
            state["Operations"] ??= new JsonObject();
        }
        return new StoredState(state, own.Version);
    }

    /// <summary>An item of an unordered list carries its own id; a dictionary's value does not (its key is the id).</summary>
    private static bool IsListItem((string Kind, string Id, int? Position, byte[] Body) row) =>
        JsonNode.Parse(row.Body) is JsonObject item && (string?)item["Id"] == row.Id;

    /// <summary>Lists of a tree whose order is not kept (stored without a position).</summary>
    private static readonly HashSet<string> Unordered = ["ExposureOutbox"];

    /// <summary>
    /// Stores <paramref name="state"/> under the row's version <paramref name="version"/> (which must still be the stored
    /// one). Its members that the grain keeps as rows are written as rows (a list's items need an "Id").
    /// </summary>
    public static async Task WriteAsync(NpgsqlConnection c, string type, string key, JsonObject state, int version)
    {
        var own = state.DeepClone().AsObject();
        var rowKinds = (await c.QueryAsync<string>(
            "SELECT DISTINCT kind FROM grain_rows WHERE graintype = @type AND grainkey = @key", new { type, key })).ToHashSet();
        rowKinds.UnionWith(new[] { "Fragments", "Operations", "ExposureOutbox" }.Where(k => type == "voucher-tree"));
        await using var transaction = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM grain_rows WHERE graintype = @type AND grainkey = @key", new { type, key }, transaction);
        var service = await c.QuerySingleAsync<string>(
            "SELECT serviceid FROM orleansstorage WHERE graintypestring = @type AND grainidextensionstring = @key", new { type, key }, transaction);
        foreach (var kind in rowKinds.Where(own.ContainsKey))
        {
            var items = own[kind] switch
            {
                JsonArray list => list.Select((item, i) => (Id: (string)item!["Id"]!, Position: Unordered.Contains(kind) ? null : (int?)i, Item: item!)).ToList(),
                JsonObject map => map.Select(e => (Id: e.Key, Position: (int?)null, Item: e.Value!)).ToList(),
                _ => [],
            };
            own.Remove(kind);
            // Row ids are unique; a state planted with two items of one id (a corruption the oracles must catch) stores the
            // second under a distinct row id, and the grain reads both back into its list.
            var seen = new HashSet<string>();
            foreach (var (itemId, position, item) in items)
            {
                var id = itemId;
                for (var n = 2; !seen.Add(id); n++) id = $"{itemId}#{n}";
                await c.ExecuteAsync(
                    "INSERT INTO grain_rows (serviceid, graintype, grainkey, kind, id, position, body) VALUES (@service, @type, @key, @kind, @id, @position, @body)",
                    new { service, type, key, kind, id, position, body = Encoding.UTF8.GetBytes(item.ToJsonString()) }, transaction);
            }
        }
        Assert.Equal(1, await c.ExecuteAsync(
            "UPDATE orleansstorage SET payloadbinary = @payload WHERE graintypestring = @type AND grainidextensionstring = @key AND version = @version",
            new { payload = Encoding.UTF8.GetBytes(own.ToJsonString()), type, key, version }, transaction));
        await transaction.CommitAsync();
    }
}
