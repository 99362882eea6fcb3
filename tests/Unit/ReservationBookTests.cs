using SupplyChain.Grains.Protocol;

namespace SupplyChain.Tests.Unit;

/// <summary>The bookkeeping every limit holder shares: each call idempotent, and saying whether it changed anything.</summary>
public sealed class ReservationBookTests
{
    private static readonly EntityRef Loan = EntityRef.Loan("ln1");
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public void AReserve_IsKnownToARetryWithTheSameTerms_AndConflictsWithOtherTerms()
    {
        var book = new ReservationBook(new());
        Assert.Null(book.AlreadyReserved("ln1", Loan, 500, "f1"));
        book.Reserve("ln1", Loan, 500, At, "f1");
        Assert.True(book.AlreadyReserved("ln1", Loan, 500, "f1"));
        Assert.False(book.AlreadyReserved("ln1", Loan, 501, "f1"));
        Assert.False(book.AlreadyReserved("ln1", Loan, 500, "f2"));
        Assert.False(book.AlreadyReserved("ln1", EntityRef.Tree("ln1"), 500, "f1"));
        Assert.Equal(500, book.UsedFen);
    }

    [Fact]
    public void ARelease_DropsAnOpenReservation_ButNeverACommittedOne()
    {
        var book = new ReservationBook(new());
        book.Reserve("a", Loan, 100, At);
        book.Reserve("b", Loan, 200, At);
        Assert.True(book.Commit("b"));
        Assert.False(book.Commit("b"));
        Assert.True(book.Release("a"));
        Assert.False(book.Release("a"));
        Assert.False(book.Release("b"));
        Assert.Equal(200, book.UsedFen);
        Assert.True(book.Close("b"));
        Assert.False(book.Close("b"));
        Assert.Equal(0, book.UsedFen);
    }

    [Fact]
    public void SetAmount_AppliesOnlyNewerVersions_AndCommits()
    {
        var book = new ReservationBook(new());
        book.Reserve("ln1", Loan, 500, At);
        Assert.True(book.SetAmount("ln1", 300, 2));
        Assert.False(book.SetAmount("ln1", 400, 1));
        Assert.False(book.SetAmount("ln1", 400, 2));
        Assert.False(book.SetAmount("unknown", 1, 9));
        Assert.Equal(300, book.UsedFen);
        Assert.Empty(book.Open);
        Assert.True(book.AlreadyReserved("ln1", Loan, 500), "a retry compares with what was asked, not with what is used now");
    }

    [Fact]
    public void Open_ListsTheUncommittedReservations_WithTheirOwners()
    {
        var book = new ReservationBook(new());
        book.Reserve("vc1", EntityRef.Tree("vc1"), 100, At);
        book.Reserve("ln1", Loan, 100, At.AddSeconds(1));
        book.Commit("vc1");
        Assert.Equal([new OpenReservation("ln1", Loan, At.AddSeconds(1))], book.Open);
    }
}
