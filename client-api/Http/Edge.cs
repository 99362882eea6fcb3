using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api.Http;

/// <summary>
/// The API's edge: what every request passes before any endpoint runs, and what answers when nothing else did.
/// Ids in a path are checked here, once, for all endpoints; anything that escapes an endpoint becomes a logged
/// 500 problem with a correlation id and nothing of its internals.
/// </summary>
public static class Edge
{
    /// <summary>Route values that are not ids (they are checked by their endpoint against a fixed set).</summary>
    private static readonly HashSet<string> NotIds = new(StringComparer.OrdinalIgnoreCase) { "kind" };

    /// <summary>
    /// A path id that cannot be an id (empty, blank, too long, characters no id has) names nothing: 404, as for an
    /// id that does not exist, before it can reach a grain key (which Orleans refuses with an exception) or a query.
    /// </summary>
    public static RouteGroupBuilder RequireWellFormedIds(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (ctx, next) =>
        {
            foreach (var (name, value) in ctx.HttpContext.Request.RouteValues)
            {
                if (NotIds.Contains(name)) continue;
                if (!Ids.IsWellFormed(value as string)) return ApiResponse.NotFound("Resource");
            }
            return await next(ctx);
        });
        return group;
    }

    /// <summary>The correlation id of a request: its trace id, which every log line of the request carries.</summary>
    public static string CorrelationId(HttpContext context) => Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;

    /// <summary>
    /// The last resort. A request the server itself refused while reading it (a body over the size limit, a body
    /// cut short) answers with its own 4xx status as a problem; anything else answers 500 with a correlation id.
    /// The exception was already logged, with the same trace id, by the exception-handler middleware.
    /// </summary>
    public static async Task HandleUnexpected(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var correlationId = CorrelationId(context);
        context.Response.Headers["X-Correlation-Id"] = correlationId;
        ApiResponse problem = error is BadHttpRequestException bad && bad.StatusCode is >= 400 and < 500
            ? ApiResponse.Titled(bad.StatusCode, FaultCodes.RequestRejected,
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is larger than the server accepts."
                    : "The request could not be read as HTTP.", correlationId: correlationId)
            : ApiResponse.Titled(500, FaultCodes.InternalError,
                "The request could not be completed. It is safe to retry with the same Idempotency-Key; " +
                "quote the correlation id if it persists.", correlationId: correlationId);
        await problem.ExecuteAsync(context);
    }

    /// <summary>
    /// A status the framework set without a body (405 for a method a path does not take, 415, 404 of a static page):
    /// a problem document too, so that every 4xx a client sees can be read the same way.
    /// </summary>
    public static async Task ProblemForBareStatus(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var (code, detail) = status switch
        {
            404 => (FaultCodes.NotFound, "Nothing is at this path."),
            405 => (FaultCodes.RequestRejected, $"This path does not take {http.Request.Method}."),
            >= 500 => (FaultCodes.InternalError, "The request could not be completed."),
            _ => (FaultCodes.RequestRejected, "The server refused the request."),
        };
        await ApiResponse.Titled(status, code, detail, status >= 500 ? CorrelationId(http) : null).ExecuteAsync(http);
    }

    /// <summary>Any other path outside /v1 that matches nothing: a problem too, not an empty 404.</summary>
    public static IResult NotFoundOutsideApi() => ApiResponse.NotFound("Page");
}
