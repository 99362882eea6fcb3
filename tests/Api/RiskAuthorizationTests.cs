using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Every role against every risk endpoint: risk staff and the operator read; a funder reads its own portfolio; a core its
/// own chain. A permitted read answers the caller's own view of one cast (<see cref="RiskWorld"/>): staff scoped to a
/// funder, and a funder, see only that funder's positions; the core sees its own chain; unscoped staff and the
/// operator see all of it.
/// </summary>
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
            // Scoped to the funder: every endpoint, narrowed to what that funder holds.
            ["risk scoped"] = endpoints.ToDictionary(e => e, _ => 200),
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
        var w = await Shared();
        var caller = role switch
        {
            "operator" => fixture.Scenario.Operator,
            "risk" => w.Risk,
            "risk scoped" => w.RiskScoped,
            "core" => w.Core.Client,
            "funder" => w.Bank.Client,
            "supplier" => w.Supplier.Client,
            _ => w.Sponsor.Client,
        };
        var result = endpoint switch
        {
            "list" => await caller.Get("/v1/risk/exposures?by=obligor"),
            "obligor-detail" => await caller.Get($"/v1/risk/exposures/obligor/{w.Core.Id}"),
            "own-funder-detail" => await caller.Get($"/v1/risk/exposures/funder/{w.Bank.Id}"),
            "own-chain" => await caller.Get($"/v1/risk/chains/{w.Core.Id}"),
            "alerts" => await caller.Get("/v1/risk/alerts"),
            "stress" => await caller.Post("/v1/risk/stress", new { defaultingIds = new[] { w.Core.Id } }),
            _ => await caller.Get("/v1/risk/reconciliation"),
        };
        Assert.True((int)result.Status == expected, $"{role} {endpoint}: expected {expected}, got {(int)result.Status} {result.Text}");
        if (expected == 403) Assert.Equal("forbidden", result.Code);
        if (expected == 404) Assert.Equal("not_found", result.Code);
        if (expected == 200) AssertOwnView(endpoint, scoped: role is "risk scoped" or "funder", w, result.Json);
    }

    /// <summary>
    /// The answer is the caller's view of the cast, exactly: scoped (to the bank) it holds the bank's positions and
    /// nothing else; unscoped, all of them. The class's database holds nothing but this cast, so lists are exact too.
    /// </summary>
    private static void AssertOwnView(string endpoint, bool scoped, RiskWorld w, JsonElement body)
    {
        string[] bank = [$"{w.Bank.Id} funder 300.00"];
        string[] all = [$"{w.Supplier.Id} supplier 500.00", .. bank, $"{w.Bank2.Id} funder 200.00"];
        switch (endpoint)
        {
            case "list":
                Assert.Equal([scoped ? $"obligor {w.Core.Id} 300.00 funderHeld 300.00 supplierHeld 0.00" : $"obligor {w.Core.Id} 1000.00 funderHeld 500.00 supplierHeld 500.00"],
                    body.GetProperty("items").EnumerateArray().Select(i =>
                        $"{i.GetProperty("kind").GetString()} {i.GetProperty("id").GetString()} {Money(i, "amount")} funderHeld {Money(i, "funderHeld")} supplierHeld {Money(i, "supplierHeld")}")
                    .ToList());
                break;
            case "obligor-detail":
                Assert.Equal($"obligor {w.Core.Id} outstanding {(scoped ? "300.00" : "1000.00")}",
                    $"{body.GetProperty("kind").GetString()} {body.GetProperty("id").GetString()} outstanding {Money(body, "outstanding")}");
                Assert.Equal(scoped ? "financed 300.00" : "active 500.00, financed 500.00", Map(body.GetProperty("byStatus")));
                Assert.Equal(scoped ? "1 300.00" : "1 1000.00", Map(body.GetProperty("byTier")));
                Assert.Equal(scoped ? "funder 300.00" : "funder 500.00, supplier 500.00", Map(body.GetProperty("byHolderType")));
                Assert.Equal(scoped ? bank : all, Counterparties(body));
                Assert.False(body.TryGetProperty("facilities", out _), $"an obligor's detail names no facilities: {body}");
                break;
            case "own-funder-detail":
                // The bank's portfolio, whoever may read it: 300.00 on the core, within its facility of 1,000.00.
                Assert.Equal($"funder {w.Bank.Id} outstanding 300.00 concentration 1",
                    $"{body.GetProperty("kind").GetString()} {body.GetProperty("id").GetString()} outstanding {Money(body, "outstanding")} "
                    + "concentration " + body.GetProperty("concentration").GetDecimal().ToString("0.####", CultureInfo.InvariantCulture));
                Assert.Equal("financed 300.00", Map(body.GetProperty("byStatus")));
                Assert.Equal([$"{w.Core.Id} obligor 300.00"], Counterparties(body));
                Assert.Equal([$"{w.BankFacility} {w.Core.Id} limit 1000.00 used 300.00"],
                    body.GetProperty("facilities").EnumerateArray().Select(f =>
                        $"{f.GetProperty("facilityId").GetString()} {f.GetProperty("obligorId").GetString()} limit {Money(f, "limit")} used {Money(f, "used")}").ToList());
                break;
            case "own-chain":
                Assert.Equal(scoped ? $"{w.Core.Id} total 300.00 funderHeld 300.00 supplierHeld 0.00" : $"{w.Core.Id} total 1000.00 funderHeld 500.00 supplierHeld 500.00",
                    $"{body.GetProperty("coreId").GetString()} total {Money(body, "total")} funderHeld {Money(body, "funderHeld")} supplierHeld {Money(body, "supplierHeld")}");
                Assert.Equal([$"tier 1 {(scoped ? "300.00" : "1000.00")}: {string.Join(", ", scoped ? bank : all)}"],
                    body.GetProperty("tiers").EnumerateArray().Select(t => $"tier {t.GetProperty("tier").GetInt32()} {Money(t, "amount")}: " + string.Join(", ",
                        t.GetProperty("holders").EnumerateArray().Select(h =>
                            $"{h.GetProperty("holderId").GetString()} {h.GetProperty("holderType").GetString()} {Money(h, "amount")}"))).ToList());
                break;
            case "alerts":
            {
                // Scoped: only alerts naming the bank. Unscoped: the platform's long-tenor alert on the root, both funders'
                // concentration, and the second bank's facility filled to 90% and 100%.
                var bankAlerts = new[] { $"concentration {w.Bank.Id} funder {w.Bank.Id}" };
                var everything = bankAlerts.Concat([
                    $"long_tenor {w.Root} funder -", $"concentration {w.Bank2.Id} funder {w.Bank2.Id}",
                    $"facility_usage_90 {w.Bank2Facility} funder {w.Bank2.Id}", $"facility_usage_100 {w.Bank2Facility} funder {w.Bank2.Id}",
                ]);
                Assert.Equal((scoped ? bankAlerts : everything).Order(StringComparer.Ordinal),
                    body.GetProperty("items").EnumerateArray().Select(a =>
                        $"{a.GetProperty("kind").GetString()} {a.GetProperty("subjectId").GetString()} funder {a.GetProperty("funderId").GetString() ?? "-"}")
                    .Order(StringComparer.Ordinal));
                Assert.All(body.GetProperty("items").EnumerateArray(), a => Assert.Equal(w.Core.Id, a.GetProperty("obligorId").GetString()));
                break;
            }
            case "stress":
                Assert.Equal(scoped ? new[] { $"{w.Bank.Id} 300.00 net 300.00" } : [$"{w.Bank.Id} 300.00 net 300.00", $"{w.Bank2.Id} 200.00 net 200.00"],
                    body.GetProperty("losses").EnumerateArray().Select(l =>
                        $"{l.GetProperty("funderId").GetString()} {Money(l, "exposure")} net {Money(l, "netLoss")}").ToList());
                break;
            case "reconciliation":
                // One tree, no loans in this database; the streamed aggregates agree with the trees.
                Assert.Equal("consistent True trees 1 loans 0 differences 0",
                    $"consistent {body.GetProperty("consistent").GetBoolean()} trees {body.GetProperty("treesChecked").GetInt32()} "
                    + $"loans {body.GetProperty("loansChecked").GetInt32()} differences {body.GetProperty("differences").GetArrayLength()}");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "no check of its answer");
        }
    }

    private static string Money(JsonElement e, string property) =>
        e.GetProperty(property).GetDecimal().ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A map of amounts, "key amount" by key.</summary>
    private static string Map(JsonElement map) =>
        string.Join(", ", map.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name} {p.Value.GetDecimal().ToString("0.00", CultureInfo.InvariantCulture)}"));

    private static List<string> Counterparties(JsonElement detail) =>
        detail.GetProperty("byCounterparty").EnumerateArray()
            .Select(c => $"{c.GetProperty("id").GetString()} {c.GetProperty("role").GetString()} {Money(c, "amount")}").ToList();

    [Fact]
    public async Task NoKey_Is401_OnEveryRiskEndpoint()
    {
        var anonymous = fixture.Host.Client(null);
        foreach (var path in new[] { "/v1/risk/exposures?by=obligor", "/v1/risk/exposures/obligor/x", "/v1/risk/chains/x", "/v1/risk/alerts", "/v1/risk/reconciliation" })
            Assert.Equal("unauthenticated", (await anonymous.Get(path)).Expect(HttpStatusCode.Unauthorized).Code);
        Assert.Equal("unauthenticated", (await anonymous.Post("/v1/risk/stress", new { defaultingIds = new[] { "x" } })).Expect(HttpStatusCode.Unauthorized).Code);
    }

    // ------------------------------------------------------------------------------------------------
    // The cast, built once per class (every risk endpoint only reads; stress computes and stores nothing).
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A core issued 1,000.00 due in 200 days (a long tenor) to a supplier, who accepted it, discounted 300.00 with the bank
    /// (facility 1,000.00) and 200.00 with a second bank (facility 200.00, so filled): positions supplier 500.00, bank
    /// 300.00, second bank 200.00, all tier 1. Staff scoped to the bank, unscoped staff, a sponsor.
    /// </summary>
    private sealed record RiskWorld(
        Party Core, Party Supplier, Party Bank, Party Bank2, Party Sponsor, ApiClient Risk, ApiClient RiskScoped,
        string BankFacility, string Bank2Facility, string Root);

    private static readonly ConditionalWeakTable<ApiFixture, Task<RiskWorld>> SharedWorlds = new();

    private Task<RiskWorld> Shared() => SharedWorlds.GetValue(fixture, f => Build(f.Scenario, f.Host));

    private static async Task<RiskWorld> Build(Scenario s, ApiHost host)
    {
        var parties = await Task.WhenAll(new[] { "core", "supplier", "funder", "funder", "sponsor" }.Select(kind => s.Participant(kind)));
        var (core, supplier, bank, bank2, sponsor) = (parties[0], parties[1], parties[2], parties[3], parties[4]);
        var facilities = await Task.WhenAll(s.Facility(bank, core, 1_000m), s.Facility(bank2, core, 200m));
        var root = await s.ActiveVoucher(core, supplier, 1_000m, days: 200);
        var first = (await supplier.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = bank.Id, amount = 300m }))
            .Expect(HttpStatusCode.Created).Json.GetProperty("remainder").GetProperty("id").GetString();
        (await supplier.Client.Post($"/v1/vouchers/{first}/discount", new { funderId = bank2.Id, amount = 200m })).Expect(HttpStatusCode.Created);

        async Task<ApiClient> Staff(string? funderId) =>
            host.Client((await s.Operator.Post("/v1/risk-staff", new { name = "analyst", funderId })).Expect(HttpStatusCode.Created)
                .Json.GetProperty("apiKey").GetString());
        var staff = await Task.WhenAll(Staff(null), Staff(bank.Id));

        // The exposure stream and the concentration checks are asynchronous: wait until every position and alert is in.
        await Eventually.True(async () =>
        {
            var chain = (await s.Operator.Get($"/v1/risk/chains/{core.Id}")).Expect(HttpStatusCode.OK).Json;
            var alerts = (await s.Operator.Get("/v1/risk/alerts")).Expect(HttpStatusCode.OK).Json.GetProperty("items");
            return chain.GetProperty("supplierHeld").GetDecimal() == 500m && chain.GetProperty("funderHeld").GetDecimal() == 500m
                && alerts.EnumerateArray().Count(a => a.GetProperty("kind").GetString() == "concentration") == 2;
        }, TimeSpan.FromSeconds(30), "the cast's positions and alerts reach the risk views");

        return new RiskWorld(core, supplier, bank, bank2, sponsor, staff[0], staff[1], facilities[0], facilities[1], root);
    }
}
