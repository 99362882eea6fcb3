namespace SupplyChain.Grains.Common;

/// <summary>Why an operation was refused. Nothing was changed when a fault is returned.</summary>
[GenerateSerializer, Immutable, Alias("Fault")]
public sealed record Fault(
    [property: Id(0)] string Code,
    [property: Id(1)] int Status,
    [property: Id(2)] string Detail,
    [property: Id(3)] string? Field = null)
{
    public static Fault NotFound(string what) => new(FaultCodes.NotFound, 404, $"{what} was not found.");
    public static Fault Forbidden(string detail) => new(FaultCodes.Forbidden, 403, detail);
    public static Fault InvalidState(string detail) => new(FaultCodes.InvalidState, 409, detail);
    public static Fault Conflict(string detail) => new(FaultCodes.Conflict, 409, detail);
    public static Fault Validation(string field, string detail) => new(FaultCodes.ValidationFailed, 400, detail, field);
}

public static class FaultCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string InvalidState = "invalid_state";
    public const string InsufficientLimit = "insufficient_limit";
    public const string LimitExceeded = "limit_exceeded";
    public const string TierLimit = "tier_limit";
    public const string Tenor = "tenor";
    public const string IdempotencyKeyMissing = "idempotency_key_missing";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string IdempotencyKeyInFlight = "idempotency_key_in_flight";
    public const string Conflict = "conflict";
    /// <summary>The server refused the request before any endpoint saw it (a body too large, malformed HTTP).</summary>
    public const string RequestRejected = "request_rejected";
    /// <summary>Something unexpected: logged with the problem's correlation id; safe to retry with the same key.</summary>
    public const string InternalError = "internal_error";
}

/// <summary>Either a value or the fault that refused the operation.</summary>
[GenerateSerializer, Immutable, Alias("Outcome`1")]
public sealed record Outcome<T>([property: Id(0)] T? Value, [property: Id(1)] Fault? Fault)
{
    public bool IsOk => Fault is null;

    public static implicit operator Outcome<T>(Fault fault) => new(default, fault);

    public static Outcome<T> Ok(T value) => new(value, null);
}
