using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Orleans.Storage;

namespace SupplyChain.Silo;

/// <summary>
/// Grain state as plain System.Text.Json: property names only, no .NET type names, so that renaming or moving a
/// state class never makes stored rows unreadable. The state type is always known from the grain.
/// </summary>
public sealed class JsonGrainStateSerializer : IGrainStorageSerializer
{
    internal static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// The same, for a state's own row when some of its collections are stored as rows: those properties are left out
    /// (reading uses <see cref="Options"/>, so a row written before they became rows still reads whole).
    /// </summary>
    internal static readonly JsonSerializerOptions HeaderOptions = new(Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    foreach (var property in info.Properties)
                        if (property.AttributeProvider?.IsDefined(typeof(SupplyChain.Grains.StoredAsRowsAttribute), false) == true)
                            property.ShouldSerialize = (_, _) => false;
                },
            },
        },
    };

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span, Options)!;
}
