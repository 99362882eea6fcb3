using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The bank workload for guarantee groups and risk pools: the members of four groups borrow under them, the funder enrolls
/// loans in a pool, some are repaid in part, and the manual clock runs so fast that loans fall overdue and default, and
/// their waterfalls run, while each of two silo processes is in turn killed with SIGKILL and restarted. Every request is
/// retried with its own Idempotency-Key until it has a definite answer. Afterwards, for every defaulted loan:
/// loss = Σ calls + pool payment + funder loss; every member's capUsed is the sum of its calls and at most its cap; no
/// group has more outstanding than its limit; the pool's balance = contributions − payouts, and its payouts are the
/// loans' pool payments. SUPPLYCHAIN_BANK_SECONDS sets the run's length (default 30).
/// </summary>
public sealed class GuaranteeBankTests(ITestOutputHelper output) : TwoSiloTest("guaranteebank")
{
    private const int Groups = 4;
    private const decimal Cap = 30_000m, GroupLimit = 2_000_000m, Contribution = 100_000m;

    private sealed record Attempt(string Path, object? Body, string Key, ApiResult Answer);

    [Fact]
    public async Task Waterfalls_ApplyEachAmountOnce_WhileSilosDie()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_BANK_SECONDS") ?? "30");
        var s = new Scenario(key => Silos[0].Client(key));
        var bank = await s.Participant("funder");
        var sponsor = await s.Participant("sponsor");
        var pool = (await s.Operator.Post("/v1/risk-pools", new { name = "Pool", leverage = 10m, coverageRatio = 0.5m, floor = 20_000m }))
            .Expect(HttpStatusCode.Created).Id;
        (await s.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = sponsor.Id, amount = Contribution })).Expect(HttpStatusCode.OK);
        var groups = new List<(string Id, Party[] Members)>();
        for (var g = 0; g < Groups; g++)
        {
            var members = new Party[3];
            for (var m = 0; m < members.Length; m++) members[m] = await s.Participant("supplier");
            var id = (await bank.Client.Post("/v1/guarantee-groups", new
            {
                funderId = bank.Id, memberIds = members.Select(m => m.Id).ToArray(), groupLimit = GroupLimit, memberCap = Cap, annualRate = 0.06m,
                expiresOn = (await s.Today()).AddDays(400).ToString("yyyy-MM-dd"),
            })).Expect(HttpStatusCode.Created).Id;
            foreach (var m in members) (await m.Client.Post($"/v1/guarantee-groups/{id}/consent")).Expect(HttpStatusCode.OK);
            groups.Add((id, members));
        }
        await using var gate = await DbGate.OnIdempotencyCompletionAsync(Db);

        var history = new ConcurrentQueue<Attempt>();
        var inFlight = new InFlight();
        var failedAttempts = 0;
        using var stop = new CancellationTokenSource();
        async Task<ApiResult> Send(Party who, string path, object? body, Random random)
        {
            var key = Guid.NewGuid().ToString("N");
            var answer = await inFlight.Track(() =>
                Retrying.Definitely(Silos, who.Client.ApiKey, path, body, key, random, () => Interlocked.Increment(ref failedAttempts)));
            history.Enqueue(new Attempt(path, body, key, answer));
            return answer;
        }

        // A client per member: borrow for a few days, sometimes have the funder enroll the loan, sometimes repay part.
        async Task Client(int g, int m)
        {
            var random = new Random(1_000 + g * 10 + m);
            var (groupId, members) = groups[g];
            while (!stop.IsCancellationRequested)
            {
                var loan = await Send(members[m], $"/v1/guarantee-groups/{groupId}/loans",
                    new { amount = 1_000m + random.Next(0, 9_000), termDays = random.Next(1, 31) }, random);
                if (loan.Status != HttpStatusCode.Created)
                {
                    // Frozen after a default, or at the group limit: wait for the clock to change things.
                    await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                    continue;
                }
                if (random.Next(2) == 0) await Send(bank, $"/v1/risk-pools/{pool}/enrollments", new { loanId = loan.Id }, random);
                if (random.Next(3) == 0) await Send(members[m], $"/v1/loans/{loan.Id}/repay", new { amount = decimal.Round(loan.Amount("principal") / 2, 2) }, random);
            }
        }

        // The clock runs four days every two seconds: loans fall overdue and default, and their waterfalls run, under the kills.
        var clock = Task.Run(async () =>
        {
            var random = new Random(7);
            var days = 0;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
                (await Retrying.Definitely(Silos, ApiHost.OperatorKey, "/v1/admin/clock/advance", new { days = 4 }, Guid.NewGuid().ToString("N"), random))
                    .Expect(HttpStatusCode.OK);
                days += 4;
            }
            return days;
        });
        var faults = Kills.WhileLoadRuns(Silos, seconds, gate, heldAtLeast: 2, inFlight, stop);
        await Task.WhenAll(Enumerable.Range(0, Groups * 3).Select(i => Client(i / 3, i % 3)));
        var kills = await faults;
        var moved = await clock;

        var acknowledged = history.Where(h => (int)h.Answer.Status is >= 200 and < 300).ToList();
        var refused = history.Where(h => (int)h.Answer.Status >= 400).ToList();
        var summary = $"{seconds} s, {Groups * 3} clients, 2 silos, {Kills.Describe(kills)}, {failedAttempts} attempts lost and retried, clock moved " +
                      $"{moved} days: {history.Count} operations ({acknowledged.Count} acknowledged, {refused.Count} refused: " +
                      string.Join(", ", refused.GroupBy(r => $"{r.Path.Split('/').Last()} {r.Answer.Code}").Select(g => $"{g.Count()} {g.Key}")) + ")";
        output.WriteLine(summary);
        foreach (var detail in refused.Select(r => r.Answer.Json.GetProperty("detail").GetString()).Distinct().Take(5)) output.WriteLine($"refused: {detail}");
        // Refusals the rules make: a frozen group or its limit, a pool at capacity, a loan no longer active when enrolled.
        var unexpected = refused.Where(r => !(r.Path.EndsWith("/loans", StringComparison.Ordinal) && r.Answer.Code is "invalid_state" or "limit_exceeded")
                                            && !(r.Path.EndsWith("/enrollments", StringComparison.Ordinal) && r.Answer.Code is "invalid_state" or "limit_exceeded")
                                            && !(r.Path.EndsWith("/repay", StringComparison.Ordinal) && r.Answer.Code is "invalid_state" or "validation_failed")).ToList();
        Assert.True(unexpected.Count == 0, "unexpected refusals:\n" + string.Join("\n", unexpected.Take(10).Select(r => $"{r.Path}: {r.Answer.Text}")));
        Assert.True(kills.Count >= 2, summary);

        await Cluster.QuietAsync(Db, Silos.Length);
        // Let every loan fall due and default or be repaid, then read everything once the cluster answers for every loan.
        var op = Silos[1].Client();
        (await Retrying.Definitely(Silos, ApiHost.OperatorKey, "/v1/admin/clock/advance", new { days = 100 }, Guid.NewGuid().ToString("N"), new Random(9)))
            .Expect(HttpStatusCode.OK);
        var loanIds = acknowledged.Where(h => h.Path.EndsWith("/loans", StringComparison.Ordinal)).Select(h => h.Answer.Id).Distinct().ToList();
        Assert.True(loanIds.Count >= Groups, summary);
        var loans = new Dictionary<string, JsonElement>();
        await Eventually.True(async () =>
        {
            foreach (var id in loanIds.Where(id => !loans.ContainsKey(id)))
            {
                var read = await Retrying.Try(() => op.Get($"/v1/loans/{id}"));
                if (read?.Status != HttpStatusCode.OK) return false;
                var loan = read.Json;
                var status = loan.GetProperty("status").GetString();
                if (status == "defaulted" && loan.GetProperty("waterfall").ValueKind != JsonValueKind.Object) return false; // its waterfall is still running
                if (status is "defaulted" or "repaid") loans[id] = loan.Clone();
                else return false;
            }
            return true;
        }, TimeSpan.FromSeconds(180), "every loan is defaulted with its waterfall, or repaid");

        // Every acknowledged enrollment shows on its loan.
        foreach (var e in acknowledged.Where(h => h.Path.EndsWith("/enrollments", StringComparison.Ordinal)))
        {
            var loanId = (string)e.Body!.GetType().GetProperty("loanId")!.GetValue(e.Body)!;
            Assert.Equal(pool, loans[loanId].GetProperty("poolId").GetString());
        }

        // Each defaulted loan's loss was borne exactly: loss = calls + pool + funder, none negative.
        var calls = new Dictionary<string, decimal>();
        decimal payouts = 0;
        foreach (var (id, loan) in loans.Where(l => l.Value.GetProperty("status").GetString() == "defaulted"))
        {
            var w = loan.GetProperty("waterfall");
            var called = w.GetProperty("guarantorCalls").EnumerateArray().Select(c => (c.GetProperty("memberId").GetString()!, c.GetProperty("amount").GetDecimal())).ToList();
            var (loss, poolPayment, funderLoss) = (w.GetProperty("loss").GetDecimal(), w.GetProperty("poolPayment").GetDecimal(), w.GetProperty("funderLoss").GetDecimal());
            Assert.True(loss == called.Sum(c => c.Item2) + poolPayment + funderLoss && poolPayment >= 0 && funderLoss >= 0 && called.All(c => c.Item2 >= 0),
                $"loan {id}: {w}");
            Assert.DoesNotContain(called, c => c.Item1 == loan.GetProperty("borrowerId").GetString());
            if (poolPayment > 0) Assert.Equal(pool, w.GetProperty("poolId").GetString());
            foreach (var (member, amount) in called) calls[member] = calls.GetValueOrDefault(member) + amount;
            payouts += poolPayment;
        }
        Assert.Contains(loans.Values, l => l.GetProperty("status").GetString() == "defaulted");

        // Each member was called at most its cap, and its capUsed is what its calls add up to; a group with a default is frozen.
        foreach (var (groupId, members) in groups)
        {
            var group = (await op.Get($"/v1/guarantee-groups/{groupId}")).Expect(HttpStatusCode.OK).Json;
            foreach (var m in group.GetProperty("members").EnumerateArray())
            {
                var used = m.GetProperty("capUsed").GetDecimal();
                Assert.True(used <= Cap, $"member {m} of {groupId} called beyond its cap");
                Assert.Equal(calls.GetValueOrDefault(m.GetProperty("id").GetString()!), used);
            }
            var groupLoans = loans.Values.Where(l => l.GetProperty("groupId").GetString() == groupId).ToList();
            Assert.True(group.GetProperty("outstanding").GetDecimal() <= GroupLimit, $"group {groupId} above its limit");
            Assert.Equal(groupLoans.Where(l => l.GetProperty("status").GetString() != "repaid").Sum(l => l.GetProperty("outstandingPrincipal").GetDecimal()),
                group.GetProperty("outstanding").GetDecimal());
            Assert.Equal(groupLoans.Any(l => l.GetProperty("status").GetString() == "defaulted") ? "frozen" : "active", group.GetProperty("status").GetString());
        }

        // The pool's balance is what came in less what it paid, and it paid exactly the loans' pool payments.
        var read = await Eventually.Value(async () => (await op.Get($"/v1/risk-pools/{pool}")).Expect(HttpStatusCode.OK).Json,
            p => p.GetProperty("covered").GetDecimal() == 0m, TimeSpan.FromSeconds(60), "no loan is covered once all are defaulted or repaid");
        Assert.Equal(payouts, read.GetProperty("payouts").EnumerateArray().Sum(p => p.GetProperty("amount").GetDecimal()));
        Assert.Equal(Contribution - payouts, read.GetProperty("balance").GetDecimal());
        Assert.Equal(loans.Values.Count(l => l.GetProperty("waterfall") is { ValueKind: JsonValueKind.Object } w && w.GetProperty("poolPayment").GetDecimal() > 0),
            read.GetProperty("payouts").EnumerateArray().Count(p => p.GetProperty("amount").GetDecimal() > 0));
        // The risk views agree with their sources after the faults: the exposure aggregates (guarantee calls included) with the
        // loans and trees, and the group and pool read models with their grains and loans.
        await s.ExposuresReconcile(TimeSpan.FromSeconds(150), "exposures, groups and pools reconcile after the fault run");
        output.WriteLine($"{loans.Count} loans ({loans.Values.Count(l => l.GetProperty("status").GetString() == "defaulted")} defaulted), " +
                         $"calls {calls.Values.Sum():0.00}, pool paid {payouts:0.00}");
    }
}
