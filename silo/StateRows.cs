using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SupplyChain.Grains;

namespace SupplyChain.Silo;

/// <summary>
/// One item row of a state's collection: its kind (the property's name), id, place in a list, and JSON; on the way to
/// storage also the snapshot of the item it was made from.
/// </summary>
public sealed record StateRow(string Kind, string Id, int? Position, byte[] Body, object? Item = null);

/// <summary>What storage holds of one item: its row, and a shallow copy of the item as it was then (to compare without JSON).</summary>
internal sealed record StoredItem(StateRow Row, object? Snapshot);

/// <summary>
/// The collections of a state type marked <see cref="StoredAsRowsAttribute"/>, found once per type by reflection, and
/// what each write must send of them: the rows whose content or place changed since the last write or read, and the
/// ids that are gone. What was stored is remembered per state object (the grain's in-memory state), so it goes away
/// with the activation; a new activation learns it from its read.
/// </summary>
public sealed class StateRows
{
    private static readonly ConcurrentDictionary<Type, StateRows?> Layouts = new();
    private static readonly ConditionalWeakTable<object, Dictionary<(string Kind, string Id), StoredItem>> Stored = new();

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
                var known = stored.TryGetValue(key, out var last) && last.Row.Position == position;
                if (known && (collection.Immutable || collection.Unchanged(last!.Snapshot, item))) continue;
                var body = JsonSerializer.SerializeToUtf8Bytes(item, collection.ItemType, options);
                if (known && last!.Row.Body.AsSpan().SequenceEqual(body)) continue;
                upserts.Add(new StateRow(collection.Kind, id, position, body, collection.Snapshot(item)));
            }
        }
        var deletes = stored.Keys.Where(k => !present.Contains(k)).ToList();
        return (upserts, deletes);
    }

    /// <summary>After a write committed: what storage now holds for <paramref name="state"/>.</summary>
    public static void Written(object state, IEnumerable<StateRow> upserts, IEnumerable<(string Kind, string Id)> deletes)
    {
        var stored = Stored.GetValue(state, _ => new());
        foreach (var row in upserts) stored[(row.Kind, row.Id)] = new StoredItem(row with { Item = null }, row.Item);
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
            foreach (var (row, item) in collection.Set(state, mine, options)) stored[(row.Kind, row.Id)] = new StoredItem(row, collection.Snapshot(item));
        }
    }

    /// <summary>Forgets what was stored for <paramref name="state"/> (after a clear).</summary>
    public static void Cleared(object state) => Stored.Remove(state);

    private sealed record Collection(string Kind, PropertyInfo Property, Type ItemType, PropertyInfo? Id, bool IsDictionary, bool Immutable, bool Ordered)
    {
        private static readonly MethodInfo ShallowCopy =
            typeof(object).GetMethod("MemberwiseClone", BindingFlags.NonPublic | BindingFlags.Instance)!;

        /// <summary>
        /// Compares two items property by property, when every property of the item type holds a value (numbers, text,
        /// dates, enums, or records of such): then a shallow copy taken at the write is a faithful record of what was
        /// written, and an unchanged item costs a few comparisons instead of its JSON. Null for any other item type,
        /// which is compared by its JSON.
        /// </summary>
        private readonly Func<object, object, bool>? _same = Comparer(ItemType);

        public object? Snapshot(object item) => _same is null ? null : ShallowCopy.Invoke(item, null);

        public bool Unchanged(object? snapshot, object item) => snapshot is not null && _same!(snapshot, item);

        private static Func<object, object, bool>? Comparer(Type type)
        {
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead).ToList();
            if (type.IsValueType || properties.Count == 0 || !properties.All(p => p.CanWrite && HoldsValue(p.PropertyType, 0))) return null;
            var a = System.Linq.Expressions.Expression.Parameter(typeof(object));
            var b = System.Linq.Expressions.Expression.Parameter(typeof(object));
            var ta = System.Linq.Expressions.Expression.Convert(a, type);
            var tb = System.Linq.Expressions.Expression.Convert(b, type);
            var body = properties
                .Select(p =>
                {
                    var comparer = typeof(EqualityComparer<>).MakeGenericType(p.PropertyType);
                    var @default = System.Linq.Expressions.Expression.Property(null, comparer.GetProperty("Default")!);
                    return (System.Linq.Expressions.Expression)System.Linq.Expressions.Expression.Call(@default,
                        comparer.GetMethod("Equals", [p.PropertyType, p.PropertyType])!,
                        System.Linq.Expressions.Expression.Property(ta, p), System.Linq.Expressions.Expression.Property(tb, p));
                })
                .Aggregate(System.Linq.Expressions.Expression.AndAlso);
            return System.Linq.Expressions.Expression.Lambda<Func<object, object, bool>>(body, a, b).Compile();
        }

        /// <summary>Whether values of this type are compared by value and cannot change inside (so a shallow copy keeps them).</summary>
        private static bool HoldsValue(Type type, int depth)
        {
            var t = Nullable.GetUnderlyingType(type) ?? type;
            if (t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateOnly) || t == typeof(DateTime)
                || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid)) return true;
            // A record (compiler-generated value equality) of init-only properties that all hold values.
            var isRecord = t.GetMethod("<Clone>$") is not null;
            return isRecord && depth < 3 && t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .All(p => IsInitOnly(p) && HoldsValue(p.PropertyType, depth + 1));
        }

        private static bool IsInitOnly(PropertyInfo p) =>
            p.SetMethod is null || p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit));

        public static Collection Of(PropertyInfo property, StoredAsRowsAttribute attribute)
        {
            var type = property.PropertyType;
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var item = type.GetGenericArguments()[0];
                var id = item.GetProperty(attribute.IdProperty ?? throw new InvalidOperationException(
                    $"{property.DeclaringType!.Name}.{property.Name}: a list stored as rows needs IdProperty."))
                    ?? throw new InvalidOperationException($"{item.Name} has no property {attribute.IdProperty}.");
                return new Collection(property.Name, property, item, id, false, attribute.Immutable, attribute.Ordered);
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string))
                return new Collection(property.Name, property, type.GetGenericArguments()[1], null, true, attribute.Immutable, false);
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
            foreach (var item in (IList)value) yield return ((string)Id!.GetValue(item)!, Ordered ? position++ : null, item!);
        }

        /// <summary>Puts the items of <paramref name="rows"/> into the state's property; returns each row with its item.</summary>
        public List<(StateRow Row, object Item)> Set(object state, List<StateRow> rows, JsonSerializerOptions options)
        {
            var items = (Ordered ? rows.OrderBy(r => r.Position).ToList() : rows.OrderBy(r => r.Id, StringComparer.Ordinal).ToList())
                .Select(r => (Row: r, Item: JsonSerializer.Deserialize(r.Body, ItemType, options)!)).ToList();
            if (IsDictionary)
            {
                var dictionary = (IDictionary)Activator.CreateInstance(Property.PropertyType)!;
                foreach (var (row, item) in items) dictionary[row.Id] = item;
                Property.SetValue(state, dictionary);
            }
            else
            {
                var list = (IList)Activator.CreateInstance(Property.PropertyType)!;
                foreach (var (_, item) in items) list.Add(item);
                Property.SetValue(state, list);
            }
            return items;
        }
    }
}
