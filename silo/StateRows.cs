using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SupplyChain.Grains;

namespace SupplyChain.Silo;

/// <summary>One item row of a state's collection: its kind (the property's name), id, place in a list, and JSON.</summary>
public sealed record StateRow(string Kind, string Id, int? Position, byte[] Body);

/// <summary>
/// The collections of a state type marked <see cref="StoredAsRowsAttribute"/>, found once per type by reflection, and
/// what each write must send of them: the rows whose content or place changed since the last write or read, and the
/// ids that are gone. What was stored is remembered per state object (the grain's in-memory state), so it goes away
/// with the activation; a new activation learns it from its read.
/// </summary>
public sealed class StateRows
{
    private static readonly ConcurrentDictionary<Type, StateRows?> Layouts = new();
    private static readonly ConditionalWeakTable<object, Dictionary<(string Kind, string Id), StateRow>> Stored = new();

    private readonly IReadOnlyList<Collection> _collections;

    private StateRows(IReadOnlyList<Collection> collections) => _collections = collections;

    /// <summary>The layout of <paramref name="stateType"/>; null when none of its collections is stored as rows.</summary>
    public static StateRows? For(Type stateType) => Layouts.GetOrAdd(stateType, type =>
    {
        var collections = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<StoredAsRowsAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => Collection.Of(x.Property, x.Attribute!))
            .ToList();
        return collections.Count == 0 ? null : new StateRows(collections);
    });

    /// <summary>The rows to write and the ids to delete so that storage matches <paramref name="state"/>.</summary>
    public (List<StateRow> Upserts, List<(string Kind, string Id)> Deletes) Changes(object state, JsonSerializerOptions options)
    {
        var stored = Stored.GetValue(state, _ => new());
        var upserts = new List<StateRow>();
        var present = new HashSet<(string, string)>();
        foreach (var collection in _collections)
        {
            foreach (var (id, position, item) in collection.Items(state))
            {
                var key = (collection.Kind, id);
                if (!present.Add(key)) throw new InvalidOperationException($"Two items of {collection.Kind} have the id '{id}'.");
                if (collection.Immutable && stored.TryGetValue(key, out var kept) && kept.Position == position) continue;
                var body = JsonSerializer.SerializeToUtf8Bytes(item, collection.ItemType, options);
                if (stored.TryGetValue(key, out var last) && last.Position == position && last.Body.AsSpan().SequenceEqual(body)) continue;
                upserts.Add(new StateRow(collection.Kind, id, position, body));
            }
        }
        var deletes = stored.Keys.Where(k => !present.Contains(k)).ToList();
        return (upserts, deletes);
    }

    /// <summary>After a write committed: what storage now holds for <paramref name="state"/>.</summary>
    public static void Written(object state, IEnumerable<StateRow> upserts, IEnumerable<(string Kind, string Id)> deletes)
    {
        var stored = Stored.GetValue(state, _ => new());
        foreach (var row in upserts) stored[(row.Kind, row.Id)] = row;
        foreach (var key in deletes) stored.Remove(key);
    }

    /// <summary>
    /// Puts the rows read from storage into <paramref name="state"/> (whose own row was read without them) and remembers
    /// them as stored. A collection with no rows keeps what the state's own row held: a row written before the collection
    /// became rows carries it inline, and the next write moves it into rows.
    /// </summary>
    public void Load(object state, IReadOnlyList<StateRow> rows, JsonSerializerOptions options)
    {
        var stored = Stored.GetValue(state, _ => new());
        stored.Clear();
        foreach (var collection in _collections)
        {
            var mine = rows.Where(r => r.Kind == collection.Kind).ToList();
            if (mine.Count == 0) continue;
            collection.Set(state, mine, options);
            foreach (var row in mine) stored[(row.Kind, row.Id)] = row;
        }
    }

    /// <summary>Forgets what was stored for <paramref name="state"/> (after a clear).</summary>
    public static void Cleared(object state) => Stored.Remove(state);

    private sealed record Collection(string Kind, PropertyInfo Property, Type ItemType, PropertyInfo? Id, bool IsDictionary, bool Immutable)
    {
        public static Collection Of(PropertyInfo property, StoredAsRowsAttribute attribute)
        {
            var type = property.PropertyType;
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var item = type.GetGenericArguments()[0];
                var id = item.GetProperty(attribute.IdProperty ?? throw new InvalidOperationException(
                    $"{property.DeclaringType!.Name}.{property.Name}: a list stored as rows needs IdProperty."))
                    ?? throw new InvalidOperationException($"{item.Name} has no property {attribute.IdProperty}.");
                return new Collection(property.Name, property, item, id, false, attribute.Immutable);
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string))
                return new Collection(property.Name, property, type.GetGenericArguments()[1], null, true, attribute.Immutable);
            throw new InvalidOperationException(
                $"{property.DeclaringType!.Name}.{property.Name}: only List<T> and Dictionary<string, T> can be stored as rows.");
        }

        public IEnumerable<(string Id, int? Position, object Item)> Items(object state)
        {
            var value = Property.GetValue(state);
            if (value is null) yield break;
            if (IsDictionary)
            {
                foreach (DictionaryEntry entry in (IDictionary)value) yield return ((string)entry.Key, null, entry.Value!);
                yield break;
            }
            var position = 0;
            foreach (var item in (IList)value) yield return ((string)Id!.GetValue(item)!, position++, item!);
        }

        public void Set(object state, List<StateRow> rows, JsonSerializerOptions options)
        {
            if (IsDictionary)
            {
                var dictionary = (IDictionary)Activator.CreateInstance(Property.PropertyType)!;
                foreach (var row in rows) dictionary[row.Id] = JsonSerializer.Deserialize(row.Body, ItemType, options);
                Property.SetValue(state, dictionary);
                return;
            }
            var list = (IList)Activator.CreateInstance(Property.PropertyType)!;
            foreach (var row in rows.OrderBy(r => r.Position)) list.Add(JsonSerializer.Deserialize(row.Body, ItemType, options));
            Property.SetValue(state, list);
        }
    }
}
