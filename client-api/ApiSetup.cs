using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;
using SupplyChain.Api.Apis;
using SupplyChain.Api.Http;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api;

public static class ApiSetup
{
    public const string ConnectionStringName = "SupplyChain";

    /// <summary>
    /// How long a grain call may take before it fails (Orleans' default is 30 s). A call caught by a silo that died
    /// fails within this time, well inside an HTTP client's patience, and the client retries with its Idempotency-Key.
    /// <c>SupplyChain:ResponseTimeoutSeconds</c>, 10 by default.
    /// </summary>
    public static TimeSpan ResponseTimeout(IConfiguration configuration) =>
        TimeSpan.FromSeconds(int.Parse(configuration["SupplyChain:ResponseTimeoutSeconds"] ?? "10"));

    /// <summary>Registers what the HTTP API needs, in a silo and in a client-api process alike.</summary>
    public static WebApplicationBuilder AddPlatformApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddPlatformCore(builder.Configuration);
        builder.UseProblemsForServerRejections();
        builder.Services.Configure<ApiOptions>(builder.Configuration.GetSection(ApiOptions.Section));
        builder.Services.PostConfigure<ApiOptions>(o =>
        {
            if (!string.IsNullOrEmpty(o.OperatorKey)) return;
            o.OperatorKey = ApiKeyHash.NewKey();
            o.OperatorKeyGenerated = true;
        });
        builder.Services.AddSingleton<TreeBatcher>();
        builder.Services.AddPlatformOpenApi();
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
            o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
        });
        return builder;
    }

    public static WebApplication MapPlatformApi(this WebApplication app)
    {
        app.UseExceptionHandler(errors => errors.Run(Edge.HandleUnexpected));
        app.UseStatusCodePages(Edge.ProblemForBareStatus);
        app.UseMiddleware<ApiKeyAuthentication>();

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Supply-chain finance API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });

        var v1 = app.MapGroup("/v1").RequireWellFormedIds();
        v1.MapParticipantsApi();
        v1.MapFacilitiesApi();
        v1.MapVouchersApi();
        v1.MapLendingApi();
        v1.MapGroupsApi();
        v1.MapRiskPoolsApi();
        v1.MapCreditApi();
        v1.MapRiskApi();
        v1.MapAdminApi();
        app.MapConsole();
        app.MapFallback("/v1/{**rest}", () => ApiResponse.NotFound("Resource"));
        app.MapFallback(Edge.NotFoundOutsideApi);
        return app;
    }
}

/// <summary>Ready when a grain call answers (so the cluster and its storage are up) and, with PostgreSQL, the database answers.</summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<SupplyChain.Grains.Participants.IParticipantGrain>("health-probe").Get().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            if (services.GetService<Npgsql.NpgsqlDataSource>() is { } db)
            {
                await using var command = db.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("The cluster or the database does not answer.", e);
        }
    }
}
