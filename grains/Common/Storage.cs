namespace SupplyChain.Grains;

/// <summary>Names of the grain-storage providers the silo must register.</summary>
public static class Storage
{
    public const string Name = "platform";
}

/// <summary>
/// Stores a collection of a grain's state as one row per item beside the state's own row, so that a write sends only
/// the items that changed, not the whole collection (see <c>silo/GroupCommitGrainStorage.cs</c>). On a
/// <c>List&lt;T&gt;</c> the item's id is its <see cref="IdProperty"/> and the list's order is kept; on a
/// <c>Dictionary&lt;string, T&gt;</c> the id is the key. The state's own row no longer carries the collection.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class StoredAsRowsAttribute : Attribute
{
    /// <summary>For a list: the name of the item's id property (unique within the list).</summary>
    public string? IdProperty { get; init; }

    /// <summary>Items never change once stored (only new ones are added): a write does not look at stored ones again.</summary>
    public bool Immutable { get; init; }

    /// <summary>
    /// Whether a list's order is kept (the default). A list whose order does not matter (a set) is read back in id
    /// order, and removing an item does not move (and rewrite) the ones after it.
    /// </summary>
    public bool Ordered { get; init; } = true;
}

/// <summary>
/// Stamps of change, from one counter for the whole process: an item takes a new stamp whenever it changes, so whoever
/// noted <see cref="Current"/> before looking at a collection need only look again at items stamped after it. A stamp
/// says "may have changed", never "unchanged since it was stored": each consumer still compares what it finds.
/// </summary>
public static class ChangeStamps
{
    private static long _last;

    public static long Next() => Interlocked.Increment(ref _last);

    public static long Current => Interlocked.Read(ref _last);

    /// <summary>
    /// Every consumer that skips unstamped items also computes the full answer and fails loudly when they differ. On in
    /// the tests (whose every path through the grains checks it), off in production.
    /// </summary>
    public static bool Verify { get; set; }
}

/// <summary>An item that takes a <see cref="ChangeStamps"/> stamp whenever any of its stored properties changes.</summary>
public interface IChangeStamped
{
    /// <summary>The stamp of the item's last change (a method, not a property: it is not part of what is stored).</summary>
    long ChangeStamp();
}

/// <summary>
/// A state whose next write carries more than itself: statements (a read model's rows) that the storage puts in the
/// write's own statement, applied only if the fenced write passes. The storage takes them once.
/// </summary>
public interface IWritesAlongside
{
    SupplyChain.Db.Alongside? TakeAlongside();
}
