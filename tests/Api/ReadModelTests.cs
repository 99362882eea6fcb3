using System.Net;
using Dapper;
using SupplyChain.Grains.Maturity;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>The voucher list is a read model of the trees; a tree that died before projecting is found and projected again.</summary>
public sealed class ReadModelTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task ATreeBehindItsReadModel_IsProjectedAgainByTheSweep()
    {
        var s = fixture.Scenario;
        var (core, s1, _, _) = await s.Cast(10_000m);
        var root = await s.ActiveVoucher(core, s1, 1_000m);
        (await s1.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 400m, 600m } })).Expect(HttpStatusCode.Created);
        var before = (await s1.Client.Get("/v1/vouchers")).Expect(HttpStatusCode.OK).Text;

        // As if the process had died after storing the tree and before writing its read model.
        await using (var connection = fixture.Database.Open())
        {
            await connection.ExecuteAsync("DELETE FROM voucher_fragments WHERE root_id = @root", new { root });
            await connection.ExecuteAsync("DELETE FROM voucher_trees WHERE root_id = @root", new { root });
        }
        Assert.Equal(0, (await s1.Client.Get("/v1/vouchers")).Json.GetProperty("items").GetArrayLength());

        await fixture.Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IMaturitySweepGrain>(MaturitySweepGrain.Key).Sweep();

        Assert.Equal(before, (await s1.Client.Get("/v1/vouchers")).Expect(HttpStatusCode.OK).Text);
        await using var check = fixture.Database.Open();
        Assert.Equal(0, await check.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM orleansstorage s LEFT JOIN voucher_trees t ON t.root_id = s.grainidextensionstring
            WHERE s.graintypestring = 'voucher-tree' AND s.version > COALESCE(t.version, 0)
            """));
    }
}
