using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// A tree's lookup of fragments by id (an index kept beside the list, not stored) answers what a walk of the list
/// answers: after fragments are appended, after the list is replaced, for an unknown id, and for a duplicated id (the
/// first, as the list finds it).
/// </summary>
public sealed class FragmentIndexTests
{
    private static FragmentState F(string id, long amountFen = 100) => new() { Id = id, HolderId = "s1", AmountFen = amountFen };

    [Fact]
    public void Finds_what_the_list_holds_as_it_grows_and_when_it_is_replaced()
    {
        var state = new VoucherTreeState { Fragments = [F("a"), F("b")] };
        Assert.Same(state.Fragments[1], state.FindFragment("b"));
        Assert.Null(state.FindFragment("c"));

        state.Fragments.Add(F("c"));
        state.Fragments.Add(F("d"));
        Assert.Same(state.Fragments[2], state.FindFragment("c"));
        Assert.Same(state.Fragments[3], state.FindFragment("d"));
        Assert.Same(state.Fragments[0], state.FindFragment("a"));

        state.Fragments = [F("x"), F("a")];
        Assert.Null(state.FindFragment("b"));
        Assert.Same(state.Fragments[1], state.FindFragment("a"));
    }

    [Fact]
    public void An_id_changed_in_place_or_duplicated_answers_as_the_list()
    {
        var state = new VoucherTreeState { Fragments = [F("a"), F("b")] };
        Assert.NotNull(state.FindFragment("a"));
        state.Fragments[0].Id = "z"; // not something the ledger does; the index must still not answer for "a"
        Assert.Null(state.FindFragment("a"));
        Assert.Same(state.Fragments[0], state.FindFragment("z"));

        state.Fragments.Add(F("b", 999));
        Assert.Equal(100, state.FindFragment("b")!.AmountFen);
    }

    [Fact]
    public void The_change_log_names_what_changed_and_what_was_appended_in_list_order_and_nothing_else()
    {
        var state = new VoucherTreeState { Fragments = [F("a"), F("b"), F("c")] };
        Assert.Equal(["a", "b", "c"], state.TakeChangedFragments().Select(f => f.Id)); // a fresh state: the whole list
        Assert.Empty(state.TakeChangedFragments());

        state.Fragments[2].AmountFen = 50;
        state.Fragments[0].AmountFen = 50;
        state.Fragments[2].AmountFen = 40;
        state.Fragments.Add(F("d"));
        Assert.Equal(["a", "c", "d"], state.TakeChangedFragments().Select(f => f.Id));

        // A replaced list is taken whole; a fragment of the old list that changes afterwards is not named.
        var old = state.Fragments[1];
        state.Fragments = [F("x"), F("y")];
        Assert.Equal(["x", "y"], state.TakeChangedFragments().Select(f => f.Id));
        old.AmountFen = 1;
        state.Fragments[1].AmountFen = 1;
        Assert.Equal(["y"], state.TakeChangedFragments().Select(f => f.Id));
    }
}
