using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SupplyChain.Db.Stores;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api.Http;

/// <summary>
/// A stored response that carries a secret (a new participant's API key) is sealed with AES-GCM under a key derived
/// (HKDF-SHA256) from the caller and its Idempotency-Key. The database holds only the Idempotency-Key's hash, so the
/// secret can be read back by the caller that presents the key again, and by no one reading the table.
/// </summary>
public static class SealedBody
{
    private const int NonceSize = 12, TagSize = 16;

    public static byte[] Seal(byte[] plain, string callerId, string idempotencyKey)
    {
        var sealedBody = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBody.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(callerId, idempotencyKey), TagSize);
        aes.Encrypt(nonce, plain, sealedBody.AsSpan(NonceSize + TagSize), sealedBody.AsSpan(NonceSize, TagSize));
        return sealedBody;
    }

    public static byte[] Open(byte[] sealedBody, string callerId, string idempotencyKey)
    {
        var plain = new byte[sealedBody.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key(callerId, idempotencyKey), TagSize);
        aes.Decrypt(sealedBody.AsSpan(0, NonceSize), sealedBody.AsSpan(NonceSize + TagSize), sealedBody.AsSpan(NonceSize, TagSize), plain);
        return plain;
    }

    private static byte[] Key(string callerId, string idempotencyKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(idempotencyKey), 32,
            salt: Encoding.UTF8.GetBytes(callerId), info: "supplychain sealed idempotent response v1"u8.ToArray());
}

/// <summary>
/// The Idempotency-Key contract: the first definite answer (2xx or 4xx) is stored with a hash of the request;
/// the same key and body replay it byte for byte; another body answers 422; a key still running answers 409.
/// A request that dies without an answer leaves a lease that runs out, after which a retry takes over; the
/// grains dedupe by the same operation id, so the retry returns what the first attempt did.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    private const string OperationKey = "supplychain.operation";

    /// <summary>The operation id of this request: a function of the caller and its key.</summary>
    public static string OperationId(this HttpContext context) =>
        context.Items[OperationKey] as string ?? throw new InvalidOperationException("No idempotency key on this request.");

    /// <summary>What the database keeps of an Idempotency-Key: its SHA-256, hex (the key itself opens sealed responses).</summary>
    public static string StoredKey(string idempotencyKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));

    public static TBuilder RequireIdempotencyKey<TBuilder>(this TBuilder builder, bool optional = false) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotencyKeyMetadata(optional)).AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var caller = http.Caller();
            var key = http.Request.Headers[Header].ToString();
            if (key.Length == 0)
            {
                if (optional)
                {
                    http.Items[OperationKey] = "unkeyed-" + Guid.NewGuid().ToString("N");
                    return await next(ctx);
                }
                return ApiResponse.Problem(400, FaultCodes.IdempotencyKeyMissing, "An Idempotency-Key header is required.",
                    "Send 'Idempotency-Key' (1 to 255 printable characters) with every POST that creates or moves value.");
            }
            if (key.Length > 255 || key.Any(c => c < 0x20 || c > 0x7E))
                return ApiResponse.Problem(400, FaultCodes.IdempotencyKeyMissing, "The Idempotency-Key header is not valid.",
                    "An Idempotency-Key is 1 to 255 printable ASCII characters.");

            var operationId = Ids.Operation(caller.Id, key);
            var storedKey = StoredKey(key);
            http.Items[OperationKey] = operationId;
            var body = await Body.BufferAsync(http);
            var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n"), .. body]);

            var store = http.RequestServices.GetRequiredService<IIdempotencyStore>();
            var time = http.RequestServices.GetRequiredService<PlatformTime>();
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SupplyChain.Idempotency");
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operationId, ["CallerId"] = caller.Id });

            var lease = TimeSpan.FromSeconds(http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.IdempotencyLeaseSeconds);
            var begin = await store.BeginAsync(caller.Id, storedKey, hash, time.UtcNow, lease);
            switch (begin.State)
            {
                case IdempotencyState.Replay:
                    http.Response.Headers["Idempotent-Replayed"] = "true";
                    var r = begin.Response!;
                    return ApiResponse.Stored(r.StatusCode, r.ContentType, r.Sealed ? SealedBody.Open(r.Body, caller.Id, key) : r.Body, r.Location);
                case IdempotencyState.Mismatch:
                    return ApiResponse.Problem(422, FaultCodes.IdempotencyKeyReused, "The Idempotency-Key was used with a different request.",
                        "This key was already used with another method, path or body; use a new key for a new request.");
                case IdempotencyState.InFlight:
                    return ApiResponse.Problem(409, FaultCodes.IdempotencyKeyInFlight, "A request with this Idempotency-Key is still running.",
                        "Retry after the first request has answered.");
            }

            try
            {
                var result = await next(ctx);
                if (result is ApiResponse response && response.StatusCode < 500)
                {
                    await store.CompleteAsync(caller.Id, storedKey,
                        response.ContainsSecret
                            ? new StoredResponse(response.StatusCode, response.ContentType, response.Location, SealedBody.Seal(response.Body, caller.Id, key), Sealed: true)
                            : new StoredResponse(response.StatusCode, response.ContentType, response.Location, response.Body), time.UtcNow);
                    logger.LogDebug("Operation {OperationId} answered {StatusCode}", operationId, response.StatusCode);
                }
                else
                {
                    await store.AbandonAsync(caller.Id, storedKey);
                }
                return result;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Operation {OperationId} failed without an answer; its key is free for a retry", operationId);
                await store.AbandonAsync(caller.Id, storedKey);
                throw;
            }
        });
}
