using System.Text.Json;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api.Http;

/// <summary>
/// Every answer of the API: a status, a JSON body and its media type. Serialized once, so that the
/// idempotency layer can store exactly the bytes it sends and replay them byte for byte.
/// </summary>
public sealed class ApiResponse : IResult
{
    private ApiResponse(int statusCode, string contentType, byte[] body, string? location)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Body = body;
        Location = location;
    }

    public int StatusCode { get; }
    public string ContentType { get; }
    public byte[] Body { get; }
    public string? Location { get; }

    /// <summary>The body carries a secret (an API key): the idempotency layer stores it sealed, never in plain text.</summary>
    public bool ContainsSecret { get; private init; }

    public ApiResponse WithSecret() => new(StatusCode, ContentType, Body, Location) { ContainsSecret = true };

    public static ApiResponse Ok<T>(T body) => Of(StatusCodes.Status200OK, body);

    public static ApiResponse Created<T>(string location, T body) => Of(StatusCodes.Status201Created, body, location);

    public static ApiResponse Of<T>(int status, T body, string? location = null) =>
        new(status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(body, Json.Options), location);

    public static ApiResponse Stored(int status, string contentType, byte[] body, string? location) => new(status, contentType, body, location);

    public static ApiResponse Problem(int status, string code, string title, string detail, IDictionary<string, string[]>? errors = null,
        string? correlationId = null) =>
        new(status, "application/problem+json; charset=utf-8",
            JsonSerializer.SerializeToUtf8Bytes(
                new ProblemBody($"https://supplychain.local/problems/{code}", title, status, detail, code, errors, correlationId), Json.Options),
            null);

    /// <summary>A problem titled from its code (<see cref="Titles"/>).</summary>
    public static ApiResponse Titled(int status, string code, string detail, string? correlationId = null) =>
        Problem(status, code, Titles.For(code), detail, correlationId: correlationId);

    public static ApiResponse From(Fault fault) => Problem(fault.Status, fault.Code, Titles.For(fault.Code), fault.Detail,
        fault.Field is null ? null : new Dictionary<string, string[]> { [fault.Field] = [fault.Detail] });

    public static ApiResponse Validation(IDictionary<string, string[]> errors) =>
        Problem(400, FaultCodes.ValidationFailed, Titles.For(FaultCodes.ValidationFailed), "The request is not valid; see errors.", errors);

    public static ApiResponse NotFound(string what) => From(Fault.NotFound(what));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = ContentType;
        if (Location is not null) httpContext.Response.Headers.Location = Location;
        httpContext.Response.ContentLength = Body.Length;
        await httpContext.Response.Body.WriteAsync(Body);
    }

    private sealed record ProblemBody(
        string Type,
        string Title,
        int Status,
        string Detail,
        string Code,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        IDictionary<string, string[]>? Errors,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        string? CorrelationId);
}

internal static class Titles
{
    public static string For(string code) => code switch
    {
        FaultCodes.ValidationFailed => "The request is not valid.",
        FaultCodes.Unauthenticated => "Authentication is required.",
        FaultCodes.Forbidden => "This role may not do that.",
        FaultCodes.NotFound => "Not found.",
        FaultCodes.InvalidState => "The object is not in a state that allows this.",
        FaultCodes.InsufficientLimit => "The facility has no room for this.",
        FaultCodes.LimitExceeded => "The issuance limit would be exceeded.",
        FaultCodes.TierLimit => "The maximum tier would be exceeded.",
        FaultCodes.Tenor => "The tenor is not allowed.",
        FaultCodes.IdempotencyKeyMissing => "An Idempotency-Key header is required.",
        FaultCodes.IdempotencyKeyReused => "The Idempotency-Key was used with a different request.",
        FaultCodes.IdempotencyKeyInFlight => "A request with this Idempotency-Key is still running.",
        FaultCodes.Conflict => "The request conflicts with the current state.",
        FaultCodes.RequestRejected => "The server refused the request.",
        _ => "The request failed.",
    };
}
