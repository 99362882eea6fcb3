using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api.Http;

public sealed class ApiOptions
{
    public const string Section = "SupplyChain";

    /// <summary>The operator's API key; generated and printed once at start when not configured.</summary>
    public string? OperatorKey { get; set; }

    /// <summary>Whether this process generated <see cref="OperatorKey"/> (the start banner then shows it, once).</summary>
    public bool OperatorKeyGenerated { get; set; }

    /// <summary>How long a request may hold its Idempotency-Key before a retry may take it over (its process died).</summary>
    public int IdempotencyLeaseSeconds { get; set; } = 60;
}

/// <summary>
/// Resolves <c>Authorization: Bearer &lt;key&gt;</c> on every /v1 request to a <see cref="Caller"/>; 401 otherwise.
/// Keys are looked up by their SHA-256; the operator's key comes from configuration.
/// </summary>
public sealed class ApiKeyAuthentication(RequestDelegate next, IApiKeyStore keys, IOptions<ApiOptions> options)
{
    private readonly byte[] _operatorHash = ApiKeyHash.Of(options.Value.OperatorKey ?? throw new InvalidOperationException("No operator key."));
    private readonly ConcurrentDictionary<string, Caller> _cache = new();

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/dashboard"))
        {
            await OperatorOnly(context);
            return;
        }
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var caller = string.IsNullOrEmpty(key) || key.Length > 200 ? null : await Resolve(key);
        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiResponse.Problem(401, FaultCodes.Unauthenticated, "Authentication is required.",
                "Send a valid API key as 'Authorization: Bearer <apiKey>'.").ExecuteAsync(context);
            return;
        }
        context.SetCaller(caller);
        await next(context);
    }

    /// <summary>
    /// The Orleans dashboard shows every grain and silo of the cluster: the operator's key only. A browser sends it as
    /// the password of HTTP Basic authentication (any user name); a script may send it as a Bearer token.
    /// </summary>
    private async Task OperatorOnly(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        string? key = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = header["Bearer ".Length..].Trim();
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':');
                key = colon < 0 ? null : pair[(colon + 1)..];
            }
            catch (FormatException)
            {
                key = null;
            }
        }
        if (key is { Length: > 0 and <= 200 } && CryptographicOperations.FixedTimeEquals(ApiKeyHash.Of(key), _operatorHash))
        {
            await next(context);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"Orleans dashboard (user: any, password: the operator key)\", charset=\"UTF-8\"";
        await ApiResponse.Problem(401, FaultCodes.Unauthenticated, "Authentication is required.",
            "The dashboard is for the operator: give the operator key as the password (any user name).").ExecuteAsync(context);
    }

    private async Task<Caller?> Resolve(string key)
    {
        if (CryptographicOperations.FixedTimeEquals(ApiKeyHash.Of(key), _operatorHash)) return Caller.Operator;
        if (_cache.TryGetValue(key, out var cached)) return cached;
        var owner = await keys.FindAsync(key);
        if (owner is null || !Enum.TryParse<Role>(owner.Role, ignoreCase: true, out var role)) return null;
        var caller = new Caller(owner.PrincipalId, role, owner.FunderScope);
        if (_cache.Count < 100_000) _cache[key] = caller;
        return caller;
    }
}

public static class CallerAccess
{
    private const string Key = "supplychain.caller";

    public static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;

    public static Caller Caller(this HttpContext context) =>
        context.Items[Key] as Caller ?? throw new InvalidOperationException("The request was not authenticated.");

    /// <summary>Refuses, with 403, every role that may never call the endpoint.</summary>
    public static TBuilder AllowRoles<TBuilder>(this TBuilder builder, params Role[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RolesMetadata(roles)).AddEndpointFilter(async (ctx, next) =>
        {
            var caller = ctx.HttpContext.Caller();
            return roles.Contains(caller.Role)
                ? await next(ctx)
                : ApiResponse.Problem(403, FaultCodes.Forbidden, "This role may not do that.",
                    $"A {caller.Role.ToString().ToLowerInvariant()} may not call this endpoint.");
        });
}
