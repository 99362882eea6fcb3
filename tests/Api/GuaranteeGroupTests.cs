using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Joint-guarantee groups through HTTP (API.md, "Guarantee groups"): forming, consent, borrowing within the group limit,
/// who sees what, and bad input that answers a problem and changes nothing.
/// </summary>
public sealed class GuaranteeGroupTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    private sealed record Group(string Id, Party Funder, Party[] Members);

    private async Task<Group> Form(int members = 3, decimal groupLimit = 150_000m, decimal memberCap = 30_000m, bool consent = true)
    {
        var funder = await S.Participant("funder");
        var parties = new Party[members];
        for (var i = 0; i < members; i++) parties[i] = await S.Participant("supplier");
        var formed = (await funder.Client.Post("/v1/guarantee-groups", Body(funder.Id, parties.Select(p => p.Id), groupLimit, memberCap)))
            .Expect(HttpStatusCode.Created);
        var group = new Group(formed.Id, funder, parties);
        if (consent)
            foreach (var p in parties)
                (await p.Client.Post($"/v1/guarantee-groups/{group.Id}/consent")).Expect(HttpStatusCode.OK);
        return group;
    }

    private async Task<string> ExpiresOn() => (await S.Today()).AddDays(365).ToString("yyyy-MM-dd");

    private object Body(string funderId, IEnumerable<string> memberIds, decimal groupLimit = 150_000m, decimal memberCap = 30_000m) =>
        new { funderId, memberIds = memberIds.ToArray(), groupLimit, memberCap, annualRate = 0.06m, expiresOn = ExpiresOn().Result };

    private static JsonElement Member(JsonElement group, string id) =>
        group.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == id);

    [Fact]
    public async Task Form_IsProposedUntilEveryMemberConsents_ThenActive()
    {
        var g = await Form(consent: false);
        var read = (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("proposed", read.GetProperty("status").GetString());
        Assert.Equal(g.Funder.Id, read.GetProperty("funderId").GetString());
        Assert.Equal((150_000m, 0m, 0.06m), (read.GetProperty("groupLimit").GetDecimal(), read.GetProperty("outstanding").GetDecimal(),
            read.GetProperty("annualRate").GetDecimal()));
        Assert.All(g.Members, m => Assert.Equal((false, 30_000m, 0m),
            (Member(read, m.Id).GetProperty("consented").GetBoolean(), Member(read, m.Id).GetProperty("cap").GetDecimal(),
                Member(read, m.Id).GetProperty("capUsed").GetDecimal())));

        // A member borrowing before everyone consented: 409 invalid_state, nothing reserved.
        AssertProblem(await g.Members[0].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 1_000m, termDays = 30 }),
            HttpStatusCode.Conflict, "invalid_state");

        for (var i = 0; i < g.Members.Length; i++)
        {
            var after = (await g.Members[i].Client.Post($"/v1/guarantee-groups/{g.Id}/consent")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal(i == g.Members.Length - 1 ? "active" : "proposed", after.GetProperty("status").GetString());
            Assert.True(Member(after, g.Members[i].Id).GetProperty("consented").GetBoolean());
        }
        // Consenting again changes nothing.
        Assert.Equal("active", (await g.Members[0].Client.Post($"/v1/guarantee-groups/{g.Id}/consent")).Expect(HttpStatusCode.OK).Json
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task AMemberBorrows_AtTheGroupsRate_DueAfterItsTerm_WithinTheGroupLimit()
    {
        var g = await Form(groupLimit: 100_000m);
        var today = await S.Today();
        var loan = (await g.Members[0].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 60_000m, termDays = 90 }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal(g.Id, loan.GetProperty("groupId").GetString());
        Assert.Equal(JsonValueKind.Null, loan.GetProperty("orderId").ValueKind);
        Assert.Equal(JsonValueKind.Null, loan.GetProperty("poolId").ValueKind);
        Assert.Equal(JsonValueKind.Null, loan.GetProperty("waterfall").ValueKind);
        Assert.Equal((g.Members[0].Id, g.Funder.Id, 60_000m, 0.06m, today.AddDays(90).ToString("yyyy-MM-dd"), "active"),
            (loan.GetProperty("borrowerId").GetString(), loan.GetProperty("funderId").GetString(), loan.GetProperty("principal").GetDecimal(),
                loan.GetProperty("annualRate").GetDecimal(), loan.GetProperty("dueDate").GetString(), loan.GetProperty("status").GetString()));

        // 60,000 + 40,000.01 > 100,000: 409 limit_exceeded; 40,000 fits exactly.
        AssertProblem(await g.Members[1].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 40_000.01m, termDays = 30 }),
            HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(60_000m, (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK).Amount("outstanding"));
        (await g.Members[1].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 40_000m, termDays = 30 })).Expect(HttpStatusCode.Created);
        Assert.Equal(100_000m, (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK).Amount("outstanding"));

        // Repaying frees room: the group's outstanding follows the loan's principal.
        (await g.Members[0].Client.Post($"/v1/loans/{loan.GetProperty("id").GetString()}/repay", new { amount = 30_000m })).Expect(HttpStatusCode.OK);
        await Eventually.True(async () => (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Amount("outstanding") == 70_000m,
            TimeSpan.FromSeconds(20), "the group's outstanding follows the repayment");
    }

    [Fact]
    public async Task Visibility_MembersTheFunderAndStaffSeeTheGroupAndItsLoans_OthersGet404()
    {
        var g = await Form();
        var loanId = (await g.Members[0].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 1_000m, termDays = 10 }))
            .Expect(HttpStatusCode.Created).Id;
        foreach (var who in new[] { g.Members[1].Client, g.Funder.Client, S.Operator })
        {
            (await who.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK);
            Assert.Equal(g.Id, (await who.Get($"/v1/loans/{loanId}")).Expect(HttpStatusCode.OK).Json.GetProperty("groupId").GetString());
        }
        var outsider = await S.Participant("supplier");
        var otherFunder = await S.Participant("funder");
        foreach (var who in new[] { outsider.Client, otherFunder.Client })
        {
            AssertProblem(await who.Get($"/v1/guarantee-groups/{g.Id}"), HttpStatusCode.NotFound, "not_found");
            AssertProblem(await who.Get($"/v1/loans/{loanId}"), HttpStatusCode.NotFound, "not_found");
        }
        AssertProblem(await outsider.Client.Post($"/v1/guarantee-groups/{g.Id}/consent"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await outsider.Client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 1_000m, termDays = 10 }),
            HttpStatusCode.NotFound, "not_found");
        // Odd and unknown ids are 404, never 500.
        foreach (var id in new[] { "gg" + new string('z', 20), "nonsense", "GG" + new string('z', 20), "gg-1", new string('g', 200) })
            AssertProblem(await S.Operator.Get($"/v1/guarantee-groups/{id}"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(1_000m, (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Amount("outstanding"));
    }

    [Fact]
    public async Task Form_BadInput_IsAProblemWithTheField_AndCreatesNothing()
    {
        var funder = await S.Participant("funder");
        var suppliers = new List<string>();
        for (var i = 0; i < 11; i++) suppliers.Add((await S.Participant("supplier")).Id);
        var core = await S.Participant("core");
        var expires = await ExpiresOn();
        object With(object? memberIds = null, decimal groupLimit = 100_000m, decimal memberCap = 30_000m, string? funderId = null,
            decimal annualRate = 0.06m, string? expiresOn = null) =>
            new { funderId = funderId ?? funder.Id, memberIds = memberIds ?? suppliers.Take(3).ToArray(), groupLimit, memberCap, annualRate,
                expiresOn = expiresOn ?? expires };

        var cases = new (object Body, string Field)[]
        {
            (With(suppliers.Take(2).ToArray()), "memberIds"),
            (With(suppliers.Take(11).ToArray()), "memberIds"),
            (With(new[] { suppliers[0], suppliers[1], suppliers[0] }), "memberIds"),
            (With(new[] { suppliers[0], suppliers[1], core.Id }), "memberIds[2]"),
            (With(new[] { suppliers[0], suppliers[1], "nobody" }), "memberIds[2]"),
            (With(groupLimit: 0m), "groupLimit"),
            (With(groupLimit: -5m), "groupLimit"),
            (With(memberCap: 1.001m), "memberCap"),
            (With(funderId: core.Id), "funderId"),
            (With(annualRate: 1.5m), "annualRate"),
            (With(expiresOn: (await S.Today()).ToString("yyyy-MM-dd")), "expiresOn"),
        };
        foreach (var (body, field) in cases)
        {
            var answer = await S.Operator.Post("/v1/guarantee-groups", body);
            AssertValidation(answer, field);
        }
        AssertProblem(await S.Operator.PostRaw("/v1/guarantee-groups",
            JsonSerializer.Serialize(new { funderId = funder.Id, memberIds = suppliers.Take(3), groupLimit = 1m, memberCap = 1m, annualRate = 0.06m,
                expiresOn = expires, status = "active" })), HttpStatusCode.BadRequest, "validation_failed");
        // A funder forms groups only in its own name.
        var other = await S.Participant("funder");
        AssertProblem(await other.Client.Post("/v1/guarantee-groups", With()), HttpStatusCode.Forbidden, "forbidden");
        // None of the refused requests created a group any member can see: the first good one is its members' only group.
        var good = (await funder.Client.Post("/v1/guarantee-groups", With())).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("proposed", good.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Borrow_BadInput_IsAProblem_AndChangesNothing()
    {
        var g = await Form();
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { amount = 0m, termDays = 30 }, "amount"),
                     (new { amount = 10.001m, termDays = 30 }, "amount"),
                     (new { amount = 100m, termDays = 0 }, "termDays"),
                     (new { amount = 100m, termDays = 366 }, "termDays"),
                     (new { amount = 100m }, "termDays"),
                 })
            AssertValidation(await g.Members[0].Client.Post($"/v1/guarantee-groups/{g.Id}/loans", body), field);
        Assert.Equal(0m, (await g.Funder.Client.Get($"/v1/guarantee-groups/{g.Id}")).Amount("outstanding"));
    }

    [Fact]
    public async Task Form_IsIdempotent_ByKey()
    {
        var funder = await S.Participant("funder");
        var members = new[] { (await S.Participant("supplier")).Id, (await S.Participant("supplier")).Id, (await S.Participant("supplier")).Id };
        var body = Body(funder.Id, members);
        var first = (await funder.Client.Post("/v1/guarantee-groups", body, "form-once")).Expect(HttpStatusCode.Created);
        var again = (await funder.Client.Post("/v1/guarantee-groups", body, "form-once")).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Text, again.Text);
    }

    public enum Who { Operator, Core, Member, Funder, Sponsor, Risk, RiskScoped, RiskOtherFunder, OtherSupplier, OtherFunder, NoKey, UnknownKey }

    /// <summary>Every role, and every party that is not in the group, against every group endpoint.</summary>
    public static TheoryData<string, Who, int> AccessCases()
    {
        var data = new TheoryData<string, Who, int>();
        //                                                 Op   Core Mem  Fund Spon Risk Scop RiskO OthS OthF NoKey Unknown
        Add("POST /v1/guarantee-groups",                  [201, 403, 403, 201, 403, 403, 403, 403,  403, 201, 401,  401]);
        Add("POST /v1/guarantee-groups/{id}/consent",     [403, 403, 200, 403, 403, 403, 403, 403,  404, 403, 401,  401]);
        Add("POST /v1/guarantee-groups/{id}/loans",       [403, 403, 201, 403, 403, 403, 403, 403,  404, 403, 401,  401]);
        Add("GET /v1/guarantee-groups/{id}",              [200, 403, 200, 200, 403, 200, 200, 404,  404, 404, 401,  401]);
        return data;

        void Add(string endpoint, int[] expected)
        {
            for (var i = 0; i < expected.Length; i++) data.Add(endpoint, (Who)i, expected[i]);
        }
    }

    [Theory]
    [MemberData(nameof(AccessCases))]
    public async Task Access_ByRoleAndParty_RefusalsChangeNothing(string endpoint, Who who, int expected)
    {
        // A group whose members consented except the calling member (so that its own consent is the one that succeeds).
        var g = await Form(consent: false);
        foreach (var m in g.Members.Skip(endpoint.EndsWith("/consent", StringComparison.Ordinal) ? 1 : 0))
            (await m.Client.Post($"/v1/guarantee-groups/{g.Id}/consent")).Expect(HttpStatusCode.OK);
        async Task<ApiClient> Staff(string? funderId) => fixture.Host.Client((await S.Operator.Post("/v1/risk-staff", new { name = "analyst", funderId }))
            .Expect(HttpStatusCode.Created).Json.GetProperty("apiKey").GetString());
        var (client, id) = who switch
        {
            Who.Operator => (S.Operator, (string?)null),
            Who.Member => (g.Members[0].Client, g.Members[0].Id),
            Who.Funder => (g.Funder.Client, g.Funder.Id),
            Who.Risk => (await Staff(null), null),
            Who.RiskScoped => (await Staff(g.Funder.Id), null),
            Who.RiskOtherFunder => (await Staff((await S.Participant("funder")).Id), null),
            Who.NoKey => (S.Operator.As(null), null),
            Who.UnknownKey => (S.Operator.As("not-a-key"), null),
            _ => await Party(who switch { Who.Core => "core", Who.Sponsor => "sponsor", Who.OtherSupplier => "supplier", _ => "funder" }),
        };
        var before = (await S.Operator.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK).Text;
        var key = Guid.NewGuid().ToString("N");

        var answer = endpoint switch
        {
            "POST /v1/guarantee-groups" => await client.Post("/v1/guarantee-groups",
                Body(who == Who.OtherFunder ? id! : g.Funder.Id, g.Members.Select(m => m.Id)), key),
            "POST /v1/guarantee-groups/{id}/consent" => await client.Post($"/v1/guarantee-groups/{g.Id}/consent", null, key),
            "POST /v1/guarantee-groups/{id}/loans" => await client.Post($"/v1/guarantee-groups/{g.Id}/loans", new { amount = 1_000m, termDays = 30 }, key),
            _ => await client.Get($"/v1/guarantee-groups/{g.Id}"),
        };

        Assert.True((int)answer.Status == expected, $"{who} on {endpoint}: expected {expected}, got {(int)answer.Status}: {answer.Text}");
        switch (expected)
        {
            case 401: AssertProblem(answer, HttpStatusCode.Unauthorized, "unauthenticated"); break;
            case 403: AssertProblem(answer, HttpStatusCode.Forbidden, "forbidden"); break;
            case 404: AssertProblem(answer, HttpStatusCode.NotFound, "not_found"); break;
            case 201 when endpoint == "POST /v1/guarantee-groups":
                Assert.Equal(who == Who.OtherFunder ? id : g.Funder.Id, answer.Json.GetProperty("funderId").GetString());
                return;
            case 201:
                Assert.Equal((id, g.Id), (answer.Json.GetProperty("borrowerId").GetString(), answer.Json.GetProperty("groupId").GetString()));
                return;
            default:
                Assert.Equal(g.Id, answer.Json.GetProperty("id").GetString());
                if (endpoint.EndsWith("/consent", StringComparison.Ordinal)) Assert.Equal("active", answer.Json.GetProperty("status").GetString());
                return;
        }
        // Refused: the group is as it was, and nothing was made under the ids the operation would have used.
        Assert.Equal(before, (await S.Operator.Get($"/v1/guarantee-groups/{g.Id}")).Expect(HttpStatusCode.OK).Text);
        if (id is not null)
        {
            var operation = SupplyChain.Grains.Common.Ids.Operation(id, key);
            AssertProblem(await S.Operator.Get($"/v1/guarantee-groups/{SupplyChain.Grains.Common.Ids.Group(operation)}"), HttpStatusCode.NotFound, "not_found");
            AssertProblem(await S.Operator.Get($"/v1/loans/{SupplyChain.Grains.Common.Ids.Loan(operation)}"), HttpStatusCode.NotFound, "not_found");
        }

        async Task<(ApiClient, string?)> Party(string kind)
        {
            var p = await S.Participant(kind);
            return (p.Client, p.Id);
        }
    }
}
