using SupplyChain.Api.Http;

namespace SupplyChain.Api;

/// <summary>The API alone, as a client of a cluster of silos found through the database.</summary>
public static class ClientApiProgram
{
    public static Task<int> Main(string[] args) => StartupRefusedException.ExitCodeOf(() => BuildAsync(args));

    private static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080");
        // The API process shares the silos' database (API keys, idempotency records, read models) and finds the
        // silos through its membership table: without it there is nothing to serve.
        var connectionString = builder.Configuration.GetConnectionString(ApiSetup.ConnectionStringName);
        if (connectionString is null)
            throw new StartupRefusedException(
                "client-api needs ConnectionStrings__SupplyChain (the cluster's PostgreSQL). For a single process without a database, run the silo: dotnet run --project silo");
        var state = await SchemaGate.PrepareAsync(connectionString);
        builder.AddPlatformApi();
        builder.UseOrleansClient(client =>
        {
            client.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = builder.Configuration["SupplyChain:ClusterId"] ?? "supplychain";
                o.ServiceId = "supplychain";
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = SupplyChain.Db.Database.Tune(connectionString);
            });
            client.Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = ApiSetup.ResponseTimeout(builder.Configuration));
            // No silo yet (the API was started first, or the whole cluster restarts): wait for one instead of exiting.
            client.UseConnectionRetryFilter(async (exception, cancellation) =>
            {
                Console.Error.WriteLine($"client-api: no silo of the cluster answers yet ({exception.GetType().Name}); retrying in 2 s.");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
                return true;
            });
        });
        var app = builder.Build();
        app.MapPlatformApi();
        app.MapHome("client-api", dashboard: false);
        app.PrintBannerWhenStarted("client-api", dashboard: false, state);
        return app;
    }
}
