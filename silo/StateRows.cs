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

/// <summary>What a write must send of a state's item rows; <see cref="Mark"/> is the change stamp its look started from.</summary>
public sealed record RowChanges(List<StateRow> Upserts, List<(string Kind, string Id)> Deletes, long Mark);

/// <summary>
/// The collections of a state type marked <see cref="StoredAsRowsAttribute"/>, found once per type by reflection, and
/// what each write must send of them: the rows whose content or place changed since the last write or read, and the
/// ids that are gone. What was stored is remembered per state object (the grain's in-memory state), so it goes away
/// with the activation; a new activation learns it from its read.
/// <para>
/// A collection of <see cref="IChangeStamped"/> items (a tree's fragments and operations) is looked at only where it may
/// have changed: items stamped since the last write or read, provided nothing was removed or moved (it holds what was
/// stored plus the new items, in a list all of them at its end). Otherwise, and for every other collection, each item is
/// compared.
/// </para>
/// </summary>
public sealed class StateRows
{
    private static readonly ConcurrentDictionary<Type, StateRows?> Layouts = new();
    private static readonly ConditionalWeakTable<object, StoredRows> Stored = new();

    private readonly IReadOnlyList<Collection> _collections;

    private StateRows(IReadOnlyList<Collection> collections) => _collections = collections;

    /// <summary>What storage holds of one state object's item rows, by collection and id.</summary>
    private sealed class StoredRows
    {
        private readonly Dictionary<string, Dictionary<string, StoredItem>> _byKind = new();

        /// <summary>The change stamp up to which every item of the state was compared with its row (0: none was).</summary>
        public long UpTo { get; set; }

        public Dictionary<string, StoredItem> Of(string kind) =>
            _byKind.TryGetValue(kind, out var rows) ? rows : _byKind[kind] = new(StringComparer.Ordinal);

        public void Clear()
        {
            _byKind.Clear();
            UpTo = 0;
        }
    }

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
    public RowChanges Changes(object state, JsonSerializerOptions options)
    {
        var stored = Stored.GetValue(state, _ => new());
        var mark = ChangeStamps.Current;
        var upserts = new List<StateRow>();
        var deletes = new List<(string Kind, string Id)>();
        foreach (var collection in _collections)
        {
            var mine = stored.Of(collection.Kind);
            if (stored.UpTo > 0 && collection.RecentChanges(state, mine, stored.UpTo, options) is { } recent)
            {
                if (ChangeStamps.Verify) Verify(collection, state, mine, options, recent);
                upserts.AddRange(recent);
                continue;
            }
            upserts.AddRange(collection.AllChanges(state, mine, options, deletes));
        }
        return new RowChanges(upserts, deletes, mark);
    }

    /// <summary>The rows found from the change stamps must be the rows found by comparing every item.</summary>
    private static void Verify(Collection collection, object state, Dictionary<string, StoredItem> mine, JsonSerializerOptions options, List<StateRow> recent)
    {
        var deletes = new List<(string Kind, string Id)>();
        var all = collection.AllChanges(state, mine, options, deletes);
        static string Describe(IEnumerable<StateRow> rows) =>
            string.Join(",", rows.Select(r => $"{r.Id}@{r.Position}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(r.Body))}").Order(StringComparer.Ordinal));
        if (deletes.Count > 0 || Describe(all) != Describe(recent))
            throw new InvalidOperationException(
                $"{collection.Kind}: the change stamps missed a change (stamped: {Describe(recent)}; compared: {Describe(all)}; gone: {deletes.Count}).");
    }

    /// <summary>After a write committed: what storage now holds for <paramref name="state"/>.</summary>
    public static void Written(object state, RowChanges changes)
    {
        var stored = Stored.GetValue(state, _ => new());
        foreach (var row in changes.Upserts) stored.Of(row.Kind)[row.Id] = new StoredItem(row with { Item = null }, row.Item);
        foreach (var (kind, id) in changes.Deletes) stored.Of(kind).Remove(id);
        stored.UpTo = changes.Mark;
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
            var known = stored.Of(collection.Kind);
            foreach (var (row, item) in collection.Set(state, mine, options)) known[row.Id] = new StoredItem(row, collection.Snapshot(item));
        }
        stored.UpTo = ChangeStamps.Current;
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

        private readonly Func<object, string>? _idOf = Id is null ? null : IdReader(ItemType, Id);

