using System.Collections.Concurrent;
using System.Net;
using Dapper;
using Xunit.Abstractions;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The silo process is killed with SIGKILL in the middle of a burst of value-moving requests, then started again
/// on the same database. Everything acknowledged before the kill must be there, unchanged; requests whose answer
/// was lost are retried with the same Idempotency-Key until they answer, and take effect at most once. The kill is
/// aimed: a gate in the database (<see cref="DbGate"/>) holds requests after their effect was stored and before their
/// answer was, so the test knows which requests took effect with their answer lost, and checks that their retries
/// return what was stored and change nothing.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestDatabase _db = new("crash");
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        _silo = new SiloProcess(_db.ConnectionString);
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _db.Dispose();
    }

    private sealed record Sent(ApiClient Client, string Path, object? Body, string Key)
    {
        public ApiResult? Answer { get; set; }
    }

    [Fact]
    public async Task AcknowledgedOperations_SurviveSigkill_AndRetriesApplyAtMostOnce()
    {
        var s = new Scenario(key => _silo.Client(key));
        var core = await s.Participant("core");
        var bank = await s.Participant("funder");
        var facility = await s.Facility(bank, core, 10_000_000m, rate: 0.04m);
        var suppliers = new List<Party>();
        for (var i = 0; i < 8; i++) suppliers.Add(await s.Participant("supplier"));
        var maturity = (await s.Today()).AddDays(120).ToString("yyyy-MM-dd");
        await using var gate = await DbGate.OnIdempotencyCompletionAsync(_db);

        var log = new ConcurrentQueue<Sent>();
        var acknowledged = 0;
        using var stop = new CancellationTokenSource();

        async Task<ApiResult?> Send(ApiClient client, string path, object? body)
        {
            var sent = new Sent(client, path, body, Guid.NewGuid().ToString("N"));
            log.Enqueue(sent);
            sent.Answer = await Retrying.Try(() => client.Post(path, body, sent.Key)); // null: the process died under us
            if (sent.Answer is not null) Interlocked.Increment(ref acknowledged);
            return sent.Answer;
        }

        // Each worker: issue → accept → split → transfer part → accept it → discount part, again and again.
        async Task Worker(int n)
        {
            var holder = suppliers[n];
            var next = suppliers[(n + 1) % suppliers.Count];
            while (!stop.IsCancellationRequested)
            {
                var issued = await Send(core.Client, "/v1/vouchers", new { beneficiaryId = holder.Id, amount = 1_000m, maturityDate = maturity });
                if (issued?.Status != HttpStatusCode.Created) return;
                var root = issued.Id;
                if ((await Send(holder.Client, $"/v1/vouchers/{root}/accept", null))?.Status != HttpStatusCode.OK) return;
                var split = await Send(holder.Client, $"/v1/vouchers/{root}/split", new { amounts = new[] { 600m, 400m } });
                if (split?.Status != HttpStatusCode.Created) return;
                var children = split.Json.GetProperty("children");
                var transfer = await Send(holder.Client, $"/v1/vouchers/{children[0].GetProperty("id").GetString()}/transfer", new { toId = next.Id, amount = 250m });
                if (transfer?.Status != HttpStatusCode.Created) return;
                var passed = transfer.Json.GetProperty("transferred").GetProperty("id").GetString();
                if ((await Send(next.Client, $"/v1/vouchers/{passed}/accept", null))?.Status != HttpStatusCode.OK) return;
                if ((await Send(holder.Client, $"/v1/vouchers/{children[1].GetProperty("id").GetString()}/discount", new { funderId = bank.Id, amount = 150m }))?.Status
                    != HttpStatusCode.Created) return;
            }
        }

        var workers = Enumerable.Range(0, suppliers.Count).Select(Worker).ToList();
        await Eventually.True(() => Task.FromResult(Volatile.Read(ref acknowledged) >= 120), TimeSpan.FromSeconds(120), "a burst of acknowledged operations");

        // Hold the answers at the gate: from now on each request stores its effect and then waits before its answer is
        // stored. Once several wait, kill the process: those are known to have taken effect with their answer lost.
        var held = await gate.KillWhileHeldAsync(_silo, atLeast: 4, TimeSpan.FromSeconds(20));
        stop.Cancel();
        await Task.WhenAll(workers);
        var gated = held.Where(h => h.TookEffect).ToList();

        var beforeKill = log.Where(x => x.Answer is not null).ToList();
        var lost = log.Where(x => x.Answer is null).ToList();
        var tookEffect = lost.Where(x => gated.Any(g => g.IsFor(x.Key))).ToList();
        // The kill hit work in flight, and in particular requests whose effect was stored and whose answer was lost.
        Assert.True(beforeKill.Count >= 120, $"{beforeKill.Count} acknowledged before the kill");
        Assert.True(tookEffect.Count >= 4, $"{tookEffect.Count} requests had taken effect when the kill lost their answer");
        Assert.Equal(gated.Count, tookEffect.Count);

        await _silo.StartAsync();
        var coreClient = _silo.Client(core.Client.ApiKey);
        var sk = new Scenario(key => _silo.Client(key));

        // The ledger as stored, before any retry: every tree any answer named, and the trees lost issues would create.
        var knownRoots = log.Where(x => x.Answer?.Status == HttpStatusCode.Created && x.Path == "/v1/vouchers").Select(x => x.Answer!.Id)
            .Concat(lost.Where(x => x.Path == "/v1/vouchers").Select(x => Ids.VoucherRoot(Ids.Operation(core.Id, x.Key))))
            .Distinct().ToList();
        async Task<string> Ledger()
        {
            var lines = new List<string>();
            foreach (var root in knownRoots)
            {
                var tree = await coreClient.Get($"/v1/vouchers/{root}/tree");
                lines.Add(tree.Status == HttpStatusCode.OK
                    ? string.Join("\n", tree.Json.GetProperty("fragments").EnumerateArray().Select(StateText.Fragment))
                    : $"{root}: {(int)tree.Status}");
            }
            return string.Join("\n", lines);
        }
        var storedBeforeRetries = await Ledger();

        // Retry each lost request with its own key until it gets a definite answer (while the dead request's lease on the
        // key lasts, the answer is 409 in flight). Those that had taken effect come first: their retries must answer
        // success with what was stored, and change nothing.
        async Task Retry(Sent sent)
        {
            var client = _silo.Client(sent.Client.ApiKey);
            await Eventually.True(async () =>
            {
                sent.Answer = await client.Post(sent.Path, sent.Body, sent.Key);
                return !(sent.Answer.Status == HttpStatusCode.Conflict && sent.Answer.Code == "idempotency_key_in_flight");
            }, TimeSpan.FromSeconds(30), "a definite answer to a retried request");
            Assert.True((int)sent.Answer!.Status < 500, sent.Answer.Text);
        }
        foreach (var sent in tookEffect)
        {
            await Retry(sent);
            Assert.True((int)sent.Answer!.Status is >= 200 and < 300, $"a request that had taken effect answered {sent.Answer.Text} on retry");
        }
        Assert.Equal(storedBeforeRetries, await Ledger());
        foreach (var sent in lost.Except(tookEffect)) await Retry(sent);
        output.WriteLine($"acknowledged before the kill: {beforeKill.Count}; in flight at the kill: {lost.Count}, of which {tookEffect.Count} had " +
                         $"taken effect (held at the gate) and were replayed by their retry; other retries that replayed a stored answer: " +
                         $"{lost.Count(x => x.Answer!.Headers.Contains("Idempotent-Replayed"))}");

        // Every acknowledged answer replays byte for byte: the operation and its answer were stored before it was sent.
        foreach (var sent in beforeKill)
        {
            var replay = await _silo.Client(sent.Client.ApiKey).Post(sent.Path, sent.Body, sent.Key);
            Assert.Equal(sent.Answer!.Status, replay.Status);
            Assert.Equal(sent.Answer.Bytes, replay.Bytes);
        }

        // Every fragment any answer showed is there, with the same identity, and with the holder and status of the last
        // answer that showed it (each worker's fragments are its own, and its lost request was its last); nothing else exists.
        var roots = log.Where(x => x.Path == "/v1/vouchers" && x.Answer?.Status == HttpStatusCode.Created).Select(x => x.Answer!.Id).ToList();
        var fragments = await sk.Ledger(core with { Client = coreClient }, roots);
        Oracles.AssertNone(Oracles.AcknowledgedEffects(
            log.Where(x => x.Answer is not null && (int)x.Answer.Status is >= 200 and < 300).Select(x => x.Answer!.Json), fragments, roots, finalStates: true),
            "acknowledged effects");

        // Limits agree with the ledger: issuance outstanding = faces of the roots; facility usage = funder-held fragments.
        var financed = Scenario.Financed(fragments.Values);
        Assert.Equal(financed, (await _silo.Client(bank.Client.ApiKey).Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        Assert.Equal(roots.Count * 1_000m, (await coreClient.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());

        // The exposure stream lost whatever was queued in the killed process; the trees kept those events and
        // send them again: once drained, the streamed aggregates equal a recomputation and the ledger, to the fen.
        var opClient = _silo.Client();
        await sk.ExposuresReconcile(TimeSpan.FromSeconds(60), "exposures reconcile after the crash");
        Assert.Equal(financed, (await opClient.Get($"/v1/risk/exposures/funder/{bank.Id}")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal(roots.Count * 1_000m, (await opClient.Get($"/v1/risk/exposures/obligor/{core.Id}")).Json.GetProperty("outstanding").GetDecimal());

        await using var connection = _db.Open();
        Assert.Equal(0, await Oracles.GrainsWithTwoRows(connection));
    }
}
