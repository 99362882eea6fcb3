using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Dashboard;
using SupplyChain.Api;
using SupplyChain.Api.Http;
using SupplyChain.Db;

namespace SupplyChain.Silo;

/// <summary>One silo that also serves the HTTP API.</summary>
public static class SiloProgram
{
    public static Task<int> Main(string[] args) => StartupRefusedException.ExitCodeOf(async () => await SiloHost.BuildAsync(args));
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
        string state;
        if (connectionString is null)
        {
            state = "IN MEMORY: nothing survives a restart (set ConnectionStrings__SupplyChain)";
            Console.Error.WriteLine(
                "WARNING: ConnectionStrings__SupplyChain is not set. This silo keeps ALL STATE IN MEMORY: " +
                "nothing survives a restart and no other silo can join. Set it to a PostgreSQL connection string for real use.");
        }
        else
        {
            state = await SchemaGate.PrepareAsync(connectionString);
        }

        builder.AddPlatformApi();
        builder.UseOrleans(silo => silo.ConfigurePlatform(builder.Configuration));

        var app = builder.Build();
        // A scorecard that is not one (best points not 1000, a band that does not parse) refuses the start, in one line.
        try
        {
            app.Services.GetRequiredService<SupplyChain.Grains.Credit.Scorecard>();
        }
        catch (InvalidOperationException e)
        {
            throw new StartupRefusedException($"The credit scorecard in configuration is not valid: {e.Message}");
        }
        app.MapPlatformApi();
        app.UseDashboardGuard();
        app.MapOrleansDashboard("/dashboard");
        app.MapHome("silo", dashboard: true);
        app.PrintBannerWhenStarted("silo", dashboard: true, state);
        return app;
    }
}
