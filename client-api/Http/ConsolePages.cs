using System.Collections.Concurrent;

namespace SupplyChain.Api.Http;

/// <summary>
/// The risk console (GET /console): static files built into this assembly (client-api/Console), so a silo, a client-api
/// and their published binaries all serve the same page, and nothing is fetched from outside the host at run time.
/// The page reads the API with the key its user signs in with; it has no privileges of its own.
/// </summary>
public static class ConsolePages
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new()
    {
        ["/console"] = ("console/index.html", "text/html; charset=utf-8"),
        ["/console/console.js"] = ("console/console.js", "text/javascript; charset=utf-8"),
        ["/console/console.css"] = ("console/console.css", "text/css; charset=utf-8"),
        ["/console/vendor/echarts.min.js"] = ("console/vendor/echarts.min.js", "text/javascript; charset=utf-8"),
        ["/console/vendor/LICENSE-echarts.txt"] = ("console/vendor/LICENSE-echarts.txt", "text/plain; charset=utf-8"),
    };

    /// <summary>Only this host: scripts, styles, data and connections; no frames, no other origin.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly ConcurrentDictionary<string, byte[]> Cache = new();

    public static WebApplication MapConsole(this WebApplication app)
    {
        foreach (var (path, (resource, contentType)) in Files)
        {
            app.MapGet(path, (HttpContext http) =>
            {
                var bytes = Cache.GetOrAdd(resource, Read);
                http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            }).ExcludeFromDescription();
        }
        return app;
    }

    private static byte[] Read(string resource)
    {
        using var stream = typeof(ConsolePages).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The console file {resource} is not built into the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
