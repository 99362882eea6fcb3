using System.Net;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>Every role against every risk endpoint: risk staff and the operator read; a funder reads its own portfolio; a core its own chain.</summary>
public sealed class RiskAuthorizationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string, int> Matrix()
    {
        var data = new TheoryData<string, string, int>();
        var endpoints = new[] { "list", "obligor-detail", "own-funder-detail", "own-chain", "alerts", "stress", "reconciliation" };
        var allowed = new Dictionary<string, Dictionary<string, int>>
        {
            ["operator"] = endpoints.ToDictionary(e => e, _ => 200),
            ["risk"] = endpoints.ToDictionary(e => e, _ => 200),
            ["core"] = endpoints.ToDictionary(e => e, e => e switch { "own-chain" => 200, "obligor-detail" or "own-funder-detail" => 403, _ => 403 }),
            ["funder"] = endpoints.ToDictionary(e => e, e => e switch { "own-funder-detail" => 200, "obligor-detail" => 404, _ => 403 }),
            ["supplier"] = endpoints.ToDictionary(e => e, _ => 403),
            ["sponsor"] = endpoints.ToDictionary(e => e, _ => 403),
        };
        foreach (var (role, expected) in allowed)
            foreach (var (endpoint, status) in expected)
                data.Add(role, endpoint, status);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Role_AgainstRiskEndpoint(string role, string endpoint, int expected)
    {
        var s = fixture.Scenario;
        var (core, _, bank, _) = await s.Cast(1_000m);
        ApiClient caller = role switch
        {
            "operator" => s.Operator,
            "risk" => fixture.Host.Client((await s.Operator.Post("/v1/risk-staff", new { name = "r" })).Expect(HttpStatusCode.Created)
                .Json.GetProperty("apiKey").GetString()),
            "core" => core.Client,
            "funder" => bank.Client,
            _ => (await s.Participant(role)).Client,
        };
        var result = endpoint switch
        {
            "list" => await caller.Get("/v1/risk/exposures?by=obligor"),
            "obligor-detail" => await caller.Get($"/v1/risk/exposures/obligor/{core.Id}"),
            "own-funder-detail" => await caller.Get($"/v1/risk/exposures/funder/{bank.Id}"),
            "own-chain" => await caller.Get($"/v1/risk/chains/{core.Id}"),
            "alerts" => await caller.Get("/v1/risk/alerts"),
            "stress" => await caller.Post("/v1/risk/stress", new { defaultingIds = new[] { core.Id } }),
            _ => await caller.Get("/v1/risk/reconciliation"),
        };
        Assert.True((int)result.Status == expected, $"{role} {endpoint}: expected {expected}, got {(int)result.Status} {result.Text}");
        if (expected == 403) Assert.Equal("forbidden", result.Code);
        if (expected == 404) Assert.Equal("not_found", result.Code);
    }

    [Fact]
    public async Task NoKey_Is401_OnEveryRiskEndpoint()
    {
        var anonymous = fixture.Host.Client(null);
        foreach (var path in new[] { "/v1/risk/exposures?by=obligor", "/v1/risk/exposures/obligor/x", "/v1/risk/chains/x", "/v1/risk/alerts", "/v1/risk/reconciliation" })
            Assert.Equal("unauthenticated", (await anonymous.Get(path)).Expect(HttpStatusCode.Unauthorized).Code);
        Assert.Equal("unauthenticated", (await anonymous.Post("/v1/risk/stress", new { defaultingIds = new[] { "x" } })).Expect(HttpStatusCode.Unauthorized).Code);
    }
}
