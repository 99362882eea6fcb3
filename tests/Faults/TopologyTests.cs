using System.Net;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Faults;

/// <summary>The production topology in miniature: two silo processes and one client-api process on one database.</summary>
public sealed class TopologyTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new("topology");
    private SiloProcess _silo1 = null!;
    private SiloProcess _silo2 = null!;
    private SiloProcess _api = null!;

    public async Task InitializeAsync()
    {
        _silo1 = new SiloProcess(_db.ConnectionString);
        await _silo1.StartAsync();
        _silo2 = new SiloProcess(_db.ConnectionString);
        await _silo2.StartAsync();
        _api = new SiloProcess(_db.ConnectionString, "SupplyChain.ClientApi");
        await _api.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _silo2.DisposeAsync();
        await _silo1.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public async Task TheClientApi_AndBothSilos_ServeOneCluster()
    {
        var viaApi = new Scenario(key => _api.Client(key));
        var (core, s1, bank, facility) = await viaApi.Cast(100_000m);
        var root = await viaApi.ActiveVoucher(core, s1, 10_000m);
        (await s1.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 4_000m })).Expect(HttpStatusCode.Created);

        // The same keys work on every process, and every process sees the same state.
        foreach (var process in new[] { _silo1, _silo2 })
        {
            var voucher = (await process.Client(s1.Client.ApiKey).Get($"/v1/vouchers/{root}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal("transferred", voucher.GetProperty("status").GetString());
            Assert.Equal(4_000m, (await process.Client(bank.Client.ApiKey).Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        }
        await new Scenario(key => _silo2.Client(key)).ExposuresReconcile(TimeSpan.FromSeconds(30), "exposures reconcile across the cluster");
    }
}
