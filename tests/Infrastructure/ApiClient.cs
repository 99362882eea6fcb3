using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SupplyChain.Tests.Infrastructure;

public sealed record ApiResult(HttpStatusCode Status, byte[] Bytes, HttpResponseHeaders Headers, string? ContentType)
{
    public JsonElement Json => Bytes.Length == 0 ? default : JsonDocument.Parse(Bytes).RootElement;

    public string Text => Encoding.UTF8.GetString(Bytes);

    public string Code => Json.GetProperty("code").GetString()!;

    public string Id => Json.GetProperty("id").GetString()!;

    public decimal Amount(string property = "amount") => Json.GetProperty(property).GetDecimal();

    public ApiResult Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"Expected {(int)status} but got {(int)Status}: {Text}");
        return this;
    }
}

/// <summary>A caller of the HTTP API with one API key. POSTs get a fresh Idempotency-Key unless one is given.</summary>
public sealed class ApiClient(HttpClient http, string? apiKey)
{
    public string? ApiKey => apiKey;

    public ApiClient As(string? key) => new(http, key);

    public Task<ApiResult> Get(string path) => Send(HttpMethod.Get, path, null, null);

    public Task<ApiResult> Post(string path, object? body = null, string? idempotencyKey = "") =>
        PostRaw(path, body is null ? null : JsonSerializer.Serialize(body, JsonOptions), idempotencyKey);

    public Task<ApiResult> PostRaw(string path, string? json, string? idempotencyKey = "") =>
        Send(HttpMethod.Post, path, json, idempotencyKey == "" ? Guid.NewGuid().ToString("N") : idempotencyKey);

    private async Task<ApiResult> Send(HttpMethod method, string path, string? json, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(method, path);
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new ApiResult(response.StatusCode, bytes, response.Headers, response.Content.Headers.ContentType?.ToString());
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

public static class JsonAmounts
{
    /// <summary>A decimal property of a JSON object (an amount in yuan).</summary>
    public static decimal Amount(this System.Text.Json.JsonElement json, string property) => json.GetProperty(property).GetDecimal();
}
