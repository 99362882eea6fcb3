using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SupplyChain.Db.Stores;

namespace SupplyChain.Grains.Common;

public static class CoreServices
{
    /// <summary>What grains and the API both need: stores, the clock, the rules. Safe to call twice.</summary>
    public static IServiceCollection AddPlatformCore(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(PlatformClock))) return services;
        services.AddPlatformStores(configuration.GetConnectionString("SupplyChain"));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PlatformTime(TimeProvider.System));
        services.Configure<ClockOptions>(configuration.GetSection(ClockOptions.Section));
        services.Configure<PlatformRules>(configuration.GetSection(PlatformRules.Section));
        services.Configure<Credit.CreditRules>(configuration.GetSection(Credit.CreditRules.Section));
        services.AddSingleton(sp => new Credit.Scorecard(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Credit.CreditRules>>().Value));
        services.AddSingleton<PlatformClock>();
        return services;
    }
}
