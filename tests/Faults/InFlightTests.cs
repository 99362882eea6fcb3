using System.Diagnostics;
using System.Net;
using Dapper;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// API.md, "Idempotency": "the same key while the first request is still running answers 409", between two API
/// processes on one database, with the first request really running: held in the database after its effect was stored
/// and before its answer was (no hand-inserted row). And the lease: when the process running it dies there, a retry
/// through the other process is refused until the dead request's lease runs out, then takes over and gets the effect
/// the first attempt stored.
/// </summary>
[TestCaseOrderer("SupplyChain.Tests.Faults.InFlightTests+KillingLast", "SupplyChain.Tests")]
public sealed class InFlightTests(InFlightTests.TwoProcesses cluster, ITestOutputHelper output) : IClassFixture<InFlightTests.TwoProcesses>
{
    /// <summary>The test that kills the first process runs last, so that no test waits for it to start again.</summary>
    public sealed class KillingLast : ITestCaseOrderer
    {
        public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
            testCases.OrderBy(t => t.TestMethod.Method.Name == nameof(TheFirstProcessDiesHoldingItsAnswer_ARetryIs409UntilTheLeaseRunsOut_ThenTakesOverWithTheStoredEffect) ? 1 : 0);
    }

    /// <summary>Two silo processes (each serving the API) on one database, with both gates installed.</summary>
    public sealed class TwoProcesses : IAsyncLifetime
    {
        public TestDatabase Db { get; } = new("inflight");

        /// <summary>The process whose request is held (and, in the lease test, killed). Its lease is 10 s.</summary>
        public SiloProcess First { get; private set; } = null!;

        /// <summary>The other process, which sends the same key. Its lease is SiloProcess's 3 s.</summary>
        public SiloProcess Second { get; private set; } = null!;

        public DbGate Gate { get; private set; } = null!;

        public DbGate Completions { get; private set; } = null!;

        private bool _firstKilled;

        public async Task InitializeAsync()
        {
            First = new SiloProcess(Db.ConnectionString);
            Second = new SiloProcess(Db.ConnectionString);
            // Long enough that the other process's requests land inside it even on a loaded machine; each answer is also
            // checked against the lease stored in the database.
            First.Environment["SupplyChain__IdempotencyLeaseSeconds"] = "10";
            foreach (var silo in new[] { First, Second })
            {
                // A killed silo is declared dead within seconds, so that grains it held come back on the other.
                silo.Environment["SupplyChain__Membership__ProbeTimeout"] = "00:00:02";
                silo.Environment["SupplyChain__Membership__NumMissedProbesLimit"] = "2";
                silo.Environment["SupplyChain__Membership__NumVotesForDeathDeclaration"] = "1";
            }
            await Task.WhenAll(First.StartAsync(), Second.StartAsync());
            Gate = await DbGate.OnIdempotencyCompletionAsync(Db);
            Completions = await DbGate.BeforeRowLockAsync(Db);
        }

        /// <summary>The lease test kills the first process; a test that runs after it (none, in the order above) starts it again.</summary>
        public async Task EnsureFirstRunningAsync()
        {
            if (!_firstKilled) return;
            await First.StartAsync();
            _firstKilled = false;
        }

        public async Task KillFirstAsync()
        {
            _firstKilled = true;
            await First.KillAsync();
        }

        public async Task DisposeAsync()
        {
            await Gate.DisposeAsync();
            await Completions.DisposeAsync();
            await Second.DisposeAsync();
            await First.DisposeAsync();
            Db.Dispose();
        }
    }

    private const string Body = """{"amounts":[400,600]}""";

