namespace SupplyChain.Api;

/// <summary>The API alone, as a client of a cluster of silos found through the database.</summary>
public static class ClientApiProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080");
        builder.AddPlatformApi();
        var connectionString = builder.Configuration.GetConnectionString(ApiSetup.ConnectionStringName);
        builder.UseOrleansClient(client =>
        {
            client.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = builder.Configuration["SupplyChain:ClusterId"] ?? "supplychain";
                o.ServiceId = "supplychain";
            });
            if (connectionString is null)
            {
                Console.Error.WriteLine("WARNING: ConnectionStrings__SupplyChain is not set: looking for a silo on localhost and keeping API keys and idempotency records IN MEMORY.");
                client.UseLocalhostClustering(int.Parse(builder.Configuration["SupplyChain:GatewayPort"] ?? "30000"));
            }
            else
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = SupplyChain.Db.Database.Tune(connectionString);
                });
            }
        });
        var app = builder.Build();
        app.MapPlatformApi();
        await app.RunAsync();
    }
}
