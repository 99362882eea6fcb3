using System.Globalization;
using System.Net;
using System.Text.Json;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Who may call what (API.md, "Authentication and authorization"): every role against every endpoint of
/// client-api/Apis, then every party against another party's objects. A refusal changes nothing: after each one
/// the objects are read again by their owners and compared. A permitted call answers what the caller asked for in its
/// own world (the object it named, a list of its own, a creation in its name), never merely a 200.
/// </summary>
public sealed class AuthorizationMatrixTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public enum Who { Operator, Core, Supplier, Funder, Sponsor, Risk, RiskScoped, NoKey, UnknownKey }

    private Scenario S => fixture.Scenario;

    /// <summary>The root the core's own repay call of this case repays (xunit makes one instance per case).</summary>
    private string? _repaid;

    // ------------------------------------------------------------------------------------------------
    // 1. Every role against every endpoint, each calling on objects of its own where it has any
    //    (its own id, its own facility, a fragment it holds), so that only the role decides.
    //    No key and an unknown key answer 401 on every endpoint. Each permitted cell checks its answer
    //    (AssertOwnWorld), field by field against what the cast makes known.
    // ------------------------------------------------------------------------------------------------

    private static readonly (string Endpoint, int[] Expected)[] Matrix =
    [
        //                                            Operator Core Supplier Funder Sponsor Risk RiskScoped
        ("POST /v1/participants",                     [201,    403, 403,     403,   403,    403, 403]),
        ("GET /v1/participants/{id}",                 [200,    200, 200,     200,   200,    200, 200]),
        ("POST /v1/risk-staff",                       [201,    403, 403,     403,   403,    403, 403]),
        ("POST /v1/participants/{id}/issuance-limit", [200,    403, 403,     403,   403,    403, 403]),
        ("GET /v1/participants/{id}/issuance",        [200,    200, 403,     403,   403,    200, 200]),
        ("POST /v1/facilities",                       [201,    403, 403,     201,   403,    403, 403]),
        ("GET /v1/facilities/{id}",                   [200,    200, 200,     200,   403,    200, 200]),
        ("POST /v1/facilities/{id}/limit",            [200,    403, 403,     200,   403,    403, 403]),
        ("POST /v1/vouchers",                         [403,    201, 403,     403,   403,    403, 403]),
        ("GET /v1/vouchers",                          [403,    200, 200,     200,   200,    403, 403]),
        // A sponsor never holds a voucher: there is nothing it may see.
        ("GET /v1/vouchers/{id}",                     [200,    200, 200,     200,   404,    200, 200]),
        ("GET /v1/vouchers/{id}/tree",                [200,    200, 403,     403,   403,    200, 200]),
        ("POST /v1/vouchers/{id}/accept",             [403,    403, 200,     403,   403,    403, 403]),
        ("POST /v1/vouchers/{id}/reject",             [403,    403, 200,     403,   403,    403, 403]),
        ("POST /v1/vouchers/{id}/split",              [403,    403, 201,     403,   403,    403, 403]),
        ("POST /v1/vouchers/{id}/transfer",           [403,    403, 201,     403,   403,    403, 403]),
        ("POST /v1/vouchers/{id}/discount",           [403,    403, 201,     403,   403,    403, 403]),
        ("POST /v1/vouchers/{id}/repay",              [403,    200, 403,     403,   403,    403, 403]),
        ("GET /v1/admin/clock",                       [200,    403, 403,     403,   403,    403, 403]),
        ("POST /v1/admin/clock/advance",              [200,    403, 403,     403,   403,    403, 403]),
    ];

    public static TheoryData<string, Who, int> RoleCases()
    {
        var data = new TheoryData<string, Who, int>();
        foreach (var (endpoint, expected) in Matrix)
        {
            for (var i = 0; i < expected.Length; i++) data.Add(endpoint, (Who)i, expected[i]);
            data.Add(endpoint, Who.NoKey, 401);
            data.Add(endpoint, Who.UnknownKey, 401);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RoleCases))]
    public async Task Role_AgainstEndpoint(string endpoint, Who who, int expected)
    {
        var w = await World.Build(S);
        var client = w.ClientOf(who);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await CallOwn(endpoint, w, who, client, key);

        Assert.True((int)result.Status == expected, $"{who} on {endpoint}: expected {expected}, got {(int)result.Status}: {result.Text}");
        switch (expected)
        {
            case 401:
                AssertProblem(result, HttpStatusCode.Unauthorized, "unauthenticated");
                Assert.Equal("Bearer", result.Headers.WwwAuthenticate.ToString());
                break;
            case 403:
                AssertProblem(result, HttpStatusCode.Forbidden, "forbidden");
                break;
            case 404:
                AssertProblem(result, HttpStatusCode.NotFound, "not_found");
                break;
            default:
                Assert.StartsWith("application/json", result.ContentType);
                await AssertOwnWorld(endpoint, who, w, result, key);
                return;
        }

        // Refused: nothing changed, and nothing was created under the id the operation would have used.
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(endpoint, w, w.IdOf(who), key);
    }

    /// <summary>The call of one endpoint by one role, on objects of its own where it has any.</summary>
    private async Task<ApiResult> CallOwn(string endpoint, World w, Who who, ApiClient c, string key)
    {
        var maturity = w.Today.AddDays(90).ToString("yyyy-MM-dd");
        switch (endpoint)
        {
            case "POST /v1/participants":
                return await c.Post("/v1/participants", new { name = "newcomer", kind = "supplier" }, key);
            case "GET /v1/participants/{id}":
                return await c.Get($"/v1/participants/{(who == Who.Operator ? w.Supplier.Id : w.IdOf(who) ?? w.Supplier.Id)}");
            case "POST /v1/risk-staff":
                return await c.Post("/v1/risk-staff", new { name = "analyst", funderId = w.Funder.Id }, key);
            case "POST /v1/participants/{id}/issuance-limit":
                return await c.Post($"/v1/participants/{w.Core.Id}/issuance-limit", new { limit = 2_000_000m }, key);
            case "GET /v1/participants/{id}/issuance":
                return await c.Get($"/v1/participants/{w.Core.Id}/issuance");
            case "POST /v1/facilities":
                return await c.Post("/v1/facilities", new
                {
                    funderId = w.Funder.Id, obligorId = w.Supplier2.Id, limit = 50_000m, annualRate = 0.06m, expiresOn = "2030-12-31",
                }, key);
            case "GET /v1/facilities/{id}":
                return await c.Get($"/v1/facilities/{(who == Who.Supplier ? w.SupplierFacility : w.CoreFacility)}");
            case "POST /v1/facilities/{id}/limit":
                return await c.Post($"/v1/facilities/{w.CoreFacility}/limit", new { limit = 2_000_000m }, key);
            case "POST /v1/vouchers":
                return await c.Post("/v1/vouchers", new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = maturity }, key);
            case "GET /v1/vouchers":
                return await c.Get("/v1/vouchers");
            case "GET /v1/vouchers/{id}":
                return await c.Get($"/v1/vouchers/{(who is Who.Funder or Who.RiskScoped ? w.Financed : w.Active)}");
            case "GET /v1/vouchers/{id}/tree":
                return await c.Get($"/v1/vouchers/{(who == Who.RiskScoped ? w.FinancedRoot : w.Active)}/tree");
            case "POST /v1/vouchers/{id}/accept":
                return await c.Post($"/v1/vouchers/{w.Pending}/accept", null, key);
            case "POST /v1/vouchers/{id}/reject":
                return await c.Post($"/v1/vouchers/{w.Pending}/reject", null, key);
            case "POST /v1/vouchers/{id}/split":
                return await c.Post($"/v1/vouchers/{w.Active}/split", new { amounts = new[] { 400m, 600m } }, key);
            case "POST /v1/vouchers/{id}/transfer":
                return await c.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 100m }, key);
            case "POST /v1/vouchers/{id}/discount":
                return await c.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 100m }, key);
            case "POST /v1/vouchers/{id}/repay":
                if (who != Who.Core) return await c.Post($"/v1/vouchers/{w.Active}/repay", null, key);
                // The obligor's own call must be one that succeeds: a voucher that is due today.
                var due = _repaid = await S.ActiveVoucher(w.Core, w.Supplier, 200m, days: 1);
                (await S.Operator.Post("/v1/admin/clock/advance", new { days = 1 })).Expect(HttpStatusCode.OK);
                return await c.Post($"/v1/vouchers/{due}/repay", null, key);
            case "GET /v1/admin/clock":
                return await c.Get("/v1/admin/clock");
            case "POST /v1/admin/clock/advance":
                return await c.Post("/v1/admin/clock/advance", new { days = 1 }, key);
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not in the matrix");
        }
    }

    /// <summary>A refused create left no object behind under the id the operation would have made (ids derive from caller and key).</summary>
    private async Task AssertNothingCreated(string endpoint, World w, string? callerId, string key)
    {
        string? path = endpoint switch
        {
            "POST /v1/facilities" => $"/v1/facilities/{Ids.Facility(w.Funder.Id, w.Supplier2.Id)}",
            "POST /v1/participants" when callerId is not null => $"/v1/participants/{Ids.Participant(Ids.Operation(callerId, key))}",
            "POST /v1/risk-staff" when callerId is not null => $"/v1/participants/{Ids.RiskStaff(Ids.Operation(callerId, key))}",
            "POST /v1/vouchers" when callerId is not null => $"/v1/vouchers/{Ids.VoucherRoot(Ids.Operation(callerId, key))}",
            _ => null,
        };
        if (path is null) return;
        AssertProblem(await S.Operator.Get(path), HttpStatusCode.NotFound, "not_found");
    }


    /// <summary>
    /// What a permitted call answered is what this caller asked for, in its own world: the object it named (ids,
    /// parties and amounts as the cast made them), a created object in the caller's name, a list of only what the
    /// caller holds (a core: issued), an operation's fragments with their new state and holder.
    /// </summary>
    private async Task AssertOwnWorld(string endpoint, Who who, World w, ApiResult result, string key)
    {
        var body = result.Json;
        var self = w.IdOf(who)!;
        switch (endpoint)
        {
            case "POST /v1/participants":
            {
                var id = Ids.Participant(Ids.Operation(self, key));
                Assert.Equal($"id {id} name newcomer kind supplier", Fields(body, "id", "name", "kind"));
                // The key handed out is the newcomer's own: with it, the newcomer reads itself.
                var apiKey = body.GetProperty("apiKey").GetString();
                Assert.False(string.IsNullOrEmpty(apiKey), $"no apiKey in {result.Text}");
                var itself = (await S.Operator.As(apiKey).Get($"/v1/participants/{id}")).Expect(HttpStatusCode.OK).Json;
                Assert.Equal($"id {id} name newcomer kind supplier funderId -", Fields(itself, "id", "name", "kind", "funderId"));
                break;
            }
            case "GET /v1/participants/{id}":
            {
                // The operator reads the supplier; everybody else reads itself.
                var (id, kind) = who switch
                {
                    Who.Operator => (w.Supplier.Id, "supplier"),
                    Who.Risk or Who.RiskScoped => (self, "risk"),
                    _ => (self, who.ToString().ToLowerInvariant()),
                };
                var funderId = who == Who.RiskScoped ? w.Funder.Id : "-";
                Assert.Equal($"id {id} name {w.Names[id]} kind {kind} funderId {funderId}", Fields(body, "id", "name", "kind", "funderId"));
                break;
            }
            case "POST /v1/risk-staff":
            {
                var id = Ids.RiskStaff(Ids.Operation(self, key));
                Assert.Equal($"id {id} name analyst funderId {w.Funder.Id}", Fields(body, "id", "name", "funderId"));
                // The key is the new staff's: with it, the staff reads its own record, which names its funder. (That the key's
                // reads are narrowed to the funder is what the cross-party cases of RiskScoped, made the same way, show.)
                var itself = (await S.Operator.As(body.GetProperty("apiKey").GetString()).Get($"/v1/participants/{id}")).Expect(HttpStatusCode.OK).Json;
                Assert.Equal($"id {id} name analyst kind risk funderId {w.Funder.Id}", Fields(itself, "id", "name", "kind", "funderId"));
                break;
            }
            case "POST /v1/participants/{id}/issuance-limit":
                Assert.Equal($"obligorId {w.Core.Id} limit 2000000.00 outstanding 2100.00 operatorLimit 2000000.00",
                    Fields(body, "obligorId", "limit", "outstanding", "operatorLimit"));
                break;
            case "GET /v1/participants/{id}/issuance":
                // Limit: the funder's facility on the core; outstanding: the three roots, 1,000 + 500 + 600.
                Assert.Equal($"obligorId {w.Core.Id} limit 1000000.00 outstanding 2100.00 operatorLimit -",
                    Fields(body, "obligorId", "limit", "outstanding", "operatorLimit"));
                break;
            case "POST /v1/facilities":
                Assert.Equal(FacilityText(Ids.Facility(w.Funder.Id, w.Supplier2.Id), w.Funder.Id, w.Supplier2.Id, 50_000m, 0m, 0.06m), FacilityText(body));
                break;
            case "GET /v1/facilities/{id}":
                Assert.Equal(who == Who.Supplier
                        ? FacilityText(w.SupplierFacility, w.Funder.Id, w.Supplier.Id, 100_000m, 0m, 0.05m)
                        : FacilityText(w.CoreFacility, w.Funder.Id, w.Core.Id, 1_000_000m, 300m, 0.05m),
                    FacilityText(body));
                break;
            case "POST /v1/facilities/{id}/limit":
                Assert.Equal(FacilityText(w.CoreFacility, w.Funder.Id, w.Core.Id, 2_000_000m, 300m, 0.05m), FacilityText(body));
                break;
            case "POST /v1/vouchers":
            {
                // Issued in the caller's name: the root's id derives from the core and its key, and the core is its obligor.
                var id = Ids.VoucherRoot(Ids.Operation(self, key));
                Assert.Equal(Frag(w, id, id, null, w.Supplier.Id, 100m, 1, "pending", 90), FragmentText(body));
                break;
            }
            case "GET /v1/vouchers":
            {
                var items = body.GetProperty("items").EnumerateArray().ToList();
                // Only what the caller holds (a core: every fragment it issued), and all of it.
                List<string> expected = who switch
                {
                    Who.Core =>
                    [
                        Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "active", 90),
                        Frag(w, w.Pending, w.Pending, null, w.Supplier.Id, 500m, 1, "pending", 60),
                        .. FinancedTree(w),
                    ],
                    Who.Supplier =>
                    [
                        Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "active", 90),
                        Frag(w, w.Pending, w.Pending, null, w.Supplier.Id, 500m, 1, "pending", 60),
                        FinancedTree(w)[0], FinancedTree(w)[2],
                    ],
                    Who.Funder => [FinancedTree(w)[1]],
                    _ => [],
                };
                Assert.Equal(expected.Order(StringComparer.Ordinal), items.Select(FragmentText).Order(StringComparer.Ordinal));
                Assert.All(items, f => Assert.Equal(self, f.GetProperty(who == Who.Core ? "obligorId" : "holderId").GetString()));
                Assert.Equal(JsonValueKind.Null, body.GetProperty("next").ValueKind);
                break;
            }
            case "GET /v1/vouchers/{id}":
                Assert.Equal(who is Who.Funder or Who.RiskScoped
                        ? FinancedTree(w)[1]
                        : Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "active", 90),
                    FragmentText(body));
                break;
            case "GET /v1/vouchers/{id}/tree":
            {
                List<string> fragments = who == Who.RiskScoped
                    ? FinancedTree(w)
                    : [Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "active", 90)];
                Assert.Equal(fragments[0], FragmentText(body.GetProperty("root")));
                Assert.Equal(fragments, body.GetProperty("fragments").EnumerateArray().Select(FragmentText).ToList());
                // Scoped staff see a tree only where their funder holds part of it.
                if (who == Who.RiskScoped)
                    Assert.Contains(body.GetProperty("fragments").EnumerateArray(), f => f.GetProperty("holderId").GetString() == w.Funder.Id);
                break;
            }
            case "POST /v1/vouchers/{id}/accept":
                Assert.Equal(Frag(w, w.Pending, w.Pending, null, w.Supplier.Id, 500m, 1, "active", 60), FragmentText(body));
                break;
            case "POST /v1/vouchers/{id}/reject":
                // A rejected root is cancelled.
                Assert.Equal(Frag(w, w.Pending, w.Pending, null, w.Supplier.Id, 500m, 1, "cancelled", 60), FragmentText(body));
                break;
            case "POST /v1/vouchers/{id}/split":
                Assert.Equal(Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "split", 90), FragmentText(body.GetProperty("parent")));
                Assert.Equal(
                    [
                        Frag(w, $"{w.Active}-1", w.Active, w.Active, w.Supplier.Id, 400m, 1, "active", 90),
                        Frag(w, $"{w.Active}-2", w.Active, w.Active, w.Supplier.Id, 600m, 1, "active", 90),
                    ],
                    body.GetProperty("children").EnumerateArray().Select(FragmentText).ToList());
                break;
            case "POST /v1/vouchers/{id}/transfer":
                Assert.Equal(Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "transferred", 90), FragmentText(body.GetProperty("parent")));
                Assert.Equal(Frag(w, $"{w.Active}-1", w.Active, w.Active, w.Supplier2.Id, 100m, 2, "pending", 90),
                    FragmentText(body.GetProperty("transferred")));
                Assert.Equal(Frag(w, $"{w.Active}-2", w.Active, w.Active, w.Supplier.Id, 900m, 1, "active", 90),
                    FragmentText(body.GetProperty("remainder")));
                break;
            case "POST /v1/vouchers/{id}/discount":
                Assert.Equal(Frag(w, w.Active, w.Active, null, w.Supplier.Id, 1000m, 1, "transferred", 90), FragmentText(body.GetProperty("parent")));
                Assert.Equal(Frag(w, $"{w.Active}-1", w.Active, w.Active, w.Funder.Id, 100m, 1, "financed", 90),
                    FragmentText(body.GetProperty("financed")));
                Assert.Equal(Frag(w, $"{w.Active}-2", w.Active, w.Active, w.Supplier.Id, 900m, 1, "active", 90),
                    FragmentText(body.GetProperty("remainder")));
                // The facility's rate, 5%: 100.00 × 0.05 × 90 / 360 = 1.25.
                Assert.Equal("proceeds 98.75 charge 1.25 annualRate 0.05 days 90", Fields(body, "proceeds", "charge", "annualRate", "days"));
                break;
            case "POST /v1/vouchers/{id}/repay":
            {
                // The voucher of 200.00 issued for this call, due the day after the world was built (so today).
                var root = body.GetProperty("root");
                var due = _repaid!;
                Assert.Equal(Frag(w, due, due, null, w.Supplier.Id, 200m, 1, "settled", 1), FragmentText(root));
                Assert.Equal([Frag(w, due, due, null, w.Supplier.Id, 200m, 1, "settled", 1)],
                    body.GetProperty("settled").EnumerateArray().Select(FragmentText).ToList());
                Assert.Equal([$"toId {w.Supplier.Id} amount 200.00"], body.GetProperty("payments").EnumerateArray().Select(p => Fields(p, "toId", "amount")).ToList());
                break;
            }
            case "GET /v1/admin/clock":
                Assert.Equal("today " + w.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Fields(body, "today"));
                break;
            case "POST /v1/admin/clock/advance":
                Assert.Equal("today " + w.Today.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Fields(body, "today"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "no check of its answer");
        }
    }

    /// <summary>The financed tree, fragment by fragment: the root passed on, the funder's 300.00, the supplier's remainder.</summary>
    private static List<string> FinancedTree(World w) =>
    [
        Frag(w, w.FinancedRoot, w.FinancedRoot, null, w.Supplier.Id, 600m, 1, "transferred", 60),
        Frag(w, w.Financed, w.FinancedRoot, w.FinancedRoot, w.Funder.Id, 300m, 1, "financed", 60),
        Frag(w, $"{w.FinancedRoot}-2", w.FinancedRoot, w.FinancedRoot, w.Supplier.Id, 300m, 1, "active", 60),
    ];

    private static readonly string[] FragmentFields =
        ["id", "rootId", "parentId", "obligorId", "holderId", "amount", "tier", "status", "issueDate", "maturityDate", "orderId"];

    /// <summary>A fragment of the world's core, issued on the world's day, maturing <paramref name="days"/> later, not against an order.</summary>
    private static string Frag(World w, string id, string rootId, string? parentId, string holderId, decimal amount, int tier, string status, int days) =>
        string.Create(CultureInfo.InvariantCulture,
            $"id {id} rootId {rootId} parentId {parentId ?? "-"} obligorId {w.Core.Id} holderId {holderId} amount {amount:0.00} tier {tier} "
            + $"status {status} issueDate {w.Today:yyyy-MM-dd} maturityDate {w.Today.AddDays(days):yyyy-MM-dd} orderId -");

    private static string FragmentText(JsonElement f) => Fields(f, FragmentFields);

    private static string FacilityText(string id, string funderId, string obligorId, decimal limit, decimal used, decimal rate) =>
        string.Create(CultureInfo.InvariantCulture,
            $"id {id} funderId {funderId} obligorId {obligorId} limit {limit:0.00} used {used:0.00} annualRate {Normal(rate)} expiresOn 2030-12-31");

    private static string FacilityText(JsonElement f) => Fields(f, "id", "funderId", "obligorId", "limit", "used", "annualRate", "expiresOn");

    /// <summary>"name value" for each property: amounts with two decimals, "-" for null or absent.</summary>
    private static string Fields(JsonElement e, params string[] names) =>
        string.Join(" ", names.Select(n => $"{n} {(e.TryGetProperty(n, out var v) ? Value(n, v) : "-")}"));

    private static string Value(string name, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null => "-",
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number when name is "amount" or "limit" or "used" or "outstanding" or "operatorLimit" or "proceeds" or "charge"
            => v.GetDecimal().ToString("0.00", CultureInfo.InvariantCulture),
        JsonValueKind.Number => Normal(v.GetDecimal()),
        _ => v.GetRawText(),
    };

    /// <summary>A number without trailing zeros: 0.050 and 0.05 read the same.</summary>
    private static string Normal(decimal d) => (d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------------------------------------
    // 2. Every party against another party's objects: 404 exactly as if the object did not exist,
    //    and nothing changes.
    // ------------------------------------------------------------------------------------------------

    private sealed record CrossCase(Func<World, Task<ApiResult>> Act, Func<World, Task<ApiResult>> Ghost);

    private static string GhostRoot() => "vc" + Ids.Derive("ghost", Guid.NewGuid().ToString());

    private static string GhostFacility() => "fa" + Ids.Derive("ghost", Guid.NewGuid().ToString());

    private static string GhostParticipant() => "pt" + Ids.Derive("ghost", Guid.NewGuid().ToString());

    private static readonly Dictionary<string, CrossCase> CrossCases = new()
    {
        // Another core's voucher, tree, issuance.
        ["core2 GET core's voucher"] = new(
            w => w.Core2.Client.Get($"/v1/vouchers/{w.Active}"),
            w => w.Core2.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["core2 GET core's tree"] = new(
            w => w.Core2.Client.Get($"/v1/vouchers/{w.Active}/tree"),
            w => w.Core2.Client.Get($"/v1/vouchers/{GhostRoot()}/tree")),
        ["core2 repays core's root"] = new(
            w => w.Core2.Client.Post($"/v1/vouchers/{w.Active}/repay"),
            w => w.Core2.Client.Post($"/v1/vouchers/{GhostRoot()}/repay")),
        ["core2 GET core's issuance"] = new(
            w => w.Core2.Client.Get($"/v1/participants/{w.Core.Id}/issuance"),
            w => w.Core2.Client.Get($"/v1/participants/{GhostParticipant()}/issuance")),
        ["core2 GET facility on core"] = new(
            w => w.Core2.Client.Get($"/v1/facilities/{w.CoreFacility}"),
            w => w.Core2.Client.Get($"/v1/facilities/{GhostFacility()}")),

        // Another supplier's fragments.
        ["supplier2 GET supplier's fragment"] = new(
            w => w.Supplier2.Client.Get($"/v1/vouchers/{w.Active}"),
            w => w.Supplier2.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["supplier2 GET supplier's pending fragment"] = new(
            w => w.Supplier2.Client.Get($"/v1/vouchers/{w.Pending}"),
            w => w.Supplier2.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["supplier2 accepts supplier's pending fragment"] = new(
            w => w.Supplier2.Client.Post($"/v1/vouchers/{w.Pending}/accept"),
            w => w.Supplier2.Client.Post($"/v1/vouchers/{GhostRoot()}/accept")),
        ["supplier2 rejects supplier's pending fragment"] = new(
            w => w.Supplier2.Client.Post($"/v1/vouchers/{w.Pending}/reject"),
            w => w.Supplier2.Client.Post($"/v1/vouchers/{GhostRoot()}/reject")),
        ["supplier2 splits supplier's fragment"] = new(
            w => w.Supplier2.Client.Post($"/v1/vouchers/{w.Active}/split", new { amounts = new[] { 400m, 600m } }),
            w => w.Supplier2.Client.Post($"/v1/vouchers/{GhostRoot()}/split", new { amounts = new[] { 400m, 600m } })),
        ["supplier2 transfers supplier's fragment to itself"] = new(
            w => w.Supplier2.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 1000m }),
            w => w.Supplier2.Client.Post($"/v1/vouchers/{GhostRoot()}/transfer", new { toId = w.Supplier2.Id, amount = 1000m })),
        ["supplier2 discounts supplier's fragment"] = new(
            w => w.Supplier2.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 1000m }),
            w => w.Supplier2.Client.Post($"/v1/vouchers/{GhostRoot()}/discount", new { funderId = w.Funder.Id, amount = 1000m })),
        ["supplier GET facility on core"] = new(
            w => w.Supplier.Client.Get($"/v1/facilities/{w.CoreFacility}"),
            w => w.Supplier.Client.Get($"/v1/facilities/{GhostFacility()}")),

        // Another funder's facility and fragments; a funder and supplier-held fragments.
        ["funder2 GET funder's facility"] = new(
            w => w.Funder2.Client.Get($"/v1/facilities/{w.CoreFacility}"),
            w => w.Funder2.Client.Get($"/v1/facilities/{GhostFacility()}")),
        ["funder2 sets the limit of funder's facility"] = new(
            w => w.Funder2.Client.Post($"/v1/facilities/{w.CoreFacility}/limit", new { limit = 1m }),
            w => w.Funder2.Client.Post($"/v1/facilities/{GhostFacility()}/limit", new { limit = 1m })),
        ["funder2 GET funder's financed fragment"] = new(
            w => w.Funder2.Client.Get($"/v1/vouchers/{w.Financed}"),
            w => w.Funder2.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["funder GET supplier-held fragment"] = new(
            w => w.Funder.Client.Get($"/v1/vouchers/{w.Active}"),
            w => w.Funder.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["sponsor GET a voucher"] = new(
            w => w.Sponsor.Client.Get($"/v1/vouchers/{w.Active}"),
            w => w.Sponsor.Client.Get($"/v1/vouchers/{GhostRoot()}")),

        // Another participant.
        ["core GET supplier participant"] = new(
            w => w.Core.Client.Get($"/v1/participants/{w.Supplier.Id}"),
            w => w.Core.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["core2 GET core participant"] = new(
            w => w.Core2.Client.Get($"/v1/participants/{w.Core.Id}"),
            w => w.Core2.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["supplier GET core participant"] = new(
            w => w.Supplier.Client.Get($"/v1/participants/{w.Core.Id}"),
            w => w.Supplier.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["supplier2 GET supplier participant"] = new(
            w => w.Supplier2.Client.Get($"/v1/participants/{w.Supplier.Id}"),
            w => w.Supplier2.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["funder GET funder2 participant"] = new(
            w => w.Funder.Client.Get($"/v1/participants/{w.Funder2.Id}"),
            w => w.Funder.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["funder GET risk staff participant"] = new(
            w => w.Funder.Client.Get($"/v1/participants/{w.RiskScoped.Id}"),
            w => w.Funder.Client.Get($"/v1/participants/{GhostParticipant()}")),
        ["sponsor GET core participant"] = new(
            w => w.Sponsor.Client.Get($"/v1/participants/{w.Core.Id}"),
            w => w.Sponsor.Client.Get($"/v1/participants/{GhostParticipant()}")),

        // Risk staff scoped to a funder see that funder's portfolio only.
        ["risk scoped to funder GET funder2's facility"] = new(
            w => w.RiskScoped.Client.Get($"/v1/facilities/{w.OtherFacility}"),
            w => w.RiskScoped.Client.Get($"/v1/facilities/{GhostFacility()}")),
        ["risk scoped to funder2 GET funder's facility"] = new(
            w => w.RiskScoped2.Client.Get($"/v1/facilities/{w.CoreFacility}"),
            w => w.RiskScoped2.Client.Get($"/v1/facilities/{GhostFacility()}")),
        ["risk scoped to funder2 GET funder's financed fragment"] = new(
            w => w.RiskScoped2.Client.Get($"/v1/vouchers/{w.Financed}"),
            w => w.RiskScoped2.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        ["risk scoped to funder GET supplier-held fragment"] = new(
            w => w.RiskScoped.Client.Get($"/v1/vouchers/{w.Active}"),
            w => w.RiskScoped.Client.Get($"/v1/vouchers/{GhostRoot()}")),
        // API.md: "with funderId the staff sees only that funder's portfolio"; the funder holds nothing of this tree.
        ["risk scoped to funder GET tree the funder holds nothing of"] = new(
            w => w.RiskScoped.Client.Get($"/v1/vouchers/{w.Active}/tree"),
            w => w.RiskScoped.Client.Get($"/v1/vouchers/{GhostRoot()}/tree")),
    };

    public static TheoryData<string> CrossPartyCases() => new(CrossCases.Keys);

    [Theory]
    [MemberData(nameof(CrossPartyCases))]
    public async Task OtherPartysObject_IsNotFound_AndNothingChanges(string name)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var result = await CrossCases[name].Act(w);

        AssertProblem(result, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await w.Snapshot());
        // Exactly as if it did not exist: the same answer, byte for byte, as for an id nobody has.
        var ghost = await CrossCases[name].Ghost(w);
        Assert.Equal(HttpStatusCode.NotFound, ghost.Status);
        Assert.Equal(ghost.Text, result.Text);
    }

    [Fact]
    public async Task Core2_CannotRepay_CoresDueVoucher_ButCoreCan()
    {
        var w = await World.Build(S);
        var due = await S.ActiveVoucher(w.Core, w.Supplier, 250m, days: 1);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 1 })).Expect(HttpStatusCode.OK);
        var before = await w.Snapshot(due);

        AssertProblem(await w.Core2.Client.Post($"/v1/vouchers/{due}/repay"), HttpStatusCode.NotFound, "not_found");
        // The supplier holding it and the funder may not repay either: a role that never may.
        AssertProblem(await w.Supplier.Client.Post($"/v1/vouchers/{due}/repay"), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await S.Operator.Post($"/v1/vouchers/{due}/repay"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(before, await w.Snapshot(due));

        var repaid = (await w.Core.Client.Post($"/v1/vouchers/{due}/repay")).Expect(HttpStatusCode.OK);
        Assert.Equal("settled", repaid.Json.GetProperty("root").GetProperty("status").GetString());
        Assert.Equal(250m, repaid.Json.GetProperty("payments")[0].GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Funder_CannotGrantAFacility_InAnotherFundersName()
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var refused = await w.Funder2.Client.Post("/v1/facilities", new
        {
            funderId = w.Funder.Id, obligorId = w.Core2.Id, limit = 10_000m, annualRate = 0.05m, expiresOn = "2030-12-31",
        });

        AssertProblem(refused, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(before, await w.Snapshot());
        AssertProblem(await S.Operator.Get($"/v1/facilities/{Ids.Facility(w.Funder.Id, w.Core2.Id)}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Transfer_Recipient_SeesItsFragment_ButNotTheSendersRemainder()
    {
        var w = await World.Build(S);
        var transfer = (await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 300m }))
            .Expect(HttpStatusCode.Created).Json;
        var passed = transfer.GetProperty("transferred").GetProperty("id").GetString()!;
        var remainder = transfer.GetProperty("remainder").GetProperty("id").GetString()!;
        var before = await w.Snapshot(passed, remainder);

        (await w.Supplier2.Client.Get($"/v1/vouchers/{passed}")).Expect(HttpStatusCode.OK);
        // The sender still sees what it passed on (it holds the parent).
        (await w.Supplier.Client.Get($"/v1/vouchers/{passed}")).Expect(HttpStatusCode.OK);
        AssertProblem(await w.Supplier2.Client.Get($"/v1/vouchers/{remainder}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await w.Supplier2.Client.Get($"/v1/vouchers/{w.Active}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await w.Supplier2.Client.Post($"/v1/vouchers/{remainder}/split", new { amounts = new[] { 300m, 400m } }),
            HttpStatusCode.NotFound, "not_found");
        AssertProblem(await w.Supplier2.Client.Post($"/v1/vouchers/{remainder}/transfer", new { toId = w.Supplier2.Id, amount = 700m }),
            HttpStatusCode.NotFound, "not_found");
        // A third supplier sees none of it.
        var stranger = await NewParty(S, "supplier");
        AssertProblem(await stranger.Client.Get($"/v1/vouchers/{passed}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await stranger.Client.Post($"/v1/vouchers/{passed}/accept"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await w.Snapshot(passed, remainder));
    }

    [Fact]
    public async Task ScopedRiskStaff_SeeTheirFundersObjects_UnscopedRiskStaffSeeAll()
    {
        var w = await World.Build(S);

        var facility = (await w.RiskScoped.Client.Get($"/v1/facilities/{w.CoreFacility}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(w.Funder.Id, facility.GetProperty("funderId").GetString());
        Assert.Equal(1_000_000m, facility.GetProperty("limit").GetDecimal());
        Assert.Equal(300m, facility.GetProperty("used").GetDecimal());
        var financed = (await w.RiskScoped.Client.Get($"/v1/vouchers/{w.Financed}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(w.Funder.Id, financed.GetProperty("holderId").GetString());
        (await w.RiskScoped2.Client.Get($"/v1/facilities/{w.OtherFacility}")).Expect(HttpStatusCode.OK);
        AssertProblem(await w.RiskScoped.Client.Get($"/v1/facilities/{w.OtherFacility}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await w.RiskScoped2.Client.Get($"/v1/facilities/{w.CoreFacility}"), HttpStatusCode.NotFound, "not_found");

        foreach (var path in new[]
                 {
                     $"/v1/facilities/{w.CoreFacility}", $"/v1/facilities/{w.OtherFacility}", $"/v1/facilities/{w.SupplierFacility}",
                     $"/v1/vouchers/{w.Active}", $"/v1/vouchers/{w.Pending}", $"/v1/vouchers/{w.Financed}",
                     $"/v1/vouchers/{w.Active}/tree", $"/v1/participants/{w.Core.Id}", $"/v1/participants/{w.Funder2.Id}",
                 })
            (await w.Risk.Client.Get(path)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Unauthenticated_InEveryForm_Is401()
    {
        var w = await World.Build(S);
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        foreach (var header in new[] { null, "", "Bearer", "Bearer ", $"Basic {w.Supplier.Client.ApiKey}", $"{w.Supplier.Client.ApiKey}",
                     $"Bearer {w.Supplier.Client.ApiKey}x", $"Bearer {new string('k', 5000)}", "Bearer sk_test_operator_not" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/vouchers/{w.Active}");
            if (header is not null) request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await http.SendAsync(request);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"Authorization '{header}' answered {(int)response.StatusCode}");
            Assert.Equal("unauthenticated", body.GetProperty("code").GetString());
            Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
        }
        // An unknown route under /v1 asks for a key first, too.
        AssertProblem(await S.Operator.As(null).Get("/v1/nothing-here"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    // ------------------------------------------------------------------------------------------------
    // The cast: one of each role, a second core, supplier, funder and a scoped risk staff of each funder.
    // ------------------------------------------------------------------------------------------------

    /// <remarks>
    /// Active: a root of 1,000.00 the supplier accepted, due in 90 days. Pending: a root of 500.00 to the supplier,
    /// due in 60 days, not yet answered. FinancedRoot: a root of 600.00 (60 days) the supplier accepted and then
    /// discounted 300.00 of with the funder: the root is <c>transferred</c>, Financed (its <c>-1</c>) is the funder's
    /// 300.00, its <c>-2</c> the supplier's 300.00 remainder; so a read of Financed that answers another fragment of
    /// the same tree is told apart. Names: every party's and staff's registered name, by id.
    /// </remarks>
    private sealed record World(
        Party Core, Party Core2, Party Supplier, Party Supplier2, Party Funder, Party Funder2, Party Sponsor,
        Party Risk, Party RiskScoped, Party RiskScoped2, ApiClient Operator, ApiClient Unknown,
        string CoreFacility, string SupplierFacility, string OtherFacility,
        string Active, string Pending, string FinancedRoot, string Financed, DateOnly Today, IReadOnlyDictionary<string, string> Names)
    {
        public static async Task<World> Build(Scenario s)
        {
            var kinds = new[] { "core", "core", "supplier", "supplier", "funder", "funder", "sponsor" };
            var parties = await Task.WhenAll(kinds.Select(kind => NewParty(s, kind)));
            var (core, core2, supplier, supplier2, funder, funder2, sponsor) =
                (parties[0], parties[1], parties[2], parties[3], parties[4], parties[5], parties[6]);
            var risk = RiskStaff(s, null);
            var riskScoped = RiskStaff(s, funder.Id);
            var riskScoped2 = RiskStaff(s, funder2.Id);
            var coreFacility = s.Facility(funder, core, 1_000_000m);
            var supplierFacility = s.Facility(funder, supplier, 100_000m);
            var otherFacility = s.Facility(funder2, core2, 500_000m);
            await Task.WhenAll(risk, riskScoped, riskScoped2, coreFacility, supplierFacility, otherFacility);

            var today = await s.Today();
            var active = s.ActiveVoucher(core, supplier, 1000m);
            var pending = Issue(core, supplier, 500m, today.AddDays(60));
            var financed = FinancedVoucher(s, core, supplier, funder, 600m, 300m);
            await Task.WhenAll(active, pending, financed);

            var names = parties.Concat([risk.Result, riskScoped.Result, riskScoped2.Result]).ToDictionary(p => p.Id, p => p.Name);
            return new World(core, core2, supplier, supplier2, funder, funder2, sponsor,
                risk.Result.Party, riskScoped.Result.Party, riskScoped2.Result.Party, s.Operator, s.Operator.As("sk_" + Guid.NewGuid().ToString("N")),
                coreFacility.Result, supplierFacility.Result, otherFacility.Result,
                active.Result, pending.Result, financed.Result.Root, financed.Result.Financed, today, names);
        }

        public ApiClient ClientOf(Who who) => who switch
        {
            Who.Operator => Operator,
            Who.Core => Core.Client,
            Who.Supplier => Supplier.Client,
            Who.Funder => Funder.Client,
            Who.Sponsor => Sponsor.Client,
            Who.Risk => Risk.Client,
            Who.RiskScoped => RiskScoped.Client,
            Who.NoKey => Operator.As(null),
            Who.UnknownKey => Unknown,
            _ => throw new ArgumentOutOfRangeException(nameof(who)),
        };

        public string? IdOf(Who who) => who switch
        {
            Who.Operator => Caller.OperatorId,
            Who.Core => Core.Id,
            Who.Supplier => Supplier.Id,
            Who.Funder => Funder.Id,
            Who.Sponsor => Sponsor.Id,
            Who.Risk => Risk.Id,
            Who.RiskScoped => RiskScoped.Id,
            _ => null,
        };

        /// <summary>
        /// Every object of the cast as its owner reads it: trees by their obligor, fragments by their holder,
        /// facilities by their funder, the issuance position by the core, lists by each party, and the clock.
        /// </summary>
        public async Task<string> Snapshot(params string[] extraFragments)
        {
            var lines = new List<string>();
            foreach (var root in new[] { Active, Pending, FinancedRoot })
            {
                var tree = (await Core.Client.Get($"/v1/vouchers/{root}/tree")).Expect(HttpStatusCode.OK).Json;
                lines.AddRange(tree.GetProperty("fragments").EnumerateArray().Select(Fragment));
            }
            lines.Add("supplier reads " + Fragment((await Supplier.Client.Get($"/v1/vouchers/{Active}")).Expect(HttpStatusCode.OK).Json));
            lines.Add("supplier reads " + Fragment((await Supplier.Client.Get($"/v1/vouchers/{Pending}")).Expect(HttpStatusCode.OK).Json));
            lines.Add("funder reads " + Fragment((await Funder.Client.Get($"/v1/vouchers/{Financed}")).Expect(HttpStatusCode.OK).Json));
            foreach (var id in extraFragments)
                lines.Add("core reads " + Fragment((await Core.Client.Get($"/v1/vouchers/{id}")).Expect(HttpStatusCode.OK).Json));
            foreach (var (owner, id) in new[] { (Funder, CoreFacility), (Funder, SupplierFacility), (Funder2, OtherFacility) })
                lines.Add(await StateText.Facility(owner.Client, id));
            foreach (var core in new[] { Core, Core2 }) lines.Add(await StateText.Issuance(core));
            lines.AddRange(await StateText.ListsAndClock(Operator, Core, Core2, Supplier, Supplier2, Funder, Funder2, Sponsor));
            return string.Join("\n", lines);
        }
    }

    private static string Fragment(JsonElement f) => StateText.Fragment(f);

    /// <summary>A participant whose client shares the operator's HttpClient (hundreds of casts, one connection pool).</summary>
    private static async Task<NamedParty> NewParty(Scenario s, string kind)
    {
        var name = $"{kind} {Guid.NewGuid():N}"[..24];
        var p = await s.Participant(kind, name);
        return new NamedParty(p with { Client = s.Operator.As(p.Client.ApiKey) }, name);
    }

    private sealed record NamedParty(Party Party, string Name)
    {
        public string Id => Party.Id;

        public ApiClient Client => Party.Client;

        public static implicit operator Party(NamedParty p) => p.Party;
    }

    private static async Task<NamedParty> RiskStaff(Scenario s, string? funderId)
    {
        var name = $"risk analyst {Guid.NewGuid():N}"[..24];
        var created = (await s.Operator.Post("/v1/risk-staff", new { name, funderId })).Expect(HttpStatusCode.Created);
        Assert.Equal(funderId, created.Json.GetProperty("funderId").GetString());
        return new NamedParty(new Party(created.Id, "risk", s.Operator.As(created.Json.GetProperty("apiKey").GetString())), name);
    }

    private static async Task<string> Issue(Party core, Party supplier, decimal amount, DateOnly maturity) =>
        (await core.Client.Post("/v1/vouchers", new { beneficiaryId = supplier.Id, amount, maturityDate = maturity.ToString("yyyy-MM-dd") }))
        .Expect(HttpStatusCode.Created).Id;

    /// <summary>A root of <paramref name="face"/> the supplier accepted and discounted <paramref name="financed"/> of with the funder.</summary>
    private static async Task<(string Root, string Financed)> FinancedVoucher(Scenario s, Party core, Party supplier, Party funder,
        decimal face, decimal financed)
    {
        var root = await s.ActiveVoucher(core, supplier, face, days: 60);
        var discount = (await supplier.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = funder.Id, amount = financed }))
            .Expect(HttpStatusCode.Created).Json;
        var id = discount.GetProperty("financed").GetProperty("id").GetString()!;
        Assert.Equal((root, $"{root}-1", $"{root}-2"), (discount.GetProperty("parent").GetProperty("id").GetString(), id,
            discount.GetProperty("remainder").GetProperty("id").GetString()));
        return (root, id);
    }
}