    [Fact]
    public async Task SameKeyOnAnotherProcess_WhileTheFirstHoldsItsAnswer_Is409InFlight_AnotherBodyIs422_ThenItReplays()
    {
        await cluster.EnsureFirstRunningAsync();
        var (s, core, supplier, root) = await Cast();
        var key = "split-" + Guid.NewGuid().ToString("N");
        var path = $"/v1/vouchers/{root}/split";
        var viaFirst = cluster.First.Client(supplier.Client.ApiKey);
        var viaSecond = cluster.Second.Client(supplier.Client.ApiKey);

        Task<ApiResult> first;
        ApiResult same, other;
        List<string> storedChildren;
        DateTime leaseUntil;
        await cluster.Completions.CloseAsync();
        try
        {
            first = viaFirst.PostRaw(path, Body, key);
            await Eventually.True(async () => await cluster.Completions.WaitingCountAsync() == 1, TimeSpan.FromSeconds(60),
                "the first request's completion waits at the gate");

            // Its effect is stored, its answer is not.
            var record = await Record(supplier.Id, key);
            Assert.Equal("in_flight", record.State);
            leaseUntil = record.LeaseUntil;
            storedChildren = await SplitChildren(s, core, root);

            same = await Within(viaSecond.PostRaw(path, Body, key), "the same key and body through the other process");
            var sameAt = DateTime.UtcNow;
            // A different body is refused for the key before its state is even looked at (BeginAsync compares the hash first).
            other = await Within(viaSecond.PostRaw(path, """{"amounts":[300,700]}""", key), "the same key with another body through the other process");
            Assert.True(sameAt < leaseUntil,
                $"inconclusive: the other process answered {(int)same.Status} {same.Text} at {sameAt:O}, after the first request's lease ({leaseUntil:O})");
            Assert.False(first.IsCompleted, "the first request answered while its completion was held");
        }
        finally
        {
            await cluster.Completions.OpenAsync();
        }

        Assert.Equal("idempotency_key_in_flight", same.Expect(HttpStatusCode.Conflict).Code);
        Assert.Equal("idempotency_key_reused", other.Expect((HttpStatusCode)422).Code);

        // The gate opens: the first process answers (the first answer, not a replay), with the stored effect.
        var answer = (await first).Expect(HttpStatusCode.Created);
        Assert.False(answer.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(storedChildren, Children(answer));

        // Now the other process replays it byte for byte, and so does the first; another body is still 422.
        foreach (var client in new[] { viaSecond, viaFirst })
        {
            var replay = (await client.PostRaw(path, Body, key)).Expect(HttpStatusCode.Created);
            Assert.Equal(answer.Bytes, replay.Bytes);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        }
        Assert.Equal("idempotency_key_reused", (await viaSecond.PostRaw(path, """{"amounts":[300,700]}""", key)).Expect((HttpStatusCode)422).Code);

        // One split, and only one.
        await AssertOneSplit(s, core, root, storedChildren);
        output.WriteLine($"held request: {root} split into {string.Join(", ", storedChildren)}; other process: {(int)same.Status} {same.Code}, " +
                         $"another body {(int)other.Status} {other.Code}; lease until {leaseUntil:O}");
    }

    [Fact]
    public async Task TheFirstProcessDiesHoldingItsAnswer_ARetryIs409UntilTheLeaseRunsOut_ThenTakesOverWithTheStoredEffect()
    {
        await cluster.EnsureFirstRunningAsync();
        var (s, core, supplier, root) = await Cast();
        var key = "split-" + Guid.NewGuid().ToString("N");
        var path = $"/v1/vouchers/{root}/split";
        var viaSecond = cluster.Second.Client(supplier.Client.ApiKey);

        List<string> storedChildren;
        await cluster.Gate.CloseAsync();
        try
        {
            var first = cluster.First.Client(supplier.Client.ApiKey).PostRaw(path, Body, key);
            await Eventually.True(async () => (await cluster.Gate.WaitingAsync()).Any(h => h.IsFor(key)), TimeSpan.FromSeconds(60),
                "the first request's completion waits at the gate");
            storedChildren = await SplitChildren(s, core, root);

            // The process dies with the answer unsent; its waiting session is ended so that nothing it began commits.
            await cluster.KillFirstAsync();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => first);
            Assert.True(await cluster.Gate.TerminateWaitingAsync() >= 1, "the dead request's session was waiting at the gate");
        }
        finally
        {
            await cluster.Gate.OpenAsync();
        }
        var record = await Record(supplier.Id, key);
        Assert.Equal("in_flight", record.State);

        // Retries through the other process: 409 in flight while the dead request's lease lasts, then one takes over.
        // (Just after the takeover, a grain the dead silo held may not answer yet: 5xx, and the key is free again.)
        var answers = new List<(DateTime At, ApiResult Answer)>();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var a = await viaSecond.PostRaw(path, Body, key);
            answers.Add((DateTime.UtcNow, a));
            var inFlight = a.Status == HttpStatusCode.Conflict && a.Code == "idempotency_key_in_flight";
            if (!inFlight && (int)a.Status < 500) break;
            if (deadline.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("no definite answer in 120 s: " + a.Text);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        foreach (var (at, a) in answers.Where(x => x.At < record.LeaseUntil))
            Assert.True(a.Status == HttpStatusCode.Conflict && a.Code == "idempotency_key_in_flight",
                $"answered at {at:O}, before the dead request's lease ran out ({record.LeaseUntil:O}): {(int)a.Status} {a.Text}");
        Assert.True(answers.Count(x => x.At < record.LeaseUntil) >= 1, $"inconclusive: the first retry came after the lease ({record.LeaseUntil:O})");

        // The takeover answers with the effect the first attempt stored: the same children, no second split.
        var (takenAt, taken) = answers[^1];
        taken.Expect(HttpStatusCode.Created);
        Assert.True(takenAt >= record.LeaseUntil);
        Assert.False(taken.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(storedChildren, Children(taken));
        var replay = (await viaSecond.PostRaw(path, Body, key)).Expect(HttpStatusCode.Created);
        Assert.Equal(taken.Bytes, replay.Bytes);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await AssertOneSplit(s, core, root, storedChildren);

        output.WriteLine($"retries: {answers.Count(x => x.Answer.Status == HttpStatusCode.Conflict)} answered 409 in flight, " +
                         $"{answers.Count(x => (int)x.Answer.Status >= 500)} 5xx, then 201 at {takenAt:O} (lease until {record.LeaseUntil:O})");
    }

    private async Task<(Scenario S, Party Core, Party Supplier, string Root)> Cast()
    {
        var s = new Scenario(key => cluster.Second.Client(key));
        var (core, supplier, _, _) = await s.Cast(1_000_000m);
        return (s, core, supplier, await s.ActiveVoucher(core, supplier, 1_000m));
    }

    private sealed record IdempotencyRow(string State, DateTime LeaseUntil);

    private async Task<IdempotencyRow> Record(string principalId, string key)
    {
        await using var connection = cluster.Db.Open();
        return await connection.QuerySingleAsync<IdempotencyRow>(
            "SELECT state AS State, lease_until AS LeaseUntil FROM idempotency_records WHERE principal_id = @principalId AND idem_key = @key",
            new { principalId, key = SupplyChain.Api.Http.Idempotency.StoredKey(key) });
    }

    /// <summary>The root, split into 400.00 and 600.00, as stored: the ids of its children.</summary>
    private static async Task<List<string>> SplitChildren(Scenario s, Party core, string root)
    {
        var fragments = (await s.Tree(core, root)).Json.GetProperty("fragments").EnumerateArray().ToList();
        Assert.Equal("split", fragments.Single(f => f.GetProperty("id").GetString() == root).GetProperty("status").GetString());
        var children = fragments.Where(f => f.GetProperty("parentId").GetString() == root).ToList();
        Assert.Equal(new[] { 400m, 600m }, children.Select(f => f.GetProperty("amount").GetDecimal()).Order());
        return children.Select(f => f.GetProperty("id").GetString()!).Order().ToList();
    }

    private static List<string> Children(ApiResult split) =>
        split.Json.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).Order().ToList();

    private static async Task AssertOneSplit(Scenario s, Party core, string root, List<string> children)
    {
        var fragments = (await s.Tree(core, root)).Json.GetProperty("fragments").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).Order().ToList();
        Assert.Equal(children.Prepend(root).Order().ToList(), fragments);
        await s.AssertTreeSums(core, root);
    }

    /// <summary>
    /// The answer, if it comes within 20 s (a 409 is one database round trip; 20 s is also well under Npgsql's 30 s command
    /// timeout, which would otherwise end a request stuck in the database with a 500); a request that waits longer is failed.
    /// </summary>
    private static async Task<ApiResult> Within(Task<ApiResult> request, string what)
    {
        var done = await Task.WhenAny(request, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(done == request, $"{what}: no answer in 20 s while the first request held its answer");
        return await request;
    }
}
