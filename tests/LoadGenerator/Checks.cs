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
            if (await TreeProblem(client.Core.Api, root, null) is { } problem) Fail(problem);
        }
        Console.WriteLine(failures == 0 ? "checks: issuance, facility usage (and lending usage) and tree sums agree with what was confirmed" : $"checks: {failures} failed");
        return failures;
    }

    /// <summary>
    /// After a split run: for each given tree, its live fragments sum to its face and the face is what was issued.
    /// Splits never change a tree's sum, so this holds however many splits failed or got no answer.
    /// </summary>
    public static async Task<int> Trees(Api core, IReadOnlyList<Fragment> roots)
    {
        var failures = 0;
        foreach (var root in roots)
        {
            if (await TreeProblem(core, root.Id, Fen.Yuan(root.AmountFen)) is not { } problem) continue;
            failures++;
            Console.WriteLine($"CHECK FAILED: {problem}");
        }
        Console.WriteLine(failures == 0
            ? $"checks: the live fragments of {roots.Count} tree(s) sum to the face issued"
            : $"checks: {failures} failed");
        return failures;
    }

    /// <summary>What is wrong with a tree's sums (GET /v1/vouchers/{root}/tree), or null when they agree.</summary>
    private static async Task<string?> TreeProblem(Api api, string root, decimal? issued)
    {
        var tree = await api.Get($"/v1/vouchers/{root}/tree");
        if (!tree.IsSuccess) return $"tree {root} answered {tree.Status}: {tree.Body}";
        var json = tree.Json;
        var face = json.GetProperty("root").GetProperty("amount").GetDecimal();
        var fragments = json.GetProperty("fragments").EnumerateArray().ToList();
        var live = fragments.Where(f => f.GetProperty("status").GetString() is "pending" or "active" or "financed")
            .Sum(f => f.GetProperty("amount").GetDecimal());
        if (live != face) return $"tree {root}: live fragments sum to {live}, face is {face}";
        if (issued is { } expected && face != expected) return $"tree {root}: face is {face} but {expected} was issued";
        return null;
    }
}
