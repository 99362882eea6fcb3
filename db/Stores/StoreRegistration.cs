using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SupplyChain.Db.Stores;

public static class StoreRegistration
{
    /// <summary>PostgreSQL stores when a connection string is given, in-memory ones otherwise.</summary>
    public static IServiceCollection AddPlatformStores(this IServiceCollection services, string? connectionString)
    {
        if (connectionString is null)
        {
            services.AddSingleton<IApiKeyStore, InMemoryApiKeyStore>();
            services.AddSingleton<IIdempotencyStore, InMemoryIdempotencyStore>();
            services.AddSingleton<IVoucherIndex, InMemoryVoucherIndex>();
            services.AddSingleton<ILoanIndex, InMemoryLoanIndex>();
            services.AddSingleton<IGroupPoolIndex, InMemoryGroupPoolIndex>();
            services.AddSingleton<IExposureStore, InMemoryExposureStore>();
            services.AddSingleton<IAlertStore, InMemoryAlertStore>();
            services.AddSingleton<ICreditIndex, InMemoryCreditIndex>();
            return services;
        }
        services.AddSingleton(_ => NpgsqlDataSource.Create(Database.Tune(connectionString)));
        services.AddSingleton(sp => new GroupCommit(sp.GetRequiredService<NpgsqlDataSource>(), new GroupCommitOptions(),
            sp.GetRequiredService<ILogger<GroupCommit>>()));
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<IApiKeyStore, PostgresApiKeyStore>();
        services.AddSingleton<IIdempotencyStore, PostgresIdempotencyStore>();
        services.AddSingleton<IVoucherIndex, PostgresVoucherIndex>();
        services.AddSingleton<ILoanIndex, PostgresLoanIndex>();
        services.AddSingleton<IGroupPoolIndex, PostgresGroupPoolIndex>();
        services.AddSingleton<IExposureStore, PostgresExposureStore>();
        services.AddSingleton<IAlertStore, PostgresAlertStore>();
        services.AddSingleton<ICreditIndex, PostgresCreditIndex>();
        return services;
    }
}
