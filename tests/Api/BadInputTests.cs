using System.Net;
using System.Text.Json;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Every kind of bad input answers 400 application/problem+json with the right code and an <c>errors</c> member naming
/// the field; every business-rule conflict answers 409 with its code. Either way nothing changes: the tree, the facility,
/// the issuance position and every party's list read the same afterwards, and no object appears under the id the
/// operation would have created.
/// </summary>
public sealed class BadInputTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    // ------------------------------------------------------------------------------------------------
    // Amounts: at most 2 decimals, 0 < amount ≤ 10^12, a JSON number, present.
    // ------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, string?> BadAmounts = new()
    {
        ["3 decimals"] = "1.001",
        ["zero"] = "0",
        ["zero with decimals"] = "0.00",
        ["negative"] = "-100",
        ["negative fen"] = "-0.01",
        ["above 10^12 by a fen"] = "1000000000000.01",
        ["10^12 + 1"] = "1000000000001",
        ["far beyond decimal"] = "1e400",
        ["string"] = "\"100\"",
        ["string NaN"] = "\"NaN\"",
        ["boolean"] = "true",
        ["object"] = "{\"yuan\":100}",
        ["missing"] = null,
        ["null"] = "null",
    };

    /// <summary>Endpoints that take an amount: who calls, where, the body around the amount, and the field the error names.</summary>
    private sealed record AmountEndpoint(Func<World, ApiClient> Caller, Func<World, string> Path, Func<World, string?, string> Body, string Field);

    private static readonly Dictionary<string, AmountEndpoint> AmountEndpoints = new()
    {
        ["issue"] = new(w => w.Core.Client, _ => "/v1/vouchers",
            (w, a) => Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", a), ("maturityDate", Str(w.Maturity))), "amount"),
        ["transfer"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/transfer",
            (w, a) => Obj(("toId", Str(w.Supplier2.Id)), ("amount", a)), "amount"),
        ["discount"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/discount",
            (w, a) => Obj(("funderId", Str(w.Funder.Id)), ("amount", a)), "amount"),
        ["split"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/split",
            (_, a) => a is null ? "{}" : $"{{\"amounts\":[{a},500]}}", "amounts[0]"),
        ["facility"] = new(w => w.Operator, _ => "/v1/facilities",
            (w, a) => Obj(("funderId", Str(w.Funder2.Id)), ("obligorId", Str(w.Core.Id)), ("limit", a), ("annualRate", "0.05"),
                ("expiresOn", "\"2030-12-31\"")), "limit"),
        ["facility limit"] = new(w => w.Funder.Client, w => $"/v1/facilities/{w.Facility}/limit", (_, a) => Obj(("limit", a)), "limit"),
        ["issuance limit"] = new(w => w.Operator, w => $"/v1/participants/{w.Core.Id}/issuance-limit", (_, a) => Obj(("limit", a)), "limit"),
    };

    public static TheoryData<string, string> AmountCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in AmountEndpoints.Keys)
        foreach (var amount in BadAmounts.Keys)
        {
            // A missing or null issuance limit is not an error: it removes the operator-set limit.
            if (endpoint == "issuance limit" && amount is "missing" or "null") continue;
            data.Add(endpoint, amount);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AmountCases))]
    public async Task BadAmount_Is400_NamingTheField_AndChangesNothing(string endpoint, string amount)
    {
        var w = await World.Build(S);
        var e = AmountEndpoints[endpoint];
        var field = endpoint == "split" && amount == "missing" ? "amounts" : e.Field;
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await e.Caller(w).PostRaw(e.Path(w), e.Body(w, BadAmounts[amount]), key);

        AssertValidation(result, field);
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, endpoint, key);
    }

    [Fact]
    public async Task BoundaryAmounts_AreAccepted()
    {
        var w = await World.Build(S);
        var limit = (await w.Funder.Client.Post($"/v1/facilities/{w.Facility}/limit", new { limit = 1_000_000_000_000m })).Expect(HttpStatusCode.OK);
        Assert.Equal(1_000_000_000_000m, limit.Amount("limit"));
        var smallest = (await w.Core.Client.PostRaw("/v1/vouchers",
            Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "0.01"), ("maturityDate", Str(w.Maturity))))).Expect(HttpStatusCode.Created);
        Assert.Equal(0.01m, smallest.Amount());
        var exponent = (await w.Core.Client.PostRaw("/v1/vouchers",
            Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "1.5e2"), ("maturityDate", Str(w.Maturity))))).Expect(HttpStatusCode.Created);
        Assert.Equal(150m, exponent.Amount());
    }

    // ------------------------------------------------------------------------------------------------
    // Malformed JSON.
    // ------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, Func<string, string>> Malformations = new()
    {
        ["NaN literal"] = body => body.Replace("\"amount\":100", "\"amount\":NaN"),
        ["Infinity literal"] = body => body.Replace("\"amount\":100", "\"amount\":Infinity"),
        ["-Infinity literal"] = body => body.Replace("\"amount\":100", "\"amount\":-Infinity"),
        ["hex number"] = body => body.Replace("\"amount\":100", "\"amount\":0x64"),
        ["leading zero"] = body => body.Replace("\"amount\":100", "\"amount\":0100"),
        ["trailing dot"] = body => body.Replace("\"amount\":100", "\"amount\":100."),
        ["truncated"] = body => body[..^1],
        ["not JSON"] = _ => "amount=100",
        ["empty body"] = _ => "",
        ["JSON null"] = _ => "null",
        ["JSON array"] = body => $"[{body}]",
        ["JSON string"] = _ => "\"amount\"",
        ["duplicate property"] = body => body[..^1] + ",\"amount\":100}",
        ["trailing comma"] = body => body[..^1] + ",}",
        ["single quotes"] = body => body.Replace('"', '\''),
        ["comment"] = body => body[..^1] + "/* note */}",
        ["two documents"] = body => body + body,
    };

    public static TheoryData<string, string> MalformedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in new[] { "issue", "transfer", "discount" })
        foreach (var malformation in Malformations.Keys)
            data.Add(endpoint, malformation);
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public async Task MalformedJson_Is400_AndChangesNothing(string endpoint, string malformation)
    {
        var w = await World.Build(S);
        var e = AmountEndpoints[endpoint];
        var key = Guid.NewGuid().ToString("N");
        var body = Malformations[malformation](e.Body(w, "100"));
        var before = await w.Snapshot();

        var result = await e.Caller(w).PostRaw(e.Path(w), body, key);

        var problem = AssertProblem(result, HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any(),
            $"'{body}' answered without errors: {result.Text}");
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, endpoint, key);
    }

    [Fact]
    public async Task NoBodyAtAll_Is400_NamingTheBody()
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();
        foreach (var (client, path) in new[]
                 {
                     (w.Core.Client, "/v1/vouchers"), (w.Supplier.Client, $"/v1/vouchers/{w.Active}/transfer"),
                     (w.Supplier.Client, $"/v1/vouchers/{w.Active}/split"), (w.Operator, "/v1/facilities"), (w.Operator, "/v1/participants"),
                 })
            AssertValidation(await client.PostRaw(path, null), "body");
        Assert.Equal(before, await w.Snapshot());
    }

    // ------------------------------------------------------------------------------------------------
    // Unknown properties: no client sets a field it does not own.
    // ------------------------------------------------------------------------------------------------

    private sealed record Request(Func<World, ApiClient> Caller, Func<World, string> Path, Func<World, string> Body, string Field);

    private static readonly Dictionary<string, Request> UnknownProperties = new()
    {
        ["transfer {amount, holderId}"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/transfer",
            _ => """{"amount":1,"holderId":"x"}""", "holderId"),
        ["transfer with holderId beside valid fields"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/transfer",
            w => Obj(("toId", Str(w.Supplier2.Id)), ("amount", "100"), ("holderId", Str(w.Supplier2.Id))), "holderId"),
        ["transfer with tier"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/transfer",
            w => Obj(("toId", Str(w.Supplier2.Id)), ("amount", "100"), ("tier", "1")), "tier"),
        ["issue with status"] = new(w => w.Core.Client, _ => "/v1/vouchers",
            w => Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "100"), ("maturityDate", Str(w.Maturity)), ("status", "\"active\"")), "status"),
        ["issue with obligorId"] = new(w => w.Core.Client, _ => "/v1/vouchers",
            w => Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "100"), ("maturityDate", Str(w.Maturity)), ("obligorId", Str(w.Supplier2.Id))),
            "obligorId"),
        ["issue with holderId"] = new(w => w.Core.Client, _ => "/v1/vouchers",
            w => Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "100"), ("maturityDate", Str(w.Maturity)), ("holderId", Str(w.Supplier2.Id))),
            "holderId"),
        ["issue with Amount in PascalCase"] = new(w => w.Core.Client, _ => "/v1/vouchers",
            w => Obj(("beneficiaryId", Str(w.Supplier.Id)), ("Amount", "100"), ("maturityDate", Str(w.Maturity))), "Amount"),
        ["split with holderId"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/split",
            w => Obj(("amounts", "[400,600]"), ("holderId", Str(w.Supplier2.Id))), "holderId"),
        ["discount with annualRate"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/discount",
            w => Obj(("funderId", Str(w.Funder.Id)), ("amount", "100"), ("annualRate", "0")), "annualRate"),
        ["discount with proceeds"] = new(w => w.Supplier.Client, w => $"/v1/vouchers/{w.Active}/discount",
            w => Obj(("funderId", Str(w.Funder.Id)), ("amount", "100"), ("proceeds", "100")), "proceeds"),
        ["facility with used"] = new(w => w.Operator, _ => "/v1/facilities",
            w => Obj(("funderId", Str(w.Funder2.Id)), ("obligorId", Str(w.Core.Id)), ("limit", "10000"), ("used", "0"), ("annualRate", "0.05"),
                ("expiresOn", "\"2030-12-31\"")), "used"),
        ["facility with id"] = new(w => w.Operator, _ => "/v1/facilities",
            w => Obj(("id", "\"fa-mine\""), ("funderId", Str(w.Funder2.Id)), ("obligorId", Str(w.Core.Id)), ("limit", "10000"),
                ("annualRate", "0.05"), ("expiresOn", "\"2030-12-31\"")), "id"),
        ["facility limit with used"] = new(w => w.Funder.Client, w => $"/v1/facilities/{w.Facility}/limit",
            _ => """{"limit":2000000,"used":0}""", "used"),
        ["facility limit with annualRate"] = new(w => w.Funder.Client, w => $"/v1/facilities/{w.Facility}/limit",
            _ => """{"limit":2000000,"annualRate":0.01}""", "annualRate"),
        ["issuance limit with outstanding"] = new(w => w.Operator, w => $"/v1/participants/{w.Core.Id}/issuance-limit",
            _ => """{"limit":2000000,"outstanding":0}""", "outstanding"),
        ["participant with apiKey"] = new(w => w.Operator, _ => "/v1/participants",
            _ => """{"name":"Acme","kind":"supplier","apiKey":"sk_chosen"}""", "apiKey"),
        ["participant with id"] = new(w => w.Operator, _ => "/v1/participants",
            _ => """{"id":"ptchosen","name":"Acme","kind":"supplier"}""", "id"),
        ["risk staff with kind"] = new(w => w.Operator, _ => "/v1/risk-staff",
            _ => """{"name":"Analyst","kind":"operator"}""", "kind"),
        ["clock advance with today"] = new(w => w.Operator, _ => "/v1/admin/clock/advance",
            _ => """{"days":1,"today":"2030-01-01"}""", "today"),
    };

    public static TheoryData<string> UnknownPropertyCases() => new(UnknownProperties.Keys);

    [Theory]
    [MemberData(nameof(UnknownPropertyCases))]
    public async Task UnknownProperty_Is400_NamingIt_AndChangesNothing(string name)
    {
        var w = await World.Build(S);
        var r = UnknownProperties[name];
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await r.Caller(w).PostRaw(r.Path(w), r.Body(w), key);

        AssertValidation(result, r.Field);
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, r.Path(w) switch
        {
            "/v1/vouchers" => "issue",
            "/v1/facilities" => "facility",
            "/v1/participants" => "participant",
            "/v1/risk-staff" => "risk staff",
            _ => "",
        }, key);
    }

    /// <summary>
    /// Accept, reject and repay take no body. API.md: "Unknown JSON properties in a request body are rejected (400)".
    /// A client sending {"amount": …} to repay believes it repays part; it must be told, not have the whole tree settled.
    /// </summary>
    [Theory]
    [InlineData("accept", """{"holderId":"someone-else"}""")]
    [InlineData("reject", """{"reason":"wrong goods"}""")]
    [InlineData("repay", """{"amount":1}""")]
    public async Task BodyWithUnknownProperties_OnBodylessEndpoint_Is400_AndChangesNothing(string action, string body)
    {
        var w = await World.Build(S);
        var due = await S.ActiveVoucher(w.Core, w.Supplier, 700m, days: 1);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 1 })).Expect(HttpStatusCode.OK);
        var before = await w.Snapshot(due);

        var result = action == "repay"
            ? await w.Core.Client.PostRaw($"/v1/vouchers/{due}/repay", body)
            : await w.Supplier.Client.PostRaw($"/v1/vouchers/{w.Pending}/{action}", body);

        AssertProblem(result, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(before, await w.Snapshot(due));
    }

    // ------------------------------------------------------------------------------------------------
    // Dates: YYYY-MM-DD strings only; maturity later than today and at most 365 days out (code tenor).
    // ------------------------------------------------------------------------------------------------

    private static readonly string?[] BadDates =
    [
        "\"2026-13-01\"", "20260101", "\"2026-02-30\"", "\"01/03/2026\"", "\"2026-3-1\"", "\"\"", "\"tomorrow\"", "true", "null", null,
    ];

    public static TheoryData<string, string> DateCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in new[] { "issue", "facility" })
        foreach (var date in BadDates)
            data.Add(endpoint, date ?? "missing");
        return data;
    }

    [Theory]
    [MemberData(nameof(DateCases))]
    public async Task BadDate_Is400_NamingTheField_AndChangesNothing(string endpoint, string date)
    {
        var w = await World.Build(S);
        var token = date == "missing" ? null : date;
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = endpoint == "issue"
            ? await w.Core.Client.PostRaw("/v1/vouchers",
                Obj(("beneficiaryId", Str(w.Supplier.Id)), ("amount", "100"), ("maturityDate", token)), key)
            : await w.Operator.PostRaw("/v1/facilities",
                Obj(("funderId", Str(w.Funder2.Id)), ("obligorId", Str(w.Core.Id)), ("limit", "10000"), ("annualRate", "0.05"), ("expiresOn", token)), key);

        AssertValidation(result, endpoint == "issue" ? "maturityDate" : "expiresOn");
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, endpoint, key);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-400)]
    [InlineData(366)]
    [InlineData(730)]
    public async Task MaturityOutOfRange_Is400Tenor_AndChangesNothing(int days)
    {
        var w = await World.Build(S);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Core.Client.Post("/v1/vouchers",
            new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = w.Today.AddDays(days).ToString("yyyy-MM-dd") }, key);

        var problem = AssertProblem(result, HttpStatusCode.BadRequest, "tenor");
        AssertNames(problem, "maturityDate");
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, "issue", key);
    }

    [Fact]
    public async Task MaturityBoundaries_TomorrowAnd365Days_AreAccepted()
    {
        var w = await World.Build(S);
        foreach (var days in new[] { 1, 365 })
        {
            var issued = (await w.Core.Client.Post("/v1/vouchers",
                new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = w.Today.AddDays(days).ToString("yyyy-MM-dd") })).Expect(HttpStatusCode.Created);
            Assert.Equal(w.Today.AddDays(days).ToString("yyyy-MM-dd"), issued.Json.GetProperty("maturityDate").GetString());
        }
    }

    [Theory]
    [InlineData("beneficiary a core", "beneficiaryId")]
    [InlineData("beneficiary the issuer itself", "beneficiaryId")]
    [InlineData("beneficiary a funder", "beneficiaryId")]
    [InlineData("beneficiary a sponsor", "beneficiaryId")]
    [InlineData("beneficiary unknown", "beneficiaryId")]
    [InlineData("beneficiary missing", "beneficiaryId")]
    [InlineData("orderId unknown", "orderId")]
    public async Task BadIssue_Is400_NamingTheField_AndChangesNothing(string name, string field)
    {
        var w = await World.Build(S);
        var beneficiary = name switch
        {
            "beneficiary a core" => Str(w.Core2.Id),
            "beneficiary the issuer itself" => Str(w.Core.Id),
            "beneficiary a funder" => Str(w.Funder.Id),
            "beneficiary a sponsor" => Str(w.Sponsor.Id),
            "beneficiary unknown" => Str("pt" + Ids.Derive("ghost", "nobody")),
            "beneficiary missing" => null,
            _ => Str(w.Supplier.Id),
        };
        var orderId = name == "orderId unknown" ? "\"or-nothing\"" : null;
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Core.Client.PostRaw("/v1/vouchers",
            Obj(("beneficiaryId", beneficiary), ("amount", "100"), ("maturityDate", Str(w.Maturity)), ("orderId", orderId)), key);

        AssertValidation(result, field);
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, "issue", key);
    }

    [Theory]
    [InlineData("status=bogus", "status")]
    [InlineData("status=ACTIVE", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=1.5", "limit")]
    [InlineData("after=ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp", "after")]
    public async Task BadListQuery_Is400_NamingTheParameter(string query, string field)
    {
        var w = await World.Build(S);

        var result = await w.Supplier.Client.Get($"/v1/vouchers?{query}");

        AssertValidation(result, field);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("3661")]
    [InlineData("\"1\"")]
    [InlineData("1.5")]
    [InlineData("null")]
    [InlineData(null)]
    public async Task BadClockAdvance_Is400_NamingDays_AndTheClockStays(string? days)
    {
        var today = await S.Today();

        var result = await S.Operator.PostRaw("/v1/admin/clock/advance", Obj(("days", days)));

        AssertValidation(result, "days");
        Assert.Equal(today, await S.Today());
    }

    // ------------------------------------------------------------------------------------------------
    // Split, transfer, discount: the rules of the tree.
    // ------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, (string Amounts, string Field)> BadSplits = new()
    {
        ["one amount"] = ("[1000]", "amounts"),
        ["no amounts"] = ("[]", "amounts"),
        ["101 amounts"] = ($"[{string.Join(",", Enumerable.Repeat("9.90", 100))},10]", "amounts"),
        ["sum below the face"] = ("[400,500]", "amounts"),
        ["sum above the face"] = ("[400,700]", "amounts"),
        ["a 0.001 child"] = ("[999.999,0.001]", "amounts[1]"),
        ["a zero child"] = ("[1000,0]", "amounts[1]"),
        ["a negative child"] = ("[1001,-1]", "amounts[1]"),
        ["a null child"] = ("[1000,null]", "amounts[1]"),
        ["a string child"] = ("[\"500\",500]", "amounts[0]"),
        ["amounts null"] = ("null", "amounts"),
        ["amounts a number"] = ("1000", "amounts"),
    };

    public static TheoryData<string> SplitCases() => new(BadSplits.Keys);

    [Theory]
    [MemberData(nameof(SplitCases))]
    public async Task BadSplit_Is400_NamingAmounts_AndChangesNothing(string name)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.PostRaw($"/v1/vouchers/{w.Active}/split", $"{{\"amounts\":{BadSplits[name].Amounts}}}");

        AssertValidation(result, BadSplits[name].Field);
        Assert.Equal(before, await w.Snapshot());
    }

    [Fact]
    public async Task SplitBoundaries_100Children_AndAOneFenChild_AreAccepted()
    {
        var w = await World.Build(S);
        var split = (await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/split", new { amounts = Enumerable.Repeat(10m, 100) }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(100, split.Json.GetProperty("children").GetArrayLength());
        var first = split.Json.GetProperty("children")[0].GetProperty("id").GetString()!;
        var again = (await w.Supplier.Client.Post($"/v1/vouchers/{first}/split", new { amounts = new[] { 9.99m, 0.01m } })).Expect(HttpStatusCode.Created);
        Assert.Equal(0.01m, again.Json.GetProperty("children")[1].GetProperty("amount").GetDecimal());
        await S.AssertTreeSums(w.Core, w.Active);
    }

    private static readonly Dictionary<string, (Func<World, string> Body, string Field)> BadTransfers = new()
    {
        ["to self"] = (w => Obj(("toId", Str(w.Supplier.Id)), ("amount", "100")), "toId"),
        ["to the obligor"] = (w => Obj(("toId", Str(w.Core.Id)), ("amount", "100")), "toId"),
        ["to a funder"] = (w => Obj(("toId", Str(w.Funder.Id)), ("amount", "100")), "toId"),
        ["to a sponsor"] = (w => Obj(("toId", Str(w.Sponsor.Id)), ("amount", "100")), "toId"),
        ["to another core"] = (w => Obj(("toId", Str(w.Core2.Id)), ("amount", "100")), "toId"),
        ["to an unknown id"] = (_ => Obj(("toId", Str("pt" + Ids.Derive("ghost", "nobody"))), ("amount", "100")), "toId"),
        ["toId missing"] = (_ => Obj(("amount", "100")), "toId"),
        ["toId empty"] = (_ => Obj(("toId", "\"\""), ("amount", "100")), "toId"),
        ["toId 65 characters"] = (_ => Obj(("toId", Str(new string('p', 65))), ("amount", "100")), "toId"),
        ["toId a number"] = (_ => Obj(("toId", "123"), ("amount", "100")), "toId"),
        ["amount above the face"] = (w => Obj(("toId", Str(w.Supplier2.Id)), ("amount", "1000.01")), "amount"),
    };

    public static TheoryData<string> TransferCases() => new(BadTransfers.Keys);

    [Theory]
    [MemberData(nameof(TransferCases))]
    public async Task BadTransfer_Is400_NamingTheField_AndChangesNothing(string name)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.PostRaw($"/v1/vouchers/{w.Active}/transfer", BadTransfers[name].Body(w));

        AssertValidation(result, BadTransfers[name].Field);
        Assert.Equal(before, await w.Snapshot());
    }

    private static readonly Dictionary<string, (Func<World, string> Body, string Field)> BadDiscounts = new()
    {
        ["to a supplier"] = (w => Obj(("funderId", Str(w.Supplier2.Id)), ("amount", "100")), "funderId"),
        ["to the holder itself"] = (w => Obj(("funderId", Str(w.Supplier.Id)), ("amount", "100")), "funderId"),
        ["to the obligor"] = (w => Obj(("funderId", Str(w.Core.Id)), ("amount", "100")), "funderId"),
        ["to a sponsor"] = (w => Obj(("funderId", Str(w.Sponsor.Id)), ("amount", "100")), "funderId"),
        ["to an unknown id"] = (_ => Obj(("funderId", Str("pt" + Ids.Derive("ghost", "nobody"))), ("amount", "100")), "funderId"),
        ["funderId missing"] = (_ => Obj(("amount", "100")), "funderId"),
        ["amount above the face"] = (w => Obj(("funderId", Str(w.Funder.Id)), ("amount", "1000.01")), "amount"),
    };

    public static TheoryData<string> DiscountCases() => new(BadDiscounts.Keys);

    [Theory]
    [MemberData(nameof(DiscountCases))]
    public async Task BadDiscount_Is400_NamingTheField_AndChangesNothing(string name)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.PostRaw($"/v1/vouchers/{w.Active}/discount", BadDiscounts[name].Body(w));

        AssertValidation(result, BadDiscounts[name].Field);
        Assert.Equal(before, await w.Snapshot());
    }

    // ------------------------------------------------------------------------------------------------
    // Facilities, participants, risk staff.
    // ------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, (string Member, string? Value, string Field)> BadFacilities = new()
    {
        ["annualRate 1"] = ("annualRate", "1", "annualRate"),
        ["annualRate 1.5"] = ("annualRate", "1.5", "annualRate"),
        ["annualRate negative"] = ("annualRate", "-0.01", "annualRate"),
        ["annualRate 7 decimals"] = ("annualRate", "0.0500001", "annualRate"),
        ["annualRate a string"] = ("annualRate", "\"0.05\"", "annualRate"),
        ["annualRate missing"] = ("annualRate", null, "annualRate"),
        ["expiresOn today"] = ("expiresOn", "today", "expiresOn"),
        ["expiresOn yesterday"] = ("expiresOn", "yesterday", "expiresOn"),
        ["expiresOn a year ago"] = ("expiresOn", "a year ago", "expiresOn"),
        ["funderId a supplier"] = ("funderId", "supplier", "funderId"),
        ["funderId unknown"] = ("funderId", "ghost", "funderId"),
        ["funderId missing"] = ("funderId", null, "funderId"),
        ["obligorId a funder"] = ("obligorId", "funder", "obligorId"),
        ["obligorId a sponsor"] = ("obligorId", "sponsor", "obligorId"),
        ["obligorId unknown"] = ("obligorId", "ghost", "obligorId"),
        ["obligorId missing"] = ("obligorId", null, "obligorId"),
    };

    public static TheoryData<string> FacilityCases() => new(BadFacilities.Keys);

    [Theory]
    [MemberData(nameof(FacilityCases))]
    public async Task BadFacility_Is400_NamingTheField_AndCreatesNothing(string name)
    {
        var w = await World.Build(S);
        var (member, value, field) = BadFacilities[name];
        var ghost = "pt" + Ids.Derive("ghost", "nobody");
        string? Resolve(string? v) => v switch
        {
            null => null,
            "today" => Str(w.Today.ToString("yyyy-MM-dd")),
            "yesterday" => Str(w.Today.AddDays(-1).ToString("yyyy-MM-dd")),
            "a year ago" => Str(w.Today.AddYears(-1).ToString("yyyy-MM-dd")),
            "supplier" => Str(w.Supplier.Id),
            "funder" => Str(w.Funder.Id),
            "sponsor" => Str(w.Sponsor.Id),
            "ghost" => Str(ghost),
            _ => v,
        };
        var members = new Dictionary<string, string?>
        {
            ["funderId"] = Str(w.Funder2.Id), ["obligorId"] = Str(w.Core2.Id), ["limit"] = "10000", ["annualRate"] = "0.05",
            ["expiresOn"] = "\"2030-12-31\"",
        };
        members[member] = Resolve(value);
        var before = await w.Snapshot();

        var result = await w.Operator.PostRaw("/v1/facilities", Obj(members.Select(m => (m.Key, m.Value)).ToArray()));

        AssertValidation(result, field);
        Assert.Equal(before, await w.Snapshot());
        var funderId = member == "funderId" ? JsonSerializer.Deserialize<string>(members["funderId"] ?? "\"\"") : w.Funder2.Id;
        var obligorId = member == "obligorId" ? JsonSerializer.Deserialize<string>(members["obligorId"] ?? "\"\"") : w.Core2.Id;
        AssertProblem(await w.Operator.Get($"/v1/facilities/{Ids.Facility(funderId!, obligorId!)}"), HttpStatusCode.NotFound, "not_found");
        var issuance = (await w.Core2.Client.Get($"/v1/participants/{w.Core2.Id}/issuance")).Expect(HttpStatusCode.OK);
        Assert.Equal(0m, issuance.Amount("limit"));
    }

    private static readonly Dictionary<string, (string Body, string Field)> BadParticipants = new()
    {
        ["kind bank"] = ("""{"name":"Big Bank","kind":"bank"}""", "kind"),
        ["kind Core capitalised"] = ("""{"name":"Acme","kind":"Core"}""", "kind"),
        ["kind risk"] = ("""{"name":"Acme","kind":"risk"}""", "kind"),
        ["kind operator"] = ("""{"name":"Acme","kind":"operator"}""", "kind"),
        ["kind empty"] = ("""{"name":"Acme","kind":""}""", "kind"),
        ["kind missing"] = ("""{"name":"Acme"}""", "kind"),
        ["kind null"] = ("""{"name":"Acme","kind":null}""", "kind"),
        ["kind a number"] = ("""{"name":"Acme","kind":1}""", "kind"),
        ["name empty"] = ("""{"name":"","kind":"supplier"}""", "name"),
        ["name blank"] = ("""{"name":"   ","kind":"supplier"}""", "name"),
        ["name missing"] = ("""{"kind":"supplier"}""", "name"),
        ["name null"] = ("""{"name":null,"kind":"supplier"}""", "name"),
        ["name 201 characters"] = ($"{{\"name\":\"{new string('n', 201)}\",\"kind\":\"supplier\"}}", "name"),
        ["name a number"] = ("""{"name":42,"kind":"supplier"}""", "name"),
    };

    public static TheoryData<string> ParticipantCases() => new(BadParticipants.Keys);

    [Theory]
    [MemberData(nameof(ParticipantCases))]
    public async Task BadParticipant_Is400_NamingTheField_AndCreatesNothing(string name)
    {
        var key = Guid.NewGuid().ToString("N");

        var result = await S.Operator.PostRaw("/v1/participants", BadParticipants[name].Body, key);

        AssertValidation(result, BadParticipants[name].Field);
        AssertProblem(await S.Operator.Get($"/v1/participants/{Ids.Participant(Ids.Operation(Caller.OperatorId, key))}"), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("name empty", "name")]
    [InlineData("funderId a supplier", "funderId")]
    [InlineData("funderId a core", "funderId")]
    [InlineData("funderId unknown", "funderId")]
    [InlineData("funderId a number", "funderId")]
    public async Task BadRiskStaff_Is400_NamingTheField_AndCreatesNothing(string name, string field)
    {
        var w = await World.Build(S);
        var body = name switch
        {
            "name empty" => Obj(("name", "\"\""), ("funderId", Str(w.Funder.Id))),
            "funderId a supplier" => Obj(("name", "\"Analyst\""), ("funderId", Str(w.Supplier.Id))),
            "funderId a core" => Obj(("name", "\"Analyst\""), ("funderId", Str(w.Core.Id))),
            "funderId unknown" => Obj(("name", "\"Analyst\""), ("funderId", Str("pt" + Ids.Derive("ghost", "nobody")))),
            _ => Obj(("name", "\"Analyst\""), ("funderId", "7")),
        };
        var key = Guid.NewGuid().ToString("N");

        var result = await w.Operator.PostRaw("/v1/risk-staff", body, key);

        AssertValidation(result, field);
        AssertProblem(await w.Operator.Get($"/v1/participants/{Ids.RiskStaff(Ids.Operation(Caller.OperatorId, key))}"), HttpStatusCode.NotFound, "not_found");
    }

    // ------------------------------------------------------------------------------------------------
    // Idempotency-Key: required on every POST that creates or moves value, 1..255 printable characters.
    // ------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, Func<World, string?, Task<ApiResult>>> KeyedPosts = new()
    {
        ["POST /v1/participants"] = (w, k) => w.Operator.Post("/v1/participants", new { name = "Acme", kind = "supplier" }, k),
        ["POST /v1/risk-staff"] = (w, k) => w.Operator.Post("/v1/risk-staff", new { name = "Analyst" }, k),
        ["POST /v1/participants/{id}/issuance-limit"] = (w, k) => w.Operator.Post($"/v1/participants/{w.Core.Id}/issuance-limit", new { limit = 5m }, k),
        ["POST /v1/facilities"] = (w, k) => w.Operator.Post("/v1/facilities",
            new { funderId = w.Funder2.Id, obligorId = w.Core.Id, limit = 10_000m, annualRate = 0.05m, expiresOn = "2030-12-31" }, k),
        ["POST /v1/facilities/{id}/limit"] = (w, k) => w.Funder.Client.Post($"/v1/facilities/{w.Facility}/limit", new { limit = 5m }, k),
        ["POST /v1/vouchers"] = (w, k) => w.Core.Client.Post("/v1/vouchers", new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = w.Maturity }, k),
        ["POST /v1/vouchers/{id}/accept"] = (w, k) => w.Supplier.Client.Post($"/v1/vouchers/{w.Pending}/accept", null, k),
        ["POST /v1/vouchers/{id}/reject"] = (w, k) => w.Supplier.Client.Post($"/v1/vouchers/{w.Pending}/reject", null, k),
        ["POST /v1/vouchers/{id}/split"] = (w, k) => w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/split", new { amounts = new[] { 400m, 600m } }, k),
        ["POST /v1/vouchers/{id}/transfer"] = (w, k) => w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 100m }, k),
        ["POST /v1/vouchers/{id}/discount"] = (w, k) => w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 100m }, k),
        ["POST /v1/vouchers/{id}/repay"] = (w, k) => w.Core.Client.Post($"/v1/vouchers/{w.Active}/repay", null, k),
    };

    public static TheoryData<string, string> IdempotencyKeyCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in KeyedPosts.Keys)
        {
            data.Add(endpoint, "missing");
            data.Add(endpoint, "empty");
            data.Add(endpoint, "256 characters");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(IdempotencyKeyCases))]
    public async Task BadIdempotencyKey_Is400_AndChangesNothing(string endpoint, string keyCase)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();
        var key = keyCase switch { "missing" => null, "empty" => "", _ => new string('k', 256) };

        // The test client sends a fresh key for "" unless told otherwise: send the header with no value ourselves.
        var result = keyCase == "empty" ? await PostWithEmptyKey(w, endpoint) : await KeyedPosts[endpoint](w, key);

        AssertProblem(result, HttpStatusCode.BadRequest, "idempotency_key_missing");
        Assert.Equal(before, await w.Snapshot());
    }

    private async Task<ApiResult> PostWithEmptyKey(World w, string endpoint)
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        var (apiKey, path, body) = endpoint switch
        {
            "POST /v1/vouchers" => (w.Core.Client.ApiKey, "/v1/vouchers",
                JsonSerializer.Serialize(new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = w.Maturity })),
            "POST /v1/vouchers/{id}/split" => (w.Supplier.Client.ApiKey, $"/v1/vouchers/{w.Active}/split", """{"amounts":[400,600]}"""),
            "POST /v1/vouchers/{id}/accept" => (w.Supplier.Client.ApiKey, $"/v1/vouchers/{w.Pending}/accept", null),
            "POST /v1/vouchers/{id}/reject" => (w.Supplier.Client.ApiKey, $"/v1/vouchers/{w.Pending}/reject", null),
            "POST /v1/vouchers/{id}/transfer" => (w.Supplier.Client.ApiKey, $"/v1/vouchers/{w.Active}/transfer", Obj(("toId", Str(w.Supplier2.Id)), ("amount", "100"))),
            "POST /v1/vouchers/{id}/discount" => (w.Supplier.Client.ApiKey, $"/v1/vouchers/{w.Active}/discount", Obj(("funderId", Str(w.Funder.Id)), ("amount", "100"))),
            "POST /v1/vouchers/{id}/repay" => (w.Core.Client.ApiKey, $"/v1/vouchers/{w.Active}/repay", null),
            "POST /v1/facilities/{id}/limit" => (w.Funder.Client.ApiKey, $"/v1/facilities/{w.Facility}/limit", """{"limit":5}"""),
            "POST /v1/facilities" => (ApiHost.OperatorKey, "/v1/facilities",
                JsonSerializer.Serialize(new { funderId = w.Funder2.Id, obligorId = w.Core.Id, limit = 10_000m, annualRate = 0.05m, expiresOn = "2030-12-31" })),
            "POST /v1/participants/{id}/issuance-limit" => (ApiHost.OperatorKey, $"/v1/participants/{w.Core.Id}/issuance-limit", """{"limit":5}"""),
            "POST /v1/risk-staff" => (ApiHost.OperatorKey, "/v1/risk-staff", """{"name":"Analyst"}"""),
            _ => (ApiHost.OperatorKey, "/v1/participants", """{"name":"Acme","kind":"supplier"}"""),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {apiKey}");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "");
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return new ApiResult(response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Headers,
            response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task IdempotencyKey_Of255Characters_IsAccepted_AndReplays()
    {
        var w = await World.Build(S);
        var key = new string('k', 254) + "~";
        var body = new { beneficiaryId = w.Supplier.Id, amount = 100m, maturityDate = w.Maturity };

        var first = (await w.Core.Client.Post("/v1/vouchers", body, key)).Expect(HttpStatusCode.Created);
        var again = (await w.Core.Client.Post("/v1/vouchers", body, key)).Expect(HttpStatusCode.Created);

        Assert.Equal(first.Text, again.Text);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)), first.Id);
    }

    // ------------------------------------------------------------------------------------------------
    // Business-rule conflicts: 409 with the right code, nothing changes.
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task IssuanceAboveTheLimit_Is409LimitExceeded_AndChangesNothing()
    {
        var w = await World.Build(S);
        // Limit 1 000 000 from the facility; 1 500 outstanding (the active and the pending voucher).
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var refused = await w.Core.Client.Post("/v1/vouchers",
            new { beneficiaryId = w.Supplier.Id, amount = 998_500.01m, maturityDate = w.Maturity }, key);

        AssertProblem(refused, HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, "issue", key);

        // Exactly up to the limit is allowed.
        (await w.Core.Client.Post("/v1/vouchers", new { beneficiaryId = w.Supplier.Id, amount = 998_500m, maturityDate = w.Maturity }))
            .Expect(HttpStatusCode.Created);
        var issuance = (await w.Core.Client.Get($"/v1/participants/{w.Core.Id}/issuance")).Expect(HttpStatusCode.OK);
        Assert.Equal(1_000_000m, issuance.Amount("outstanding"));
        Assert.Equal(1_000_000m, issuance.Amount("limit"));
    }

    [Fact]
    public async Task IssuanceAboveAnOperatorSetLimit_Is409LimitExceeded_AndChangesNothing()
    {
        var w = await World.Build(S);
        (await w.Operator.Post($"/v1/participants/{w.Core.Id}/issuance-limit", new { limit = 2_000m })).Expect(HttpStatusCode.OK);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var refused = await w.Core.Client.Post("/v1/vouchers", new { beneficiaryId = w.Supplier.Id, amount = 500.01m, maturityDate = w.Maturity }, key);

        AssertProblem(refused, HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(before, await w.Snapshot());
        await AssertNothingCreated(w, "issue", key);
        (await w.Core.Client.Post("/v1/vouchers", new { beneficiaryId = w.Supplier.Id, amount = 500m, maturityDate = w.Maturity }))
            .Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task DiscountAboveFacilityRoom_Is409InsufficientLimit_AndChangesNothing()
    {
        var w = await World.Build(S);
        var first = (await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 600m }))
            .Expect(HttpStatusCode.Created).Json;
        var remainder = first.GetProperty("remainder").GetProperty("id").GetString()!;
        (await w.Funder.Client.Post($"/v1/facilities/{w.Facility}/limit", new { limit = 900m })).Expect(HttpStatusCode.OK);
        var before = await w.Snapshot(remainder);

        // Room is 900 − 600 = 300.
        var refused = await w.Supplier.Client.Post($"/v1/vouchers/{remainder}/discount", new { funderId = w.Funder.Id, amount = 300.01m });

        AssertProblem(refused, HttpStatusCode.Conflict, "insufficient_limit");
        Assert.Equal(before, await w.Snapshot(remainder));

        (await w.Supplier.Client.Post($"/v1/vouchers/{remainder}/discount", new { funderId = w.Funder.Id, amount = 300m })).Expect(HttpStatusCode.Created);
        var facility = (await w.Funder.Client.Get($"/v1/facilities/{w.Facility}")).Expect(HttpStatusCode.OK);
        Assert.Equal((900m, 900m), (facility.Amount("limit"), facility.Amount("used")));
        await S.AssertTreeSums(w.Core, w.Active);
    }

    [Fact]
    public async Task DiscountWithNoFacility_Is409InsufficientLimit_AndChangesNothing()
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        var whole = await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder2.Id, amount = 1000m });
        var part = await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder2.Id, amount = 10m });

        AssertProblem(whole, HttpStatusCode.Conflict, "insufficient_limit");
        AssertProblem(part, HttpStatusCode.Conflict, "insufficient_limit");
        Assert.Equal(before, await w.Snapshot());
    }

    public static TheoryData<string, string> ConsumedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var consumedBy in new[] { "split", "partial transfer", "partial discount" })
        foreach (var operation in new[] { "split", "transfer", "discount", "accept", "reject" })
            data.Add(consumedBy, operation);
        return data;
    }

    [Theory]
    [MemberData(nameof(ConsumedCases))]
    public async Task OperationOnAConsumedFragment_Is409InvalidState_AndChangesNothing(string consumedBy, string operation)
    {
        var w = await World.Build(S);
        var consumed = consumedBy switch
        {
            "split" => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/split", new { amounts = new[] { 600m, 400m } }),
            "partial transfer" => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 400m }),
            _ => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 400m }),
        };
        consumed.Expect(HttpStatusCode.Created);
        var status = (await w.Supplier.Client.Get($"/v1/vouchers/{w.Active}")).Expect(HttpStatusCode.OK).Json.GetProperty("status").GetString();
        Assert.Equal(consumedBy == "split" ? "split" : "transferred", status);
        var before = await w.Snapshot();

        var result = operation switch
        {
            "split" => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/split", new { amounts = new[] { 500m, 500m } }),
            "transfer" => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = w.Supplier2.Id, amount = 100m }),
            "discount" => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 100m }),
            _ => await w.Supplier.Client.Post($"/v1/vouchers/{w.Active}/{operation}"),
        };

        AssertProblem(result, HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(before, await w.Snapshot());
        await S.AssertTreeSums(w.Core, w.Active);
    }

    [Fact]
    public async Task TransferBeyondTier10_Is409TierLimit_AndChangesNothing()
    {
        var w = await World.Build(S);
        var chain = new List<Party> { w.Supplier };
        chain.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => NewParty(S, "supplier"))));
        // Whole-face transfers move the fragment itself down the chain: tier 1 → tier 10.
        for (var i = 1; i < 10; i++)
        {
            var moved = (await chain[i - 1].Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = chain[i].Id, amount = 1000m }))
                .Expect(HttpStatusCode.Created).Json.GetProperty("transferred");
            Assert.Equal(i + 1, moved.GetProperty("tier").GetInt32());
            (await chain[i].Client.Post($"/v1/vouchers/{w.Active}/accept")).Expect(HttpStatusCode.OK);
        }
        var tenth = chain[9];
        var before = await w.Core.Client.Get($"/v1/vouchers/{w.Active}/tree");
        var beforeSnapshot = await w.Snapshot();

        var whole = await tenth.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = chain[10].Id, amount = 1000m });
        var part = await tenth.Client.Post($"/v1/vouchers/{w.Active}/transfer", new { toId = chain[10].Id, amount = 1m });

        AssertProblem(whole, HttpStatusCode.Conflict, "tier_limit");
        AssertProblem(part, HttpStatusCode.Conflict, "tier_limit");
        Assert.Equal(before.Text, (await w.Core.Client.Get($"/v1/vouchers/{w.Active}/tree")).Text);
        Assert.Equal(beforeSnapshot, await w.Snapshot());
        var held = (await tenth.Client.Get($"/v1/vouchers/{w.Active}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((tenth.Id, "active", 10, 1000m),
            (held.GetProperty("holderId").GetString(), held.GetProperty("status").GetString(), held.GetProperty("tier").GetInt32(), held.GetProperty("amount").GetDecimal()));
        AssertProblem(await chain[10].Client.Get($"/v1/vouchers/{w.Active}"), HttpStatusCode.NotFound, "not_found");
        // The tenth tier may still split and discount what it holds.
        (await tenth.Client.Post($"/v1/vouchers/{w.Active}/discount", new { funderId = w.Funder.Id, amount = 1000m })).Expect(HttpStatusCode.Created);
    }

    // ------------------------------------------------------------------------------------------------
    // The cast and what "nothing changed" means.
    // ------------------------------------------------------------------------------------------------

    private sealed record World(
        Party Core, Party Core2, Party Supplier, Party Supplier2, Party Funder, Party Funder2, Party Sponsor, ApiClient Operator,
        string Facility, string Active, string Pending, DateOnly Today)
    {
        public string Maturity => Today.AddDays(90).ToString("yyyy-MM-dd");

        public static async Task<World> Build(Scenario s)
        {
            var p = await Task.WhenAll(
                NewParty(s, "core"), NewParty(s, "core"), NewParty(s, "supplier"), NewParty(s, "supplier"),
                NewParty(s, "funder"), NewParty(s, "funder"), NewParty(s, "sponsor"));
            var (core, supplier, funder) = (p[0], p[2], p[4]);
            var facility = await s.Facility(funder, core, 1_000_000m, 0.05m);
            var today = await s.Today();
            var active = s.ActiveVoucher(core, supplier, 1000m);
            var pending = core.Client.Post("/v1/vouchers",
                new { beneficiaryId = supplier.Id, amount = 500m, maturityDate = today.AddDays(60).ToString("yyyy-MM-dd") });
            await Task.WhenAll(active, pending);
            return new World(core, p[1], supplier, p[3], funder, p[5], p[6], s.Operator, facility, active.Result,
                pending.Result.Expect(HttpStatusCode.Created).Id, today);
        }

        /// <summary>Every object of the cast as its owner reads it, and the clock.</summary>
        public async Task<string> Snapshot(params string[] extraFragments)
        {
            var lines = new List<string>();
            foreach (var root in new[] { Active, Pending })
            {
                var tree = (await Core.Client.Get($"/v1/vouchers/{root}/tree")).Expect(HttpStatusCode.OK).Json;
                lines.AddRange(tree.GetProperty("fragments").EnumerateArray().Select(Fragment));
                lines.Add("as holder " + Fragment((await ReadAsHolder(root)).Json));
            }
            foreach (var id in extraFragments) lines.Add("as holder " + Fragment((await ReadAsHolder(id)).Json));
            lines.Add(await StateText.Facility(Funder.Client, Facility));
            lines.Add(await StateText.Issuance(Core));
            lines.AddRange(await StateText.ListsAndClock(Operator, Core, Core2, Supplier, Supplier2, Funder, Funder2, Sponsor));
            return string.Join("\n", lines);
        }

        private async Task<ApiResult> ReadAsHolder(string fragmentId)
        {
            var holder = (await Core.Client.Get($"/v1/vouchers/{fragmentId}")).Expect(HttpStatusCode.OK).Json.GetProperty("holderId").GetString();
            var party = new[] { Supplier, Supplier2, Funder, Funder2 }.FirstOrDefault(x => x.Id == holder);
            return (await (party?.Client ?? Core.Client).Get($"/v1/vouchers/{fragmentId}")).Expect(HttpStatusCode.OK);
        }
    }

    private static string Fragment(JsonElement f) => StateText.Fragment(f);

    /// <summary>No object exists under the id the refused create would have made (ids derive from caller and Idempotency-Key).</summary>
    private async Task AssertNothingCreated(World w, string endpoint, string key)
    {
        var path = endpoint switch
        {
            "issue" => $"/v1/vouchers/{Ids.VoucherRoot(Ids.Operation(w.Core.Id, key))}",
            "facility" => $"/v1/facilities/{Ids.Facility(w.Funder2.Id, w.Core.Id)}",
            "participant" => $"/v1/participants/{Ids.Participant(Ids.Operation(Caller.OperatorId, key))}",
            "risk staff" => $"/v1/participants/{Ids.RiskStaff(Ids.Operation(Caller.OperatorId, key))}",
            _ => null,
        };
        if (path is not null) AssertProblem(await S.Operator.Get(path), HttpStatusCode.NotFound, "not_found");
    }


    private static async Task<Party> NewParty(Scenario s, string kind)
    {
        var p = await s.Participant(kind);
        return p with { Client = s.Operator.As(p.Client.ApiKey) };
    }

    private static string Str(string value) => JsonSerializer.Serialize(value);

    /// <summary>A JSON object from raw member values; a null value leaves the member out.</summary>
    private static string Obj(params (string Name, string? Raw)[] members) =>
        "{" + string.Join(",", members.Where(m => m.Raw is not null).Select(m => $"{Str(m.Name)}:{m.Raw}")) + "}";
}
