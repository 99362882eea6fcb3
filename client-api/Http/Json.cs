using System.Text.Json;
using System.Text.Json.Serialization;

namespace SupplyChain.Api.Http;

public static class Json
{
    /// <summary>
    /// The wire format: camelCase, dates as YYYY-MM-DD, numbers only as numbers, and any property the
    /// request type does not declare is an error, so no client can set a field it does not own.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
            AllowDuplicateProperties = false,
            PropertyNameCaseInsensitive = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
