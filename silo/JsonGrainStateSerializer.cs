using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;

namespace SupplyChain.Silo;

/// <summary>
/// Grain state as plain System.Text.Json: property names only, no .NET type names, so that renaming or moving a
/// state class never makes stored rows unreadable. The state type is always known from the grain.
/// </summary>
public sealed class JsonGrainStateSerializer : IGrainStorageSerializer
{
    private static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span, Options)!;
}
