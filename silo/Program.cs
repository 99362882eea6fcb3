using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Dashboard;
using SupplyChain.Api;
using SupplyChain.Db;

namespace SupplyChain.Silo;

/// <summary>One silo that also serves the HTTP API.</summary>
public static class SiloProgram
{
    public static async Task Main(string[] args)
    {
        var app = await SiloHost.BuildAsync(args);
        await app.RunAsync();
    }
}

public static class SiloHost
{
    /// <summary>Builds the silo with its co-hosted API; tests call this with their own configuration and services.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080");
        var connectionString = builder.Configuration.GetConnectionString(ApiSetup.ConnectionStringName);
        if (connectionString is null)
        {
            Console.Error.WriteLine(
                "WARNING: ConnectionStrings__SupplyChain is not set. This silo keeps ALL STATE IN MEMORY: " +
                "nothing survives a restart and no other silo can join. Set it to a PostgreSQL connection string for real use.");
        }
        else
        {
            // The schema must be current before Orleans' ADO.NET providers start.
            await using var dataSource = NpgsqlDataSource.Create(Database.Tune(connectionString, defaultMaxPoolSize: 2));
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).RunAsync();
        }

        builder.AddPlatformApi();
        builder.UseOrleans(silo => silo.ConfigurePlatform(builder.Configuration));

        var app = builder.Build();
        app.MapPlatformApi();
        app.MapOrleansDashboard("/dashboard");
        return app;
    }
}