        private static Func<object, string> IdReader(Type type, PropertyInfo id)
        {
            var item = System.Linq.Expressions.Expression.Parameter(typeof(object));
            return System.Linq.Expressions.Expression.Lambda<Func<object, string>>(
                System.Linq.Expressions.Expression.Property(System.Linq.Expressions.Expression.Convert(item, type), id), item).Compile();
        }

        private readonly Func<object, IEnumerable<(string Id, object Item)>>? _entries = IsDictionary
            ? typeof(Collection).GetMethod(nameof(Entries), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(ItemType)
                .CreateDelegate<Func<object, IEnumerable<(string Id, object Item)>>>()
            : null;

        private static IEnumerable<(string Id, object Item)> Entries<T>(object dictionary)
        {
            foreach (var (id, item) in (Dictionary<string, T>)dictionary) yield return (id, item!);
        }

        /// <summary>Whether the items take change stamps.</summary>
        private readonly bool _stamped = typeof(IChangeStamped).IsAssignableFrom(ItemType);

        public IEnumerable<(string Id, int? Position, object Item)> Items(object state)
        {
            var value = Property.GetValue(state);
            if (value is null) yield break;
            if (IsDictionary)
            {
                foreach (var (id, item) in _entries!(value)) yield return (id, null, item);
                yield break;
            }
            var position = 0;
            foreach (var item in (IList)value) yield return (_idOf!(item!), Ordered ? position++ : null, item!);
        }

        /// <summary>
        /// The rows of the items stamped after <paramref name="upTo"/> that differ from what is stored; null when that
        /// cannot be the whole answer (the items do not take stamps, or something was removed, moved or inserted).
        /// </summary>
        public List<StateRow>? RecentChanges(object state, Dictionary<string, StoredItem> stored, long upTo, JsonSerializerOptions options)
        {
            if (!_stamped) return null;
            var rows = new List<StateRow>();
            HashSet<string>? added = null;
            bool Look(string? knownId, int index, object item)
            {
                if (((IChangeStamped)item).ChangeStamp() <= upTo) return true;
                var id = knownId ?? _idOf!(item);
                int? position = Ordered && !IsDictionary ? index : null;
                if (!stored.TryGetValue(id, out var last))
                {
                    // New: in a list it must come after every stored item, or the stored ones behind it moved.
                    if (position < stored.Count) return false;
                    if (!(added ??= new(StringComparer.Ordinal)).Add(id)) throw new InvalidOperationException($"Two items of {Kind} have the id '{id}'.");
                }
                else if (last.Row.Position != position) return false;
                if (Row(id, position, item, last, options) is { } row) rows.Add(row);
                return true;
            }
            var value = Property.GetValue(state);
            var count = 0;
            if (value is IList list)
            {
                for (; count < list.Count; count++)
                    if (!Look(null, count, list[count]!)) return null;
            }
            else if (value is not null)
            {
                foreach (var (id, item) in _entries!(value))
                    if (!Look(id, count++, item)) return null;
            }
            // Nothing removed: the collection is what was stored plus the new items.
            return count == stored.Count + (added?.Count ?? 0) ? rows : null;
        }

        /// <summary>Every item compared with what is stored; the ids that are gone go to <paramref name="deletes"/>.</summary>
        public List<StateRow> AllChanges(object state, Dictionary<string, StoredItem> stored, JsonSerializerOptions options, List<(string Kind, string Id)> deletes)
        {
            var rows = new List<StateRow>();
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, position, item) in Items(state))
            {
                if (!present.Add(id)) throw new InvalidOperationException($"Two items of {Kind} have the id '{id}'.");
                if (Row(id, position, item, stored.GetValueOrDefault(id), options) is { } row) rows.Add(row);
            }
            foreach (var id in stored.Keys) if (!present.Contains(id)) deletes.Add((Kind, id));
            return rows;
        }

        /// <summary>The row to write for an item, or null when storage already holds it as it is, in its place.</summary>
        private StateRow? Row(string id, int? position, object item, StoredItem? last, JsonSerializerOptions options)
        {
            var known = last is not null && last.Row.Position == position;
            if (known && (Immutable || Unchanged(last!.Snapshot, item))) return null;
            var body = JsonSerializer.SerializeToUtf8Bytes(item, ItemType, options);
            if (known && last!.Row.Body.AsSpan().SequenceEqual(body)) return null;
            return new StateRow(Kind, id, position, body, Snapshot(item));
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
