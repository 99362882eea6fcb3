using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The bank workload: 16 clients move value (split, transfer, accept, discount) through two silo processes on one
/// database while each silo in turn is killed with SIGKILL and restarted. Every request is retried with its own
/// Idempotency-Key until it has a definite answer. Afterwards the ledger must hold: no value created, lost or
/// doubled, every acknowledged effect present with its last acknowledged holder and status and nothing else, limits
/// reached (discounts race for the last of a facility's room, issuers for the last of the issuance limit) and never
/// exceeded, exposures equal to the ledger. The first kill is aimed at requests whose effect is stored and whose answer
/// is not (<see cref="DbGate"/>); each kill is asserted to have hit requests in flight.
/// SUPPLYCHAIN_BANK_SECONDS sets the run's length (default 30; the long run is e.g. 600).
/// </summary>
public sealed class BankTests(ITestOutputHelper output) : TwoSiloTest("bank")
{
    private const int Clients = 16;

    private sealed record Attempt(int Client, string Caller, string Path, object? Body, string Key, ApiResult Answer);

    [Fact]
    public async Task ValueIsNeverCreatedLostOrDoubled_WhileSilosDie()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_BANK_SECONDS") ?? "30");
        var s = new Scenario(key => Silos[0].Client(key));
        var core = await s.Participant("core");
        var bank = await s.Participant("funder");
        // The facility has room for the first round of discounts and part of the second; the funder raises it a little
        // now and then, so concurrent discounts keep racing for the last of its room while silos die.
        var facility = await s.Facility(bank, core, FacilityLimit, rate: 0.03m);
        // The issuance limit (set by the operator, apart from the facility) has room for the clients' roots and
        // IssueRoom more: issuers keep issuing until it is full, and go on being refused.
        (await s.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = Clients * 100_000m + IssueRoom }))
            .Expect(HttpStatusCode.OK);
        var holders = new List<(Party A, Party B, string Root)>();
        for (var i = 0; i < Clients; i++)
        {
            var a = await s.Participant("supplier");
            var b = await s.Participant("supplier");
            holders.Add((a, b, await s.ActiveVoucher(core, a, 100_000m, days: 180)));
        }
        await using var gate = await DbGate.OnIdempotencyCompletionAsync(Db);

        var history = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource();
        var inFlight = new InFlight();
        var failedAttempts = 0;

        async Task<ApiResult> Send(int client, Random random, Party who, string path, object? body)
        {
            var key = Guid.NewGuid().ToString("N");
            var answer = await inFlight.Track(() =>
                Retrying.Definitely(Silos, who.Client.ApiKey, path, body, key, random, () => Interlocked.Increment(ref failedAttempts)));
            history.Enqueue(new Attempt(client, who.Id, path, body, key, answer));
            return answer;
        }

        static (string, decimal) Of(JsonElement v) => (v.GetProperty("id").GetString()!, v.GetProperty("amount").GetDecimal());

        // A client splits its largest fragment, passes a third of one half to its partner, who accepts it and discounts half.
        async Task Client(int n)
        {
            var random = new Random(n);
            var (a, b, root) = holders[n];
            var mineA = new List<(string Id, decimal Amount)> { (root, 100_000m) };
            while (!stop.IsCancellationRequested && mineA.Count > 0)
            {
                var (id, amount) = mineA.MaxBy(f => f.Amount);
                if (amount < 0.04m) break;
                mineA.Remove((id, amount));
                var half = decimal.Round(amount / 2, 2);
                var split = await Send(n, random, a, $"/v1/vouchers/{id}/split", new { amounts = new[] { half, amount - half } });
                if (split.Status != HttpStatusCode.Created) continue;
                var children = split.Json.GetProperty("children").EnumerateArray().Select(Of).ToList();
                mineA.Add(children[0]);
                var third = decimal.Round(children[1].Item2 / 3, 2);
                var transfer = await Send(n, random, a, $"/v1/vouchers/{children[1].Item1}/transfer", new { toId = b.Id, amount = third });
                if (transfer.Status != HttpStatusCode.Created) continue;
                mineA.Add(Of(transfer.Json.GetProperty("remainder")));
                var passed = Of(transfer.Json.GetProperty("transferred"));
                if ((await Send(n, random, b, $"/v1/vouchers/{passed.Item1}/accept", null)).Status != HttpStatusCode.OK) continue;
                await Send(n, random, b, $"/v1/vouchers/{passed.Item1}/discount", new { funderId = bank.Id, amount = decimal.Round(passed.Item2 / 2, 2) });
            }
        }

        // Issuers: vouchers of 1,000.00 to the clients' suppliers, concurrently, against the issuance limit.
        async Task Issuer(int n)
        {
            var random = new Random(1000 + n);
            var maturity = (await s.Today()).AddDays(150).ToString("yyyy-MM-dd");
            while (!stop.IsCancellationRequested)
                await Send(Clients + n, random, core, "/v1/vouchers", new { beneficiaryId = holders[random.Next(Clients)].A.Id, amount = 1_000m, maturityDate = maturity });
        }

        // The funder raises its facility by 5,000.00 now and then (a few times).
        var raised = 0;
        async Task Raiser()
        {
            var random = new Random(77);
            for (var limit = FacilityLimit + 5_000m; limit <= FacilityLimit + 25_000m && !stop.IsCancellationRequested; limit += 5_000m)
            {
                await Task.Delay(TimeSpan.FromSeconds(4), stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                if (stop.IsCancellationRequested) break;
                (await Send(Clients + Issuers, random, bank, $"/v1/facilities/{facility}/limit", new { limit })).Expect(HttpStatusCode.OK);
                raised++;
            }
        }

        // While all this runs, the limits are read from either silo: usage never above the limit in force.
        var samples = 0;
        var breaches = new ConcurrentQueue<string>();
        async Task Sampler()
        {
            var random = new Random(99);
            while (!stop.IsCancellationRequested)
            {
                var silo = Silos[random.Next(Silos.Length)];
                var f = await Retrying.Try(() => silo.Client(bank.Client.ApiKey).Get($"/v1/facilities/{facility}"));
                var i = await Retrying.Try(() => silo.Client(core.Client.ApiKey).Get($"/v1/participants/{core.Id}/issuance"));
                if (f?.Status == HttpStatusCode.OK && i?.Status == HttpStatusCode.OK)
                {
                    samples++;
                    if (f.Amount("used") > f.Amount("limit")) breaches.Enqueue($"facility used {f.Amount("used")} > limit {f.Amount("limit")}");
                    if (i.Amount("outstanding") > i.Amount("limit")) breaches.Enqueue($"issuance {i.Amount("outstanding")} > limit {i.Amount("limit")}");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
            }
        }

        // Faults: each silo in turn is killed and started again, at least twice, always while the clients run. The first
        // kill is aimed at requests whose effect is stored and whose answer is not.
        var faults = Kills.WhileLoadRuns(Silos, seconds, gate, heldAtLeast: 4, inFlight, stop);

        var sampler = Sampler();
        var raiser = Raiser();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(Client).Concat(Enumerable.Range(0, Issuers).Select(Issuer)).Append(faults));
        await Task.WhenAll(sampler, raiser);
        var kills = await faults;
        var held = kills.SelectMany(k => k.Held).ToList();

        var acknowledged = history.Where(h => (int)h.Answer.Status is >= 200 and < 300).ToList();
        var refused = history.Where(h => (int)h.Answer.Status >= 400).ToList();
        var heldAttempts = history.Where(h => held.Any(x => x.IsFor(h.Key))).ToList();
        var summary = $"{seconds} s, {Clients} clients and {Issuers} issuers, 2 silos, {Kills.Describe(kills)}, {failedAttempts} attempts lost and retried: " +
                      $"{history.Count} operations ({acknowledged.Count} acknowledged, {refused.Count} refused: " +
                      string.Join(", ", refused.GroupBy(r => $"{r.Path.Split('/').Last()} {r.Answer.Code}").Select(g => $"{g.Count()} {g.Key}")) +
                      $"), {samples} samples of the limits, facility raised {raised} times";
        output.WriteLine(summary);

        // The run did what it claims: kills under load, requests lost in flight, the limits reached.
        Assert.True(kills.Count >= 2 && kills.All(k => k.InFlight > 0), summary);
        Assert.True(held.Count(h => h.TookEffect) >= 4 && heldAttempts.Count == held.Count, $"held at the gate: {held.Count}, found in the history: {heldAttempts.Count}");
        // An effect stored before the kill is what the retry answers. (A refusal decided before the kill was never
        // acknowledged: its retry is decided again, and may find room that was freed meanwhile.)
        foreach (var h in held.Where(h => h.TookEffect))
        {
            var answer = heldAttempts.Single(a => h.IsFor(a.Key)).Answer;
            Assert.True((int)answer.Status == h.Status, $"a request that took effect ({h.Status}) before the kill answered {answer.Text} on retry");
        }
        Assert.True(failedAttempts >= held.Count, summary);
        // Every client completed at least its first round (split, transfer, accept, discount: the first round of
        // discounts fits the facility), and the only refusals are the limits'.
        for (var n = 0; n < Clients; n++)
            Assert.True(acknowledged.Count(h => h.Client == n) >= 4, $"client {n}: {acknowledged.Count(h => h.Client == n)} acknowledged; {summary}");
        var unexpected = refused.Where(r => !(r.Path.EndsWith("/discount", StringComparison.Ordinal) && r.Answer.Code == "insufficient_limit")
                                            && !(r.Path == "/v1/vouchers" && r.Answer.Code == "limit_exceeded")).ToList();
        Assert.True(unexpected.Count == 0, "unexpected refusals:\n" + string.Join("\n", unexpected.Take(10).Select(r => $"{r.Path}: {r.Answer.Text}")));
        Assert.Contains(refused, r => r.Answer.Code == "insufficient_limit");
        Assert.Contains(refused, r => r.Answer.Code == "limit_exceeded");
        Assert.True(breaches.IsEmpty, string.Join("\n", breaches));
        Assert.True(samples >= 10, summary);

        await Cluster.QuietAsync(Db, Silos.Length);
        // Checks, on a quiet cluster: every tree sound, every acknowledged fragment stored with its identity and with the
        // holder and status last acknowledged (each client's fragments are its own), nothing else stored.
        var op = Silos[1].Client();
        var coreOnLive = core with { Client = Silos[1].Client(core.Client.ApiKey) };
        var live = new Scenario(key => Silos[1].Client(key));
        var issued = acknowledged.Where(h => h.Path == "/v1/vouchers").Select(h => h.Answer.Id).ToList();
        var roots = holders.Select(h => h.Root).Concat(issued).ToList();
        // The cluster is quiet once it has noticed the last kill: until then a call to a grain that lived on the dead silo
        // fails (500 after the call's timeout). Wait until every tree answers, then read them for the checks.
        await Eventually.True(async () =>
        {
            foreach (var root in roots)
                if ((await Retrying.Try(() => coreOnLive.Client.Get($"/v1/vouchers/{root}/tree")))?.Status != HttpStatusCode.OK) return false;
            return true;
        }, TimeSpan.FromSeconds(120), "every tree answers after the kills");
        var fragments = await live.Ledger(coreOnLive, roots);
        Oracles.AssertNone(Oracles.AcknowledgedEffects(acknowledged.Select(h => h.Answer.Json), fragments, roots, finalStates: true), "acknowledged effects");
        // A refused issue created nothing (a root's id derives from the caller and its key). Just after a kill a read may
        // fail (500: routed to the dead incarnation until the cluster notices): it is repeated until it answers 404 or 200.
        foreach (var r in refused.Where(r => r.Path == "/v1/vouchers"))
        {
            var path = $"/v1/vouchers/{Ids.VoucherRoot(Ids.Operation(core.Id, r.Key))}/tree";
            ApiResult? read = null;
            await Eventually.True(async () => (read = await Retrying.Try(() => op.Get(path)))?.Status is HttpStatusCode.NotFound or HttpStatusCode.OK,
                TimeSpan.FromSeconds(90), $"GET {path} answers");
            Assert.Equal(HttpStatusCode.NotFound, read!.Status);
        }

        // Limits equal the ledger, and were never exceeded: usage = financed face <= the limit now in force; issuance
        // outstanding = the faces issued <= its limit (reservations of abandoned attempts are released by their sweep).
        var financed = Scenario.Financed(fragments.Values);
        var limitNow = FacilityLimit + 5_000m * raised;
        await Eventually.True(async () => (await op.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal() == financed,
            TimeSpan.FromSeconds(90), $"facility usage equals the financed face {financed}");
        Assert.Equal(limitNow, (await op.Get($"/v1/facilities/{facility}")).Amount("limit"));
        Assert.True(financed <= limitNow, $"financed {financed} above the facility's limit {limitNow}");
        var outstanding = Clients * 100_000m + issued.Count * 1_000m;
        Assert.True(outstanding <= Clients * 100_000m + IssueRoom, $"issued {issued.Count} vouchers of 1,000.00 into room for {IssueRoom}");
        await Eventually.True(async () => (await op.Get($"/v1/participants/{core.Id}/issuance")).Amount("outstanding") == outstanding,
            TimeSpan.FromSeconds(90), $"issuance outstanding equals the issued face {outstanding}");
        await live.ExposuresReconcile(TimeSpan.FromSeconds(120), "streamed exposures equal a recomputation");
        Assert.Equal(financed, (await op.Get($"/v1/risk/exposures/funder/{bank.Id}")).Json.GetProperty("outstanding").GetDecimal());

        await using var connection = Db.Open();
        Assert.Equal(0, await Oracles.GrainsWithTwoRows(connection));
        output.WriteLine($"{fragments.Count} fragments, {issued.Count} vouchers issued into the room of {IssueRoom}, {financed} financed of a limit of {limitNow}");
    }

    private const decimal FacilityLimit = 150_000m;
    private const decimal IssueRoom = 40_000m;
    private const int Issuers = 3;
}
