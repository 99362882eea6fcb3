using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SupplyChain.LoadGenerator;

public sealed record Reply(int Status, string Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>One caller of the API with one key. Every POST gets a fresh Idempotency-Key; a failed call is a status, never an exception.</summary>
public sealed class Api(HttpClient http, string apiKey)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public Task<Reply> Get(string path) => Send(HttpMethod.Get, path, null);

    public Task<Reply> Post(string path, object? body = null) =>
        Send(HttpMethod.Post, path, body is null ? null : JsonSerializer.Serialize(body, JsonOptions));

    /// <summary>Sends and records the latency of the whole exchange, body included, under the operation's name.</summary>
    public async Task<Reply> Timed(Recorder recorder, string operation, Func<Api, Task<Reply>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var reply = await call(this);
        recorder.Record(operation, started, Stopwatch.GetTimestamp(), reply);
        return reply;
    }

    private async Task<Reply> Send(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (method == HttpMethod.Post) request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString("N"));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        try
        {
            using var response = await http.SendAsync(request);
            return new Reply((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Status 0: no HTTP answer (refused, reset, timed out). Counted as an error like any non-2xx.
            return new Reply(0, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
