using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using System.Reflection;
using SupplyChain.Grains;
using SupplyChain.Grains.Vouchers;

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
        foreach (var collection in Collections(type))
        {
            var mine = rows.Where(r => r.Kind == collection.Kind).ToList();
            if (mine.Count == 0 && state.ContainsKey(collection.Kind)) continue; // stored whole by an earlier build
            state[collection.Kind] = !collection.IsList
                ? new JsonObject(mine.Select(r => KeyValuePair.Create(r.Id, JsonNode.Parse(r.Body))))
                : new JsonArray((collection.Ordered ? mine.OrderBy(r => r.Position) : mine.OrderBy(r => r.Id, StringComparer.Ordinal))
                    .Select(r => JsonNode.Parse(r.Body)).ToArray());
        }
        return new StoredState(state, own.Version);
    }

    /// <summary>
    /// The collections a grain type keeps as rows, read from its state class's [StoredAsRows] attributes (the storage's
    /// own source): only voucher trees have any.
    /// </summary>
    private static List<(string Kind, bool IsList, bool Ordered)> Collections(string type) =>
        type != "voucher-tree"
            ? []
            : typeof(VoucherTreeState).GetProperties()
                .Select(p => (Property: p, Rows: p.GetCustomAttribute<StoredAsRowsAttribute>()))
                .Where(x => x.Rows is not null)
                .Select(x => (x.Property.Name, x.Property.PropertyType.GetGenericTypeDefinition() == typeof(List<>), x.Rows!.Ordered))
                .ToList();

    /// <summary>
    /// Stores <paramref name="state"/> under the row's version <paramref name="version"/> (which must still be the stored
    /// one). Its members that the grain keeps as rows are written as rows (a list's items need an "Id").
    /// </summary>
    public static async Task WriteAsync(NpgsqlConnection c, string type, string key, JsonObject state, int version)
    {
        var own = state.DeepClone().AsObject();
        await using var transaction = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM grain_rows WHERE graintype = @type AND grainkey = @key", new { type, key }, transaction);
        var service = await c.QuerySingleAsync<string>(
            "SELECT serviceid FROM orleansstorage WHERE graintypestring = @type AND grainidextensionstring = @key", new { type, key }, transaction);
        foreach (var (kind, _, ordered) in Collections(type).Where(k => own.ContainsKey(k.Kind)))
        {
            var items = own[kind] switch
            {
                JsonArray list => list.Select((item, i) => (Id: (string)item!["Id"]!, Position: ordered ? (int?)i : null, Item: item!)).ToList(),
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
