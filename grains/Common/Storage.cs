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
