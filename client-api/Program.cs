namespace SupplyChain.Api;

/// <summary>The API alone, as a client of a cluster of silos found through the database.</summary>
public static class ClientApiProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080");
        builder.AddPlatformApi();
        // The API process shares the silos' database (API keys, idempotency records, read models) and finds the
        // silos through its membership table: without it there is nothing to serve.
        var connectionString = builder.Configuration.GetConnectionString(ApiSetup.ConnectionStringName)
            ?? throw new InvalidOperationException(
                "client-api needs ConnectionStrings__SupplyChain (the cluster's PostgreSQL). For a single process without a database, run the silo: dotnet run --project silo");
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
        });
        var app = builder.Build();
        app.MapPlatformApi();
        await app.RunAsync();
    }
}
