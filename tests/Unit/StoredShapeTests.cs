using System.Text;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Silo;

namespace SupplyChain.Tests.Unit;

/// <summary>
/// Rows stored by the build before the reservation book and the durable outbox (until 2026-12) are read by the
/// current one: each state's Upgrade turns the old shape into the new, and the old fields are never written again.
/// </summary>
public sealed class StoredShapeTests
{
    private static readonly JsonGrainStateSerializer Json = new();

    private static T Read<T>(string json) => Json.Deserialize<T>(new BinaryData(Encoding.UTF8.GetBytes(json)));

    private static string Write<T>(T state) => Json.Serialize(state).ToString();

    [Fact]
    public void AFacilityRow_NamedItsOwnersByIdOnly_TheUpgradeTypesThem_AndDropsTheOldField()
    {
        var state = Read<FacilityState>("""
            {"FunderId":"ptf","ObligorId":"ptc","LimitFen":1000000,"AnnualRate":0.05,"ExpiresOn":"2030-01-01","AlertLevel":0,
             "Crossings":{},"PendingAlerts":[],
             "Usage":{"vcaaaaaaaaaaaaaaaaaaaa-1":{"RootId":"vcaaaaaaaaaaaaaaaaaaaa","AmountFen":400000,"Committed":true,"ReservedAt":"2026-11-01T00:00:00+00:00","Version":0},
                      "lnbbbbbbbbbbbbbbbbbbbb":{"RootId":"lnbbbbbbbbbbbbbbbbbbbb","AmountFen":250000,"Committed":false,"ReservedAt":"2026-11-02T00:00:00+00:00","Version":4}}}
            """);
        state.Upgrade();

        var fragment = state.Usage["vcaaaaaaaaaaaaaaaaaaaa-1"];
        Assert.Equal(EntityRef.Tree("vcaaaaaaaaaaaaaaaaaaaa"), fragment.Owner);
        Assert.Equal((400000L, 400000L, true), (fragment.AmountFen, fragment.RequestedFen, fragment.Committed));
        var loan = state.Usage["lnbbbbbbbbbbbbbbbbbbbb"];
        Assert.Equal(EntityRef.Loan("lnbbbbbbbbbbbbbbbbbbbb"), loan.Owner);
        Assert.Equal((250000L, 4L, false), (loan.AmountFen, loan.Version, loan.Committed));
        Assert.Equal([new OpenReservation("lnbbbbbbbbbbbbbbbbbbbb", EntityRef.Loan("lnbbbbbbbbbbbbbbbbbbbb"), loan.ReservedAt)], new ReservationBook(state.Usage).Open);

        var stored = Write(state);
        Assert.DoesNotContain("RootId", stored);
        Assert.Contains("\"Owner\":{\"Kind\":\"Loan\",\"Id\":\"lnbbbbbbbbbbbbbbbbbbbb\"}", stored);
    }

    [Fact]
    public void AnOrderRow_KeptPrincipalOutstandingAndFunder_TheUpgradeMapsThemOntoTheBook()
    {
        var state = Read<OrderState>("""
            {"PlaceOperationId":"op","BuyerId":"ptc","SupplierId":"pts","AmountFen":1000000,"PaymentDate":"2027-01-01","Reference":"r",
             "Status":"Confirmed","CancelOperationId":null,"Claim":null,
             "Loans":{"lnbbbbbbbbbbbbbbbbbbbb":{"FunderId":"ptf","PrincipalFen":500000,"OutstandingFen":300000,"Committed":true,
                                               "ReservedAt":"2026-11-02T00:00:00+00:00","Version":3}}}
            """);
        state.Upgrade();

        var loan = state.Loans["lnbbbbbbbbbbbbbbbbbbbb"];
        Assert.Equal(EntityRef.Loan("lnbbbbbbbbbbbbbbbbbbbb"), loan.Owner);
        Assert.Equal((300000L, 500000L, "ptf", 3L, true), (loan.AmountFen, loan.RequestedFen, loan.Counterparty, loan.Version, loan.Committed));
        Assert.True(new ReservationBook(state.Loans).AlreadyReserved("lnbbbbbbbbbbbbbbbbbbbb", EntityRef.Loan("lnbbbbbbbbbbbbbbbbbbbb"), 500000, "ptf"));
        var stored = Write(state);
        Assert.DoesNotContain("PrincipalFen", stored);
        Assert.DoesNotContain("OutstandingFen", stored);
        Assert.DoesNotContain("FunderId", stored);
    }

