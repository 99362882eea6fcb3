namespace SupplyChain.LoadGenerator;

/// <summary>
/// After the run, what the system says must match what it confirmed to the clients: each core's outstanding
/// issuance, each facility's usage, and the sums of the last tree each client touched.
/// </summary>
public static class Checks
{
    public static async Task<int> Run(Api op, Cast cast, IReadOnlyList<IWorkflow> workflows)
    {
        var failures = 0;
        void Fail(string message)
        {
            failures++;
            Console.WriteLine($"CHECK FAILED: {message}");
        }

        for (var c = 0; c < cast.Cores.Count; c++)
        {
            var mine = cast.Clients.Where(k => k.Core == cast.Cores[c]).Select(k => workflows[k.Index]).ToList();
            if (mine.Any(w => w.Uncertain))
            {
                Console.WriteLine($"check skipped for core {cast.Cores[c].Id}: an issue or discount got no answer or a 5xx");
                continue;
            }
            var issuance = await op.Get($"/v1/participants/{cast.Cores[c].Id}/issuance");
            var outstanding = issuance.IsSuccess ? issuance.Json.GetProperty("outstanding").GetDecimal() : -1;
            if (outstanding != mine.Sum(w => w.Issued))
                Fail($"core {cast.Cores[c].Id} outstanding {outstanding} ({issuance.Status}) but {mine.Sum(w => w.Issued)} was issued");
            var facility = await cast.Funder.Api.Get($"/v1/facilities/{cast.FacilityIds[c]}");
            var used = facility.IsSuccess ? facility.Json.GetProperty("used").GetDecimal() : -1;
            if (used != mine.Sum(w => w.Discounted))
                Fail($"facility {cast.FacilityIds[c]} used {used} ({facility.Status}) but {mine.Sum(w => w.Discounted)} was discounted");
        }

        foreach (var client in cast.Clients.Where(c => c.LendingFacilityId is not null && !workflows[c.Index].Uncertain))
        {
            var lending = await cast.Funder.Api.Get($"/v1/facilities/{client.LendingFacilityId}");
            var used = lending.IsSuccess ? lending.Json.GetProperty("used").GetDecimal() : -1;
            if (used != workflows[client.Index].Lent)
                Fail($"lending facility {client.LendingFacilityId} used {used} ({lending.Status}) but {workflows[client.Index].Lent} is lent and unpaid");
        }

        foreach (var client in cast.Clients)
        {
            if (workflows[client.Index].LastRoot is not { } root) continue;
            var tree = await client.Core.Api.Get($"/v1/vouchers/{root}/tree");
            if (!tree.IsSuccess)
            {
                Fail($"tree {root} answered {tree.Status}: {tree.Body}");
                continue;
            }
            var json = tree.Json;
            var face = json.GetProperty("root").GetProperty("amount").GetDecimal();
            var fragments = json.GetProperty("fragments").EnumerateArray().ToList();
            var live = fragments.Where(f => f.GetProperty("status").GetString() is "pending" or "active" or "financed")
                .Sum(f => f.GetProperty("amount").GetDecimal());
            if (live != face) Fail($"tree {root}: live fragments sum to {live}, face is {face}");
        }
        Console.WriteLine(failures == 0 ? "checks: issuance, facility usage (and lending usage) and tree sums agree with what was confirmed" : $"checks: {failures} failed");
        return failures;
    }
}
