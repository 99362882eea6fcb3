using System.Net;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// The cast of DOMAIN.md's worked example, built through the API: a funder's group of A, B and C (caps of 30,000.00, 6% a
/// year, limit 200,000.00, every member consented) and a pool funded by a sponsor with 30,000.00 (leverage 4, coverage 0.5,
/// floor 20,000.00). The loan and its enrollment are the test's own steps.
/// </summary>
public sealed record WorkedExample(Party Funder, Party A, Party B, Party C, string GroupId, Party Sponsor, string PoolId)
{
    public static async Task<WorkedExample> Build(Scenario s)
    {
        var funder = await s.Participant("funder");
        var a = await s.Participant("supplier", "A");
        var b = await s.Participant("supplier", "B");
        var c = await s.Participant("supplier", "C");
        var group = (await funder.Client.Post("/v1/guarantee-groups", new
        {
            funderId = funder.Id, memberIds = new[] { a.Id, b.Id, c.Id }, groupLimit = 200_000m, memberCap = 30_000m, annualRate = 0.06m,
            expiresOn = (await s.Today()).AddDays(400).ToString("yyyy-MM-dd"),
        })).Expect(HttpStatusCode.Created).Id;
        foreach (var m in new[] { a, b, c }) (await m.Client.Post($"/v1/guarantee-groups/{group}/consent")).Expect(HttpStatusCode.OK);

        var sponsor = await s.Participant("sponsor", "County fund");
        var pool = (await s.Operator.Post("/v1/risk-pools", new { name = "County pool", leverage = 4m, coverageRatio = 0.5m, floor = 20_000m }))
            .Expect(HttpStatusCode.Created).Id;
        (await s.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = sponsor.Id, amount = 30_000m })).Expect(HttpStatusCode.OK);
        return new WorkedExample(funder, a, b, c, group, sponsor, pool);
    }
}
