using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The bank workload: 16 clients move value (split, transfer, accept, discount) through two silo processes on one
/// database while each silo in turn is killed with SIGKILL and restarted. Every request is retried with its own
/// Idempotency-Key until it has a definite answer. Afterwards the ledger must hold: no value created, lost or
/// doubled, every acknowledged effect present and nothing else, limits and exposures equal to the ledger.
/// SUPPLYCHAIN_BANK_SECONDS sets the run's length (default 30; the long run is e.g. 600).
/// </summary>
public sealed class BankTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 16;
    private readonly TestDatabase _db = new("bank");
    private readonly SiloProcess[] _silos = new SiloProcess[2];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < _silos.Length; i++)
        {
            _silos[i] = new SiloProcess(_db.ConnectionString);
            await _silos[i].StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        _db.Dispose();
    }

    private sealed record Attempt(string Caller, string Path, object? Body, string Key, ApiResult Answer);

    [Fact]
    public async Task ValueIsNeverCreatedLostOrDoubled_WhileSilosDie()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_BANK_SECONDS") ?? "30");
        var s = new Scenario(key => _silos[0].Client(key));
        var core = await s.Participant("core");
        var bank = await s.Participant("funder");
        var facility = await s.Facility(bank, core, 100_000_000m, rate: 0.03m);
        var holders = new List<(Party A, Party B, string Root)>();
        for (var i = 0; i < Clients; i++)
        {
            var a = await s.Participant("supplier");
            var b = await s.Participant("supplier");
            holders.Add((a, b, await s.ActiveVoucher(core, a, 100_000m, days: 180)));
        }

        var history = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));

        async Task Client(int n)
        {
            var random = new Random(n);
            var (a, b, root) = holders[n];
            var mineA = new List<(string Id, decimal Amount)> { (root, 100_000m) };
            var mineB = new List<(string Id, decimal Amount)>();

            async Task<ApiResult> Send(Party who, string path, object? body)
            {
                var key = Guid.NewGuid().ToString("N");
                var answer = await Retrying.Definitely(_silos, who.Client.ApiKey, path, body, key, random);
                history.Enqueue(new Attempt(who.Id, path, body, key, answer));
                return answer;
            }

            static (string, decimal) Of(JsonElement v) => (v.GetProperty("id").GetString()!, v.GetProperty("amount").GetDecimal());

            while (!stop.IsCancellationRequested && mineA.Count > 0)
            {
                var (id, amount) = mineA.MaxBy(f => f.Amount);
                if (amount < 0.04m) break;
                mineA.Remove((id, amount));
                var half = decimal.Round(amount / 2, 2);
                var split = await Send(a, $"/v1/vouchers/{id}/split", new { amounts = new[] { half, amount - half } });
                if (split.Status != HttpStatusCode.Created) continue;
                var children = split.Json.GetProperty("children").EnumerateArray().Select(Of).ToList();
                mineA.Add(children[0]);
                var third = decimal.Round(children[1].Item2 / 3, 2);
                var transfer = await Send(a, $"/v1/vouchers/{children[1].Item1}/transfer", new { toId = b.Id, amount = third });
                if (transfer.Status != HttpStatusCode.Created) continue;
                mineA.Add(Of(transfer.Json.GetProperty("remainder")));
                var passed = Of(transfer.Json.GetProperty("transferred"));
                if ((await Send(b, $"/v1/vouchers/{passed.Item1}/accept", null)).Status != HttpStatusCode.OK) continue;
                var part = decimal.Round(passed.Item2 / 2, 2);
                var discount = await Send(b, $"/v1/vouchers/{passed.Item1}/discount", new { funderId = bank.Id, amount = part });
                if (discount.Status == HttpStatusCode.Created) mineB.Add(Of(discount.Json.GetProperty("remainder")));
            }
        }

        // Faults: each silo in turn is killed and started again, at least twice per run however slow the machine.
        var faults = Task.Run(async () =>
        {
            var injected = 0;
            var period = TimeSpan.FromSeconds(Math.Max(8, seconds / 4.0));
            while (injected < 2 || !stop.IsCancellationRequested)
            {
                await Task.Delay(period, CancellationToken.None);
                var victim = _silos[injected % _silos.Length];
                await victim.KillAsync();
                await victim.StartAsync();
                injected++;
            }
            return injected;
        });

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(Client));
        var killed = await faults;
        Assert.True(killed >= 2, $"only {killed} kills");

        // Checks, on a quiet cluster.
        var op = _silos[1].Client();
        var fragments = new Dictionary<string, JsonElement>();
        foreach (var (_, _, root) in holders)
        {
            var tree = (await op.Get($"/v1/vouchers/{root}/tree")).Expect(HttpStatusCode.OK).Json;
            var all = tree.GetProperty("fragments").EnumerateArray().ToList();
            Assert.Equal(all.Count, all.Select(f => f.GetProperty("id").GetString()).Distinct().Count());
            foreach (var f in all) Assert.True(fragments.TryAdd(f.GetProperty("id").GetString()!, f.Clone()), "a fragment id appears twice");
            await new Scenario(key => _silos[1].Client(key)).AssertTreeSums(core with { Client = _silos[1].Client(core.Client.ApiKey) }, root);
        }

        // Every acknowledged effect is there with the identity it was acknowledged with; refused requests created nothing:
        // the trees hold exactly the roots plus what the acknowledged operations created.
        var acknowledged = history.Where(h => (int)h.Answer.Status is >= 200 and < 300).ToList();
        var refused = history.Where(h => (int)h.Answer.Status >= 400).ToList();
        var created = new HashSet<string>(holders.Select(h => h.Root));
        foreach (var h in acknowledged)
        {
            var json = h.Answer.Json;
            foreach (var name in new[] { "children" })
                if (json.TryGetProperty(name, out var list))
                    foreach (var v in list.EnumerateArray()) created.Add(v.GetProperty("id").GetString()!);
            foreach (var name in new[] { "transferred", "remainder", "financed" })
                if (json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object) created.Add(v.GetProperty("id").GetString()!);
            foreach (var v in LedgerChecks.VouchersIn(json))
            {
                Assert.True(fragments.TryGetValue(v.GetProperty("id").GetString()!, out var stored), $"acknowledged fragment missing: {v}");
                foreach (var field in new[] { "rootId", "parentId", "amount", "tier" })
                    Assert.Equal(v.GetProperty(field).ToString(), stored.GetProperty(field).ToString());
            }
        }
        Assert.Equal(created.Order().ToList(), fragments.Keys.Order().ToList());

        var financed = fragments.Values.Where(f => f.GetProperty("status").GetString() == "financed").Sum(f => f.GetProperty("amount").GetDecimal());
        // Commit notices are stored with each change and delivered at least once (at once, or by the retry timer
        // if a silo died first): the usage reaches the ledger's figure within seconds.
        await Eventually.True(async () => (await op.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal() == financed,
            TimeSpan.FromSeconds(60), $"facility usage equals the financed face {financed}");
        Assert.Equal(Clients * 100_000m, (await op.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        await Eventually.True(async () => (await op.Get("/v1/risk/reconciliation")).Json.GetProperty("consistent").GetBoolean(),
            TimeSpan.FromSeconds(120), "streamed exposures equal a recomputation");
        Assert.Equal(financed, (await op.Get($"/v1/risk/exposures/funder/{bank.Id}")).Json.GetProperty("outstanding").GetDecimal());

        await using var connection = _db.Open();
        Assert.Equal(0, await LedgerChecks.GrainsWithTwoRows(connection));
        output.WriteLine($"{seconds} s, {Clients} clients, 2 silos, {killed} SIGKILLs: {history.Count} operations " +
                         $"({acknowledged.Count} acknowledged, {refused.Count} refused), {fragments.Count} fragments, {financed} financed");
    }
}
