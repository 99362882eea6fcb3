using Dapper;
using Orleans.Storage;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Participants;
using SupplyChain.Grains.Protocol;
using SupplyChain.Grains.Vouchers;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Grains;

/// <summary>Grains on two silos with ADO.NET storage on PostgreSQL: limits, reservations, fencing, one row per grain.</summary>
public sealed class ClusterGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IGrainFactory G => fixture.Grains;

    private static string NewKey(string purpose) => Ids.Derive(purpose, Guid.NewGuid().ToString());

    private async Task<(string Core, string Supplier, string Funder)> Parties()
    {
        var core = "pt" + NewKey("core");
        var supplier = "pt" + NewKey("supplier");
        var funder = "pt" + NewKey("funder");
        await G.GetGrain<IParticipantGrain>(core).Register("core", Role.Core, null);
        await G.GetGrain<IParticipantGrain>(supplier).Register("supplier", Role.Supplier, null);
        await G.GetGrain<IParticipantGrain>(funder).Register("funder", Role.Funder, null);
        return (core, supplier, funder);
    }

    private async Task<string> Grant(string funder, string obligor, decimal limit)
    {
        var id = Ids.Facility(funder, obligor);
        var granted = await G.GetGrain<IFacilityGrain>(id).Grant(new FacilityTerms(funder, obligor, Money.FromYuan(limit), 0.05m, new DateOnly(2035, 1, 1)));
        Assert.True(granted.IsOk);
        return id;
    }

    private async Task<DateOnly> Today() => await G.GetGrain<SupplyChain.Grains.Clock.IClockGrain>("platform").Today();

    [Fact]
    public async Task Issuance_ReservesTheObligorsLimit_AndRefusesAboveIt_ChangingNothing()
    {
        var (core, supplier, funder) = await Parties();
        await Grant(funder, core, 1_000m);
        var caller = new Caller(core, Role.Core);
        var maturity = (await Today()).AddDays(30);

        var first = await G.GetGrain<IVoucherTreeGrain>(Ids.VoucherRoot(NewKey("op"))).Issue(caller, "op1", new IssueVoucher(supplier, Money.FromYuan(700), maturity, null));
        Assert.True(first.IsOk);
        var secondRoot = Ids.VoucherRoot(NewKey("op"));
        var second = await G.GetGrain<IVoucherTreeGrain>(secondRoot).Issue(caller, "op2", new IssueVoucher(supplier, Money.FromYuan(300.01m), maturity, null));
        Assert.Equal(FaultCodes.LimitExceeded, second.Fault!.Code);

        var position = await G.GetGrain<IObligorGrain>(core).GetPosition(await Today());
        Assert.Equal(Money.FromYuan(700), position.Outstanding);
        Assert.Equal(FaultCodes.NotFound, (await G.GetGrain<IVoucherTreeGrain>(secondRoot).Get(Caller.Operator, secondRoot)).Fault!.Code);

        // Retrying the first operation returns the first result and reserves nothing more.
        var again = await G.GetGrain<IVoucherTreeGrain>(first.Value!.RootId).Issue(caller, "op1", new IssueVoucher(supplier, Money.FromYuan(700), maturity, null));
        Assert.Equal(first.Value, again.Value);
        Assert.Equal(Money.FromYuan(700), (await G.GetGrain<IObligorGrain>(core).GetPosition(await Today())).Outstanding);
    }

    [Fact]
    public async Task Discount_UsesTheFacility_AndARetryDoesNotUseItTwice()
    {
        var (core, supplier, funder) = await Parties();
        var facilityId = await Grant(funder, core, 7_000m);
        await G.GetGrain<IObligorGrain>(core).SetOperatorLimit(Money.FromYuan(1_000_000)); // issuance is not what this test is about
        var root = Ids.VoucherRoot(NewKey("op"));
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        var holder = new Caller(supplier, Role.Supplier);
        Assert.True((await tree.Issue(new Caller(core, Role.Core), "issue", new IssueVoucher(supplier, Money.FromYuan(8_000), (await Today()).AddDays(72), null))).IsOk);
        Assert.True((await tree.Accept(holder, "accept", root)).IsOk);

        var discounted = await tree.Discount(holder, "disc", root, funder, Money.FromYuan(6_000));
        Assert.True(discounted.IsOk, discounted.Fault?.Detail);
        Assert.Equal(Money.FromYuan(60), discounted.Value!.Charge); // 6000 × 0.05 × 72 / 360
        var retried = await tree.Discount(holder, "disc", root, funder, Money.FromYuan(6_000));
        Assert.Equal(discounted.Value.Financed, retried.Value!.Financed);

        var facility = (await G.GetGrain<IFacilityGrain>(facilityId).Get())!;
        Assert.Equal(Money.FromYuan(6_000), facility.Used);
        var over = await tree.Discount(holder, "disc2", discounted.Value.Remainder!.Id, funder, Money.FromYuan(2_000));
        Assert.Equal(FaultCodes.InsufficientLimit, over.Fault!.Code);
        Assert.Equal(Money.FromYuan(6_000), (await G.GetGrain<IFacilityGrain>(facilityId).Get())!.Used);
        Assert.Equal(VoucherStatus.Active, (await tree.Get(holder, discounted.Value.Remainder.Id)).Value!.Status);
    }

    [Fact]
    public async Task AReservationThatNeverTookEffect_IsReleasedByTheSweep()
    {
        var (core, supplier, funder) = await Parties();
        var facilityId = await Grant(funder, core, 10_000m);
        var root = Ids.VoucherRoot(NewKey("op"));
        var tree = G.GetGrain<IVoucherTreeGrain>(root);
        Assert.True((await tree.Issue(new Caller(core, Role.Core), "issue", new IssueVoucher(supplier, Money.FromYuan(5_000), (await Today()).AddDays(30), null))).IsOk);

        // As if a tree had reserved room and died before storing the discount.
        var facility = G.GetGrain<IFacilityGrain>(facilityId);
        Assert.True((await facility.Reserve(Ids.Fragment(root, 77), EntityRef.Tree(root), Money.FromYuan(4_000), await Today())).IsOk);
        Assert.Equal(Money.FromYuan(4_000), (await facility.Get())!.Used);

        await Eventually.True(async () => (await facility.Get())!.Used == Money.Zero, TimeSpan.FromSeconds(20), "the open reservation is released");
    }

    [Fact]
    public async Task AnIssuanceThatNeverCompleted_IsReleasedByTheSweep()
    {
        var (core, _, funder) = await Parties();
        await Grant(funder, core, 1_000m);
        var obligor = G.GetGrain<IObligorGrain>(core);
        // As if a tree had reserved the limit and died before storing its root: the tree has no state.
        Assert.True((await obligor.Reserve(Ids.VoucherRoot(NewKey("op")), Money.FromYuan(900), await Today())).IsOk);
        Assert.Equal(Money.FromYuan(900), (await obligor.GetPosition(await Today())).Outstanding);
        await Eventually.True(async () => (await obligor.GetPosition(await Today())).Outstanding == Money.Zero, TimeSpan.FromSeconds(20),
            "the open issuance reservation is released");
    }

    [Fact]
    public async Task AStaleActivation_FailsToWrite_AndTheGrainReloadsWhatIsStored()
    {
        var key = "pt" + NewKey("obligor");
        var obligor = G.GetGrain<IObligorGrain>(key);
        await obligor.SetOperatorLimit(Money.FromYuan(100));

        // Another activation of the same grain wrote in between: the stored version moved on.
        await using (var connection = fixture.Database.Open())
        {
            var bumped = await connection.ExecuteAsync(
                "UPDATE orleansstorage SET version = version + 1 WHERE grainidextensionstring = @key", new { key });
            Assert.Equal(1, bumped);
        }

        await Assert.ThrowsAsync<InconsistentStateException>(() => obligor.SetOperatorLimit(Money.FromYuan(300)));
        var reloaded = await obligor.GetPosition(new DateOnly(2026, 1, 1));
        Assert.Equal(Money.FromYuan(100), reloaded.OperatorLimit);
        await obligor.SetOperatorLimit(Money.FromYuan(300));
        Assert.Equal(Money.FromYuan(300), (await obligor.GetPosition(new DateOnly(2026, 1, 1))).OperatorLimit);
    }

    [Fact]
    public async Task TheStorageTable_HoldsOneRowPerGrain()
    {
        var key = "pt" + NewKey("participant");
        await G.GetGrain<IParticipantGrain>(key).Register("one", Role.Supplier, null);
        await using var connection = fixture.Database.Open();
        var duplicate = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            """
            INSERT INTO orleansstorage (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, version)
            SELECT grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, 1
            FROM orleansstorage WHERE grainidextensionstring = @key
            """, new { key }));
        Assert.Equal("23505", duplicate.SqlState);
        Assert.Equal(0, await Oracles.GrainsWithTwoRows(connection));
    }

    [Fact]
    public async Task ReservationBooks_AreStoredARowEach_BesideTheGrainsOwnRow()
    {
        var (core, supplier, funder) = await Parties();
        var facilityId = await Grant(funder, core, 10_000m);
        var holder = new Caller(supplier, Role.Supplier);
        var roots = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var root = Ids.VoucherRoot(NewKey("op"));
            var tree = G.GetGrain<IVoucherTreeGrain>(root);
            Assert.True((await tree.Issue(new Caller(core, Role.Core), "issue", new IssueVoucher(supplier, Money.FromYuan(100), (await Today()).AddDays(30), null))).IsOk);
            Assert.True((await tree.Accept(holder, "accept", root)).IsOk);
            roots.Add(root);
        }
        Assert.True((await G.GetGrain<IVoucherTreeGrain>(roots[0]).Discount(holder, "disc", roots[0], funder, Money.FromYuan(100))).IsOk);

        await using var connection = fixture.Database.Open();
        var rows = (await connection.QueryAsync<(string Type, string Key, string Kind, string Id)>(
            "SELECT graintype, grainkey, kind, id FROM grain_rows WHERE grainkey IN (@core, @facilityId)", new { core, facilityId })).ToList();
        Assert.Equal(roots.Order(), rows.Where(r => r.Type == "obligor" && r.Kind == "Roots").Select(r => r.Id).Order());
        Assert.Equal([roots[0]], rows.Where(r => r.Type == "facility" && r.Kind == "Usage").Select(r => r.Id));
        // The grains' own rows no longer carry the books: a new entry writes one row, not the whole book again.
        var own = await connection.QueryAsync<string>(
            "SELECT convert_from(payloadbinary, 'UTF8') FROM orleansstorage WHERE grainidextensionstring IN (@core, @facilityId)", new { core, facilityId });
        Assert.All(own, payload => Assert.DoesNotContain(roots[0], payload));

        // Read back by new activations, the books are what they were.
        await G.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(Money.FromYuan(300), (await G.GetGrain<IObligorGrain>(core).GetPosition(await Today())).Outstanding);
        Assert.Equal(Money.FromYuan(100), (await G.GetGrain<IFacilityGrain>(facilityId).Get())!.Used);
    }
}