    [Fact]
    public void ALoanRow_WithUndeliveredNotices_BecomesNoticesToItsOrderAndFacility_InOrder()
    {
        const string loanId = "lnbbbbbbbbbbbbbbbbbbbb";
        var state = Read<LoanState>("""
            {"Phase":"Disbursed","OriginationOperationId":"op","BorrowerId":"pts","FunderId":"ptf","OrderId":"orcccccccccccccccccccc",
             "PrincipalFen":500000,"OutstandingFen":0,"Status":"Repaid","Version":7,
             "Outbox":[{"Kind":"FacilityClose","AmountFen":0,"Version":7},{"Kind":"OrderOutstanding","AmountFen":0,"Version":7}]}
            """);
        state.Upgrade(loanId);

        Assert.Equal(EntityRef.Order("orcccccccccccccccccccc"), state.DrawsOn);
        var facility = EntityRef.Facility(Ids.Facility("ptf", "pts"));
        Assert.Equal([(NoticeKind.Close, facility, loanId, 0L, 0L), (NoticeKind.SetAmount, EntityRef.Order("orcccccccccccccccccccc"), loanId, 0L, 7L)],
            state.Notices.Select(n => (n.Kind, n.Target, n.Item, n.AmountFen, n.Version)));
        state.Upgrade(loanId); // idempotent: nothing twice
        Assert.Equal(2, state.Notices.Count);

        var stored = Write(state);
        Assert.DoesNotContain("\"Outbox\"", stored);
        Assert.DoesNotContain("\"OrderId\"", stored);
        Assert.Equal(EntityRef.Order("orcccccccccccccccccccc"), Read<LoanState>(stored).DrawsOn);
    }

    [Fact]
    public void ATreeRow_WithUndeliveredNotices_BecomesTypedNotices()
    {
        var state = Read<VoucherTreeState>("""
            {"Phase":"Issued","ObligorId":"ptc","FaceFen":900000,
             "Outbox":[{"Kind":"ObligorCommit","Target":"ptc","Item":"vcaaaaaaaaaaaaaaaaaaaa","AmountFen":0},
                       {"Kind":"LoanSettle","Target":"lnbbbbbbbbbbbbbbbbbbbb","Item":"vcaaaaaaaaaaaaaaaaaaaa","AmountFen":123456},
                       {"Kind":"OrderReopen","Target":"orcccccccccccccccccccc","Item":"vcaaaaaaaaaaaaaaaaaaaa","AmountFen":0}]}
            """);
        state.Upgrade();

        Assert.Equal([
                (NoticeKind.Commit, EntityRef.Obligor("ptc"), 0L),
                (NoticeKind.Settle, EntityRef.Loan("lnbbbbbbbbbbbbbbbbbbbb"), 123456L),
                (NoticeKind.Reopen, EntityRef.Order("orcccccccccccccccccccc"), 0L),
            ],
            state.Notices.Select(n => (n.Kind, n.Target, n.AmountFen)));
        Assert.All(state.Notices, n => Assert.Equal("vcaaaaaaaaaaaaaaaaaaaa", n.Item));
        Assert.DoesNotContain("\"Outbox\"", Write(state));
    }

    [Fact]
    public void ACurrentRow_ReadsBackUnchanged()
    {
        var state = new ObligorState();
        new ReservationBook(state.Roots).Reserve("vcaaaaaaaaaaaaaaaaaaaa", EntityRef.Tree("vcaaaaaaaaaaaaaaaaaaaa"), 900000, DateTimeOffset.UnixEpoch);
        var stored = Write(state);
        var read = Read<ObligorState>(stored);
        read.Upgrade();
        Assert.Equal(stored, Write(read));
    }
}
