using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SupplyChain.Api.Http;

public static class OpenApiBodies
{
    /// <summary>
    /// Documents the JSON body an endpoint reads. Bodies are read by the handlers themselves (strictly, with
    /// problem answers), so the framework's own body binding, and with it its content-type routing, is not used.
    /// </summary>
    public static RouteHandlerBuilder JsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });
}
