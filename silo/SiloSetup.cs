using System.Net;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Dashboard;
using SupplyChain.Db;
using SupplyChain.Grains;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Housekeeping;
using SupplyChain.Grains.Maturity;

namespace SupplyChain.Silo;

public static class SiloSetup
{
    public const string ServiceId = "supplychain";

    /// <summary>
    /// Orleans on PostgreSQL (clustering, grain storage, reminders over ADO.NET) when a connection string is given,
    /// in memory otherwise. Shared by the silo host and the tests' TestCluster, which owns cluster identity,
    /// endpoints and membership itself (<paramref name="configureEndpoints"/> false).
    /// </summary>
    public static ISiloBuilder ConfigurePlatform(this ISiloBuilder silo, IConfiguration configuration, bool configureEndpoints = true)
    {
        var connectionString = configuration.GetConnectionString("SupplyChain");
        silo.Services.AddPlatformCore(configuration);
        // The tests turn it on: whatever skips unchanged items by their change stamps also compares them all, and fails.
        if (configuration.GetValue<bool>("SupplyChain:VerifyChangeStamps")) ChangeStamps.Verify = true;
        if (configureEndpoints)
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = configuration["SupplyChain:ClusterId"] ?? "supplychain";
                o.ServiceId = ServiceId;
            });
        }
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = SupplyChain.Api.ApiSetup.ResponseTimeout(configuration));
        // Failure detection can be tuned per deployment (tests shorten it to provoke split brain quickly).
        silo.Configure<ClusterMembershipOptions>(configuration.GetSection("SupplyChain:Membership"));
        var siloPort = int.Parse(configuration["SupplyChain:SiloPort"] ?? "11111");
        var gatewayPort = int.Parse(configuration["SupplyChain:GatewayPort"] ?? "30000");

        if (connectionString is null)
        {
            if (configureEndpoints) silo.UseLocalhostClustering(siloPort, gatewayPort);
            silo.AddMemoryGrainStorage(Storage.Name);
            silo.UseInMemoryReminderService();
        }
        else
        {
            var tuned = Database.Tune(connectionString);
            if (configureEndpoints)
            {
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = tuned;
                });
            }
            // Grain state goes through the group committer, with the read models and idempotency records (see ARCHITECTURE.md).
            silo.Services.AddGrainStorage(Storage.Name, GroupCommitGrainStorage.Create);
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = tuned;
            });
        }
        // Exposure events travel on memory streams; the producing trees keep them until acknowledged (see ARCHITECTURE.md).
        // Implicit subscriptions only: no pub-sub rendezvous state to store.
        silo.AddMemoryStreams(SupplyChain.Grains.Risk.Exposures.Provider, o =>
        {
            o.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly);
            o.ConfigurePartitioning(int.Parse(configuration["SupplyChain:ExposureQueues"] ?? "2"));
            o.ConfigurePullingAgent(b => b.Configure(p => p.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(
                int.Parse(configuration["SupplyChain:ExposurePollMilliseconds"] ?? "100"))));
        });
        silo.AddDashboard();
        // The reminders are durable: registering them again only makes sure they exist. A registration that fails (the
        // grain's silo just died and the cluster has not noticed) must not stop this silo from starting: it is retried
        // in the background until it succeeds or the silo stops.
        silo.AddStartupTask((services, startCancelled) =>
        {
            var grains = services.GetRequiredService<IGrainFactory>();
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("SupplyChain.Silo.Reminders");
            var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                while (!stopping.IsCancellationRequested)
                {
                    try
                    {
                        await grains.GetGrain<IMaturitySweepGrain>(MaturitySweepGrain.Key).Start();
                        await grains.GetGrain<IIdempotencyJanitorGrain>(IdempotencyJanitorGrain.Key).Start();
                        return;
                    }
                    catch (Exception e) when (!stopping.IsCancellationRequested)
                    {
                        logger.LogWarning(e, "Could not make sure the sweep and janitor reminders exist; retrying");
                        await Task.Delay(TimeSpan.FromSeconds(5), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
                    }
                }
            }, stopping);
            return Task.CompletedTask;
        });
        return silo;
    }
}
