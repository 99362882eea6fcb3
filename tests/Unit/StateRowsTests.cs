using System.Text.Json;
using SupplyChain.Grains;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Silo;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// What a write sends of a state's item rows when its items take change stamps: only the items stamped since the last
/// write, unless something was removed, moved or inserted (then every item is compared). The tests run with
/// <see cref="ChangeStamps.Verify"/> on, so the stamped answer is also checked against the full comparison.
/// </summary>
public sealed class StateRowsTests
{
    private static readonly JsonSerializerOptions Json = new();

    public sealed class Bag
    {
        [StoredAsRows(IdProperty = nameof(FragmentState.Id))]
        public List<FragmentState> Fragments { get; set; } = new();

        [StoredAsRows(Immutable = true)]
        public Dictionary<string, OperationRecord> Operations { get; set; } = new();

        [StoredAsRows(IdProperty = nameof(Sneaky.Id))]
        public List<Sneaky> Sneakies { get; set; } = new();
    }

    /// <summary>Claims a change stamp but never takes a new one: the kind of mistake the verification is there to catch.</summary>
    public sealed class Sneaky : IChangeStamped
    {
        private readonly long _stamp = ChangeStamps.Next();
        public string Id { get; set; } = "";
        public long Value { get; set; }
        public long ChangeStamp() => _stamp;
    }

    private static readonly StateRows Layout = StateRows.For(typeof(Bag))!;

    private static RowChanges Write(Bag bag)
    {
        var changes = Layout.Changes(bag, Json);
        StateRows.Written(bag, changes);
        return changes;
    }

    private static FragmentState Fragment(string id, long fen) => new() { Id = id, AmountFen = fen };

    [Fact]
    public void After_the_first_write_only_the_fragments_changed_or_added_since_are_sent()
    {
        var bag = new Bag { Fragments = [Fragment("a", 1), Fragment("b", 2), Fragment("c", 3)] };
        Assert.Equal(["a", "b", "c"], Write(bag).Upserts.Select(r => r.Id));

        bag.Fragments[1].Status = VoucherStatus.Split;
        bag.Fragments.Add(Fragment("d", 1));
        bag.Fragments.Add(Fragment("e", 1));
        var second = Write(bag);
        Assert.Equal(["b", "d", "e"], second.Upserts.Select(r => r.Id));
        Assert.Equal([1, 3, 4], second.Upserts.Select(r => r.Position));
        Assert.Empty(second.Deletes);

        // A setter that leaves the value as it was takes a stamp, but sends nothing.
        bag.Fragments[0].AmountFen = 1;
        Assert.Empty(Write(bag).Upserts);
    }

    [Fact]
    public void Only_the_operations_added_since_the_last_write_are_sent()
    {
        var bag = new Bag();
        bag.Operations["op1"] = new OperationRecord { Kind = "split" };
        bag.Operations["op2"] = new OperationRecord { Kind = "transfer" };
        Assert.Equal(["op1", "op2"], Write(bag).Upserts.Select(r => r.Id).Order());

        bag.Operations["op3"] = new OperationRecord { Kind = "split" };
        Assert.Equal(["op3"], Write(bag).Upserts.Select(r => r.Id));

        // A record made before the last write and added after it carries no newer stamp: the count tells it is new.
        var early = new OperationRecord { Kind = "split" };
        Write(bag);
        bag.Operations["op4"] = early;
        Assert.Equal(["op4"], Write(bag).Upserts.Select(r => r.Id));

        bag.Operations.Remove("op1");
        Assert.Equal([("Operations", "op1")], Write(bag).Deletes);
    }

    [Fact]
    public void A_removed_or_inserted_fragment_makes_the_write_compare_every_item()
    {
        var bag = new Bag { Fragments = [Fragment("a", 1), Fragment("b", 2), Fragment("c", 3)] };
        Write(bag);

        bag.Fragments.RemoveAt(0);
        var removed = Write(bag);
        Assert.Equal([("Fragments", "a")], removed.Deletes);
        Assert.Equal([("b", (int?)0), ("c", 1)], removed.Upserts.Select(r => (r.Id, r.Position)));

        bag.Fragments.Insert(0, Fragment("z", 9));
        var inserted = Write(bag);
        Assert.Equal([("z", (int?)0), ("b", 1), ("c", 2)], inserted.Upserts.Select(r => (r.Id, r.Position)));
    }

    [Fact]
    public void A_change_that_takes_no_stamp_is_caught_by_the_verification()
    {
        Assert.True(ChangeStamps.Verify);
        var bag = new Bag { Sneakies = [new Sneaky { Id = "s", Value = 1 }] };
        Write(bag);

        bag.Sneakies[0].Value = 2;
        var failure = Assert.Throws<InvalidOperationException>(() => Layout.Changes(bag, Json));
        Assert.Contains("missed a change", failure.Message);
    }
}
