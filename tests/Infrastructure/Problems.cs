using System.Net;
using System.Text.Json;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>Checks of RFC 9457 problem answers, shared by the tests (<c>using static</c>).</summary>
public static class Problems
{
    /// <summary>The answer is a problem document with this status and code; returns it.</summary>
    public static JsonElement AssertProblem(ApiResult result, HttpStatusCode status, string code)
    {
        Assert.True(result.Status == status, $"Expected {(int)status} {code} but got {(int)result.Status}: {result.Text}");
        Assert.StartsWith("application/problem+json", result.ContentType);
        Assert.Equal(code, result.Code);
        Assert.Equal((int)status, result.Json.GetProperty("status").GetInt32());
        return result.Json;
    }

    /// <summary>A 400 validation_failed whose errors name <paramref name="field"/>.</summary>
    public static void AssertValidation(ApiResult result, string field) =>
        AssertNames(AssertProblem(result, HttpStatusCode.BadRequest, "validation_failed"), field);

    /// <summary>The problem's errors name <paramref name="field"/> with at least one message.</summary>
    public static void AssertNames(JsonElement problem, string field)
    {
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object, $"No errors member: {problem}");
        Assert.True(errors.TryGetProperty(field, out var messages) && messages.GetArrayLength() > 0, $"errors does not name '{field}': {errors}");
    }
}
