using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;
using SupplyChain.Db;
using SupplyChain.Silo;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// A two-silo TestCluster whose grain storage is Orleans' ADO.NET provider on a fresh PostgreSQL database
/// (membership stays TestCluster's own). Settings reach the silos through configuration, since
/// TestCluster builds its configurators by reflection.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestDatabase Database { get; } = new("cluster");

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        await using (var dataSource = NpgsqlDataSource.Create(Database.ConnectionString))
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).RunAsync();

        var builder = new TestClusterBuilder(2);
        builder.Properties["ConnectionStrings:SupplyChain"] = Database.ConnectionString;
        builder.Properties["SupplyChain:Clock:Manual"] = "true";
        builder.Properties["SupplyChain:Rules:ReservationTimeout"] = "00:00:01";
        builder.AddSiloBuilderConfigurator<PlatformSilo>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Database.Dispose();
    }

    private sealed class PlatformSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.ConfigurePlatform(siloBuilder.Configuration, configureEndpoints: false);
    }
}
