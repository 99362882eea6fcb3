using System.Text.Json;
using SupplyChain.Grains.Common;

namespace SupplyChain.Api.Http;

/// <summary>Reads a request body strictly; any failure becomes a 400 problem naming the offending field.</summary>
public static class Body
{
    private const string BufferKey = "supplychain.body";

    public static async Task<byte[]> BufferAsync(HttpContext context)
    {
        if (context.Items[BufferKey] is byte[] buffered) return buffered;
        using var ms = new MemoryStream();
        await context.Request.Body.CopyToAsync(ms, context.RequestAborted);
        var bytes = ms.ToArray();
        context.Items[BufferKey] = bytes;
        return bytes;
    }

    public static async Task<(T? Value, ApiResponse? Problem)> ReadAsync<T>(HttpContext context) where T : class
    {
        var bytes = await BufferAsync(context);
        if (bytes.Length == 0) return (null, Invalid("body", "A JSON body is required."));
        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes, Json.Options);
            return value is null ? (null, Invalid("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, Invalid(field, Describe(e)));
        }
    }

    /// <summary>For endpoints that take no body: nothing, or an empty JSON object. Anything else is refused, so that
    /// a client that thinks it is sending a field (a partial amount, a new holder) learns that it is not.</summary>
    public static async Task<ApiResponse?> RequireNoneAsync(HttpContext context)
    {
        var bytes = await BufferAsync(context);
        if (bytes.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return Invalid("body", "This request takes no body.");
            foreach (var property in document.RootElement.EnumerateObject())
                return Invalid(property.Name, "Unknown property: this request does not accept it.");
            return null;
        }
        catch (JsonException)
        {
            return Invalid("body", "Malformed JSON or a value of the wrong type.");
        }
    }

    private static string Describe(JsonException e) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "Unknown property: this request does not accept it."
            : "Malformed JSON or a value of the wrong type.";

    private static ApiResponse Invalid(string field, string message) =>
        ApiResponse.Validation(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects field errors for one request; amounts are checked against the rules of money.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new();

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = new List<string>();
        list.Add(message);
    }

    public Money Amount(string field, decimal? yuan)
    {
        if (yuan is null)
        {
            Add(field, "is required");
            return Money.Zero;
        }
        if (!Money.TryFromYuan(yuan.Value, out var money, out var error)) Add(field, error!);
        return money;
    }

    public string Id(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, "is required");
        else if (!Ids.IsWellFormed(value)) Add(field, "is not a valid id (1 to 64 characters: a-z, 0-9 and '-')");
        return value ?? "";
    }

    public T Required<T>(string field, T? value) where T : struct
    {
        if (value is null) Add(field, "is required");
        return value ?? default;
    }

    /// <summary>An annual interest rate: at least 0, below 1, at most 6 decimals.</summary>
    public decimal AnnualRate(string field, decimal? value)
    {
        var rate = Required(field, value);
        if (value is not null && (rate < 0m || rate >= 1m || decimal.Round(rate, 6) != rate))
            Add(field, "must be at least 0 and below 1, with at most 6 decimals");
        return rate;
    }

    /// <summary>A page of a list that follows a numeric cursor (alerts, signals): <c>after</c> (0 when absent) and <c>limit</c> (1 to 200, default 50).</summary>
    public (long After, int Limit) Page(string? after, string? limit)
    {
        long cursor = 0;
        if (after is not null && !long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cursor))
            Add("after", "is not a cursor");
        var take = 50;
        if (limit is not null && !(int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take) && take is >= 1 and <= 200))
            Add("limit", "must be a whole number between 1 and 200");
        return (cursor, take);
    }

    /// <summary>A date that must be later than <paramref name="today"/> (an expiry).</summary>
    public DateOnly LaterThan(string field, DateOnly? value, DateOnly today)
    {
        var date = Required(field, value);
        if (value is not null && date <= today) Add(field, "must be later than today");
        return date;
    }

    public ApiResponse Problem() => ApiResponse.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
