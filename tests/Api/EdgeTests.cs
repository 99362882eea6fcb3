using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// The edge of the API as issue 14 found it: ids that cannot be ids, requests the server itself refuses, paths outside
/// the API, the dashboard, 403 against 404, and the OpenAPI document as a contract.
/// </summary>
public sealed class EdgeTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    /// <summary>Every path id that cannot be an id answers 404 not_found, on every kind of object, for every role.</summary>
    [Theory]
    [InlineData("/v1/participants/%20")]
    [InlineData("/v1/participants/%20/issuance")]
    [InlineData("/v1/facilities/%20")]
    [InlineData("/v1/risk/chains/%20")]
    [InlineData("/v1/risk/exposures/obligor/%20")]
    [InlineData("/v1/risk/exposures/funder/%09")]
    [InlineData("/v1/vouchers/%E2%80%AE")]
    [InlineData("/v1/orders/ORDER")]
    [InlineData("/v1/loans/a%20b")]
    [InlineData("/v1/guarantee-groups/%F0%9F%98%80")]
    [InlineData("/v1/risk-pools/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public async Task AnIdThatCannotBeAnId_Is404_NeverA500(string path)
    {
        AssertProblem(await S.Operator.Get(path), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await S.Operator.Post(path.Replace("/issuance", "/issuance-limit"), new { limit = 1m }), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("A")]
    [InlineData("p\u00e9")]
    public async Task ABodyIdThatCannotBeAnId_Is400_NamingTheField(string funderId)
    {
        AssertValidation(await S.Operator.Post("/v1/risk-staff", new { name = "Risk", funderId }), "funderId");
        AssertValidation(await S.Operator.Post("/v1/risk/stress", new { defaultingIds = new[] { funderId } }), "defaultingIds");
    }

    /// <summary>A NUL in the path is refused by Kestrel before the application runs: still a problem document.</summary>
    [Theory]
    [InlineData("GET /v1/participants/%00 HTTP/1.1")]
    [InlineData("GET /v1/x%00y HTTP/1.1")]
    [InlineData("NOT A REQUEST LINE")]
    public async Task WhatTheServerRefusesItself_IsAProblemToo(string requestLine)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Host.BaseAddress.Host, fixture.Host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: localhost\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 ", response);
        Assert.Contains("Content-Type: application/problem+json", response);
        var body = JsonDocument.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement;
        Assert.Equal("request_rejected", body.GetProperty("code").GetString());
        Assert.Equal(400, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task OutsideTheApi_TheHomePagePointsTheWay_AndOtherPathsAreProblems()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        var home = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var page = await home.Content.ReadAsStringAsync();
        foreach (var link in new[] { "/console", "/docs", "/openapi/v1.json", "/dashboard", "/health/ready" }) Assert.Contains($"href=\"{link}\"", page);

        var nothing = await http.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);
        Assert.Equal("application/problem+json", nothing.Content.Headers.ContentType?.MediaType);
        AssertProblem(await S.Operator.Get("/v1/no-such-thing"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task TheDashboard_WantsTheOperatorKey_AsPasswordOrBearer()
    {
        var (_, supplier, _, _) = await S.Cast(1_000m);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.BaseAddress };

        var anonymous = await http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);

        foreach (var wrong in new[] { supplier.Client.ApiKey!, "nope", "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + wrong)));
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        }

        using var basic = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + ApiHost.OperatorKey)));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(basic)).StatusCode);

        // A silo address the dashboard cannot parse used to be its 500: now 404, a problem.
        using var badSilo = new HttpRequestMessage(HttpMethod.Get, "/dashboard/SiloProperties/not-a-silo");
        badSilo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.OperatorKey);
        var answer = await http.SendAsync(badSilo);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// A supplier that passed a fragment on may still see it (it sent it) but may not act on it: 403 forbidden. A party that
    /// cannot see a fragment at all gets 404, as if it did not exist.
    /// </summary>
    [Fact]
    public async Task APreviousHolder_SeesButMayNotAct_403_AndAStranger_404()
    {
        var (core, s1, _, _) = await S.Cast(100_000m);
        var s2 = await S.Participant("supplier");
        var stranger = await S.Participant("supplier");
        var root = await S.ActiveVoucher(core, s1, 10_000m);
        var passed = (await s1.Client.Post($"/v1/vouchers/{root}/transfer", new { toId = s2.Id, amount = 4_000m })).Expect(HttpStatusCode.Created)
            .Json.GetProperty("transferred").GetProperty("id").GetString()!;

        (await s1.Client.Get($"/v1/vouchers/{passed}")).Expect(HttpStatusCode.OK);
        AssertProblem(await s1.Client.Post($"/v1/vouchers/{passed}/accept"), HttpStatusCode.Forbidden, "forbidden");
        (await s2.Client.Post($"/v1/vouchers/{passed}/accept")).Expect(HttpStatusCode.OK);
        AssertProblem(await s1.Client.Post($"/v1/vouchers/{passed}/split", new { amounts = new[] { 1_000m, 3_000m } }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await s1.Client.Post($"/v1/vouchers/{passed}/transfer", new { toId = stranger.Id, amount = 1_000m }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await stranger.Client.Post($"/v1/vouchers/{passed}/split", new { amounts = new[] { 1_000m, 3_000m } }), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await stranger.Client.Get($"/v1/vouchers/{passed}"), HttpStatusCode.NotFound, "not_found");
        // Nothing moved: the fragment is still s2's, whole.
        var fragment = (await s2.Client.Get($"/v1/vouchers/{passed}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("active", 4_000m), (fragment.GetProperty("status").GetString(), fragment.GetProperty("amount").GetDecimal()));
    }

    /// <summary>The document a client generates its code from says what the API does.</summary>
    [Fact]
    public async Task TheOpenApiDocument_IsComplete()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.Contains("Idempotency", doc.GetProperty("info").GetProperty("description").GetString());
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey").GetProperty("scheme").GetString());
        var problem = doc.GetProperty("components").GetProperty("schemas").GetProperty("Problem");
        Assert.Contains(problem.GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray(), c => c.GetString() == "insufficient_limit");

        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/health/ready", out _));
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.StartsWith("/dashboard", StringComparison.Ordinal));
        var operationIds = new HashSet<string>();
        foreach (var path in paths.EnumerateObject())
        foreach (var op in path.Value.EnumerateObject())
        {
            var where = $"{op.Name.ToUpperInvariant()} {path.Name}";
            var operationId = op.Value.GetProperty("operationId").GetString()!;
            Assert.True(operationIds.Add(operationId), $"{where}: operation id {operationId} twice");
            Assert.False(string.IsNullOrWhiteSpace(op.Value.GetProperty("description").GetString()), where);
            if (!path.Name.StartsWith("/v1", StringComparison.Ordinal)) continue;
            var responses = op.Value.GetProperty("responses");
            Assert.True(responses.TryGetProperty("401", out var unauthenticated), $"{where}: no 401");
            Assert.Equal("#/components/schemas/Problem",
                unauthenticated.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
            Assert.True(op.Value.TryGetProperty("security", out _), $"{where}: no security requirement");
            if (op.Name == "post" && path.Name != "/v1/admin/clock/advance" && path.Name != "/v1/risk/stress" && !path.Name.EndsWith("/cancel", StringComparison.Ordinal))
            {
                var key = op.Value.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
                Assert.True(key.GetProperty("required").GetBoolean(), $"{where}: Idempotency-Key not required");
                Assert.True(responses.TryGetProperty("422", out _), $"{where}: no 422");
            }
            if (op.Value.TryGetProperty("requestBody", out var body))
            {
                var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
                Assert.False(schema.GetProperty("additionalProperties").GetBoolean(), $"{where}: unknown properties not refused");
                Assert.True(schema.TryGetProperty("examples", out var examples) && examples.GetArrayLength() == 1, $"{where}: no example body");
                var example = examples[0];
                foreach (var property in example.EnumerateObject())
                    Assert.True(schema.GetProperty("properties").TryGetProperty(property.Name, out _), $"{where}: the example's '{property.Name}' is not in the schema");
            }
        }

        var issue = paths.GetProperty("/v1/vouchers").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var required = issue.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Equal(["beneficiaryId", "amount", "maturityDate"], required);
        Assert.Equal("number", issue.GetProperty("properties").GetProperty("amount").GetProperty("type").GetString());
        var kind = paths.GetProperty("/v1/participants").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("properties").GetProperty("kind").GetProperty("enum").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Equal(["core", "supplier", "funder", "sponsor"], kind);
        var status = doc.GetProperty("components").GetProperty("schemas").GetProperty("VoucherDto").GetProperty("properties").GetProperty("status")
            .GetProperty("enum").EnumerateArray().Select(k => k.GetString()).ToList();
        Assert.Contains("financed", status);
    }
}
