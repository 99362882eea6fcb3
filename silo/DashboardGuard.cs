using SupplyChain.Api.Http;
using SupplyChain.Grains.Common;

namespace SupplyChain.Silo;

/// <summary>
/// The Orleans dashboard takes a silo address in some paths and throws (a 500) on one it cannot parse. Such a path
/// names no silo: 404, as a problem, before the dashboard sees it. (The operator key is checked before this.)
/// </summary>
public static class DashboardGuard
{
    private static readonly string[] SiloPaths = ["SiloProperties", "SiloStats", "SiloCounters", "SiloMetadata"];

    public static WebApplication UseDashboardGuard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/dashboard", out var rest))
            {
                var segments = rest.Value?.Trim('/').Split('/') ?? [];
                var badSilo = segments.Length == 2 && SiloPaths.Contains(segments[0]) && !IsSiloAddress(Uri.UnescapeDataString(segments[1]));
                var badHistory = segments.Length >= 1 && segments[0] == "HistoricalStats" && (segments.Length != 2 || !IsSiloAddress(Uri.UnescapeDataString(segments[1])));
                if (badSilo || badHistory)
                {
                    await ApiResponse.NotFound("Silo").ExecuteAsync(context);
                    return;
                }
            }
            await next(context);
        });
        return app;
    }

    private static bool IsSiloAddress(string text)
    {
        try
        {
            SiloAddress.FromParsableString(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
