using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// Issuance and facility limits under concurrency (DOMAIN.md, "Issue" and "Facilities and limits"), with requests
/// spread over two silo processes on one database, so that they reach the same obligor, facility and tree grains
/// through two gateways at once.
///
/// What is provable about a burst: the owner (obligor or facility grain) decides reservations one at a time, and
/// during a burst that frees nothing its usage only grows, up to its final value U. A request of amount x was
/// accepted only if usage + x ≤ limit at its turn, and refused only if usage + x > limit, with usage ≤ U. So the
/// accepted set is exactly what a one-at-a-time greedy check gives in some order if and only if
/// Σ accepted ≤ limit and limit − Σ accepted &lt; every refused amount (take the accepted ones first, then the refused);
/// that pair is the strongest statement that does not depend on the order the grain chose, and the tests assert it.
/// </summary>
public sealed class LimitConcurrencyTests(LimitConcurrencyTests.TwoSilos cluster, ITestOutputHelper output)
    : IClassFixture<LimitConcurrencyTests.TwoSilos>
{
    /// <summary>Two silo processes (each serving the API) on one database.</summary>
    public sealed class TwoSilos : IAsyncLifetime
    {
        private readonly TestDatabase _db = new("limitconcurrency");

        public SiloProcess A { get; private set; } = null!;

        public SiloProcess B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            A = new SiloProcess(_db.ConnectionString);
            B = new SiloProcess(_db.ConnectionString);
            // The product's lease (SiloProcess shortens it to 3 s for crash tests): a request slower than its lease may
            // be taken over by a duplicate, which the retry storm below would count as a second first answer.
            A.Environment["SupplyChain__IdempotencyLeaseSeconds"] = "60";
            B.Environment["SupplyChain__IdempotencyLeaseSeconds"] = "60";
            await Task.WhenAll(A.StartAsync(), B.StartAsync());
        }

        public async Task DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
            _db.Dispose();
        }
    }

    private Scenario S => new(key => cluster.A.Client(key));

    /// <summary>Several HTTP clients of one party, half on each silo.</summary>
    private ApiClient[] ClientsOf(Party party, int count = 6) =>
        Enumerable.Range(0, count).Select(i => (i % 2 == 0 ? cluster.A : cluster.B).Client(party.Client.ApiKey)).ToArray();


    // ------------------------------------------------------------------------------------------------------------
    // (a) The issuance limit.
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task IssuanceLimit_ManyConcurrentIssues_AcceptAMaximalSet_AndOutstandingNeverPassesTheLimit()
    {
        var s = S;
        var core = await s.Participant("core");
        var suppliers = new List<Party>();
        for (var i = 0; i < 4; i++) suppliers.Add(await s.Participant("supplier"));
        const decimal limit = 10_000m;
        (await s.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit })).Expect(HttpStatusCode.OK);
        var maturity = (await s.Today()).AddDays(90).ToString("yyyy-MM-dd");

        // 40 issues of 700.00 (only 14 could fit alone) and a few odd amounts, in a shuffled order.
        var amounts = Enumerable.Repeat(700m, 40).Concat([333.33m, 1_234.56m, 0.01m, 99.99m, 2_500m, 6_999.99m]).ToList();
        var random = new Random(15);
        amounts = amounts.OrderBy(_ => random.Next()).ToList();
        var clients = ClientsOf(core, 8);
        var requests = amounts.Select((amount, i) => (Amount: amount, Key: $"issue-{i}-{Guid.NewGuid():N}", To: suppliers[i % suppliers.Count],
            Client: clients[i % clients.Length])).ToList();

        using var stop = new CancellationTokenSource();
        var readers = ClientsOf(core, 2);
        var sampled = Enumerable.Range(0, 3).Select(n => Sample(stop.Token, i => readers[(n + i) % 2].Get($"/v1/participants/{core.Id}/issuance"),
            json => (json.GetProperty("limit").GetDecimal(), json.GetProperty("outstanding").GetDecimal()))).ToList();
        var answers = await AllAtOnce(requests.Select(r => (Func<Task<ApiResult>>)(() =>
            r.Client.Post("/v1/vouchers", new { beneficiaryId = r.To.Id, amount = r.Amount, maturityDate = maturity }, r.Key))).ToList());
        stop.Cancel();
        var loops = await Task.WhenAll(sampled);
        var samples = loops.SelectMany(x => x).ToList();

        // Every answer is 201 or 409 limit_exceeded, nothing else.
        for (var i = 0; i < answers.Length; i++)
            Assert.True(answers[i].Status == HttpStatusCode.Created || (answers[i].Status == HttpStatusCode.Conflict && answers[i].Code == "limit_exceeded"),
                $"issue of {requests[i].Amount}: {(int)answers[i].Status} {answers[i].Text}");
        var accepted = requests.Zip(answers).Where(p => p.Second.Status == HttpStatusCode.Created).ToList();
        var refused = requests.Zip(answers).Where(p => p.Second.Status == HttpStatusCode.Conflict).ToList();
        var sum = accepted.Sum(p => p.First.Amount);
        AssertMaximal(limit, sum, refused.Select(p => p.First.Amount).ToList(), "issues");

        // Outstanding is what was accepted, exactly; sampled during the burst it never passed the limit.
        var position = (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(sum, position.GetProperty("outstanding").GetDecimal());
        Assert.Equal(limit, position.GetProperty("limit").GetDecimal());
        Assert.NotEmpty(samples);
        Assert.All(samples, x => Assert.True(x.Used <= limit && x.Limit == limit, $"sampled outstanding {x.Used} of limit {x.Limit}"));
        foreach (var loop in loops) AssertNeverShrinks(loop.Select(x => x.Used).ToList(), "outstanding (nothing frees the limit during the burst)");

        // Every accepted root exists under the id its caller and key name, as answered; no refused one exists.
        foreach (var (r, answer) in accepted)
        {
            var root = Ids.VoucherRoot(Ids.Operation(core.Id, r.Key));
            Assert.Equal(root, answer.Id);
            var v = (await core.Client.Get($"/v1/vouchers/{root}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal((r.Amount, "pending", r.To.Id, core.Id),
                (v.GetProperty("amount").GetDecimal(), v.GetProperty("status").GetString(), v.GetProperty("holderId").GetString(), v.GetProperty("obligorId").GetString()));
        }
        foreach (var (r, _) in refused)
        {
            var root = Ids.VoucherRoot(Ids.Operation(core.Id, r.Key));
            Assert.Equal("not_found", (await s.Operator.Get($"/v1/vouchers/{root}")).Expect(HttpStatusCode.NotFound).Code);
        }

        // No room is lost either: exactly what is left can still be issued, and then not a fen more.
        var room = limit - sum;
        if (room > 0)
            (await core.Client.Post("/v1/vouchers", new { beneficiaryId = suppliers[0].Id, amount = room, maturityDate = maturity })).Expect(HttpStatusCode.Created);
        var before = await StateText.Issuance(core);
        var fen = await core.Client.Post("/v1/vouchers", new { beneficiaryId = suppliers[0].Id, amount = 0.01m, maturityDate = maturity });
        Assert.Equal("limit_exceeded", fen.Expect(HttpStatusCode.Conflict).Code);
        Assert.Equal(before, await StateText.Issuance(core));
        Assert.Contains($"outstanding {limit}", before);

        output.WriteLine($"issues: {accepted.Count} accepted ({accepted.Count(p => p.First.Amount == 700m)} of 700.00) for {sum}, " +
                         $"{refused.Count} refused (smallest {refused.Min(p => p.First.Amount)}); room left {room}; " +
                         $"{samples.Count} samples, peak outstanding {samples.Max(x => x.Used)} of {limit}");
    }

    // ------------------------------------------------------------------------------------------------------------
    // (b) A facility's limit.
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task FacilityLimit_ManyConcurrentDiscounts_AcceptAMaximalSet_AndRefusedOnesChangeNothing()
    {
        var s = S;
        var core = await s.Participant("core");
        var funder = await s.Participant("funder");
        (await s.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = 1_000_000m })).Expect(HttpStatusCode.OK);
        const decimal limit = 10_000m;
        var facility = await s.Facility(funder, core, limit, rate: 0.05m);

        // Six suppliers, each holding one tree split into five fragments of 700.00 and one of 1,500.00. Each discounts
        // all of them at once (several discounts of one tree, through both silos), all six at the same time: five whole
        // fragments of 700.00 and 1,234.56 of the 1,500.00.
        var discounts = new List<(Party Supplier, ApiClient Client, string RootId, string Fragment, decimal Face, decimal Amount, string Key)>();
        for (var i = 0; i < 6; i++)
        {
            var supplier = await s.Participant("supplier");
            var root = await s.ActiveVoucher(core, supplier, 5_000m);
            var children = (await supplier.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 700m, 700m, 700m, 700m, 700m, 1_500m } }))
                .Expect(HttpStatusCode.Created).Json.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
            var clients = ClientsOf(supplier, 2);
            for (var c = 0; c < children.Count; c++)
                discounts.Add((supplier, clients[c % 2], root, children[c], c < 5 ? 700m : 1_500m, c < 5 ? 700m : 1_234.56m, Guid.NewGuid().ToString("N")));
        }
        var order = new Random(16);
        discounts = discounts.OrderBy(_ => order.Next()).ToList();

        using var stop = new CancellationTokenSource();
        var readers = ClientsOf(funder, 2);
        var sampled = Enumerable.Range(0, 3).Select(n => Sample(stop.Token, i => readers[(n + i) % 2].Get($"/v1/facilities/{facility}"),
            json => (json.GetProperty("limit").GetDecimal(), json.GetProperty("used").GetDecimal()))).ToList();
        var answers = await AllAtOnce(discounts.Select(d => (Func<Task<ApiResult>>)(() =>
            d.Client.Post($"/v1/vouchers/{d.Fragment}/discount", new { funderId = funder.Id, amount = d.Amount }, d.Key))).ToList());
        stop.Cancel();
        var loops = await Task.WhenAll(sampled);
        var samples = loops.SelectMany(x => x).ToList();

        for (var i = 0; i < answers.Length; i++)
            Assert.True(answers[i].Status == HttpStatusCode.Created || (answers[i].Status == HttpStatusCode.Conflict && answers[i].Code == "insufficient_limit"),
                $"discount of {discounts[i].Amount}: {(int)answers[i].Status} {answers[i].Text}");
        var accepted = discounts.Zip(answers).Where(p => p.Second.Status == HttpStatusCode.Created).ToList();
        var refused = discounts.Zip(answers).Where(p => p.Second.Status == HttpStatusCode.Conflict).ToList();
        var sum = accepted.Sum(p => p.First.Amount);
        AssertMaximal(limit, sum, refused.Select(p => p.First.Amount).ToList(), "discounts");

        var used = (await funder.Client.Get($"/v1/facilities/{facility}")).Expect(HttpStatusCode.OK).Json.GetProperty("used").GetDecimal();
        Assert.Equal(sum, used);
        Assert.NotEmpty(samples);
        Assert.All(samples, x => Assert.True(x.Used <= limit && x.Limit == limit, $"sampled usage {x.Used} of limit {x.Limit}"));
        foreach (var loop in loops) AssertNeverShrinks(loop.Select(x => x.Used).ToList(), "usage (nothing frees the facility during the burst)");

        // Each accepted discount: the financed fragment is the funder's, as answered. Each refused one: the fragment
        // is still active with its holder, for its whole face.
        foreach (var (d, answer) in accepted)
        {
            var financed = answer.Json.GetProperty("financed");
            Assert.Equal((funder.Id, "financed", d.Amount), (financed.GetProperty("holderId").GetString(), financed.GetProperty("status").GetString(),
                financed.GetProperty("amount").GetDecimal()));
        }
        foreach (var (d, _) in refused)
        {
            var f = (await d.Supplier.Client.Get($"/v1/vouchers/{d.Fragment}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal(("active", d.Supplier.Id, d.Face), (f.GetProperty("status").GetString(), f.GetProperty("holderId").GetString(), f.GetProperty("amount").GetDecimal()));
        }

        // The trees agree: they sum, and what the funder holds in them is the facility's usage.
        var ledger = await s.Ledger(core, discounts.Select(d => d.RootId).Distinct());
        Assert.Equal(accepted.Select(p => p.Second.Json.GetProperty("financed").GetProperty("id").GetString()!).Order(),
            ledger.Values.Where(f => f.GetProperty("status").GetString() == "financed").Select(f => f.GetProperty("id").GetString()!).Order());
        Assert.Equal(used, Scenario.Financed(ledger.Values, funder.Id));

        // No room is lost: exactly what is left can still be discounted, and then not a fen more.
        var room = limit - sum;
        var spare = refused.Select(p => p.First).ToList();
        if (room > 0)
            (await spare[0].Client.Post($"/v1/vouchers/{spare[0].Fragment}/discount", new { funderId = funder.Id, amount = room })).Expect(HttpStatusCode.Created);
        var before = await StateText.Facility(funder.Client, facility);
        var fen = await spare[1].Client.Post($"/v1/vouchers/{spare[1].Fragment}/discount", new { funderId = funder.Id, amount = 0.01m });
        Assert.Equal("insufficient_limit", fen.Expect(HttpStatusCode.Conflict).Code);
        Assert.Equal(before, await StateText.Facility(funder.Client, facility));
        Assert.Contains($"used {limit}", before);

        output.WriteLine($"discounts: {accepted.Count} accepted for {sum}, {refused.Count} refused (smallest {refused.Min(p => p.First.Amount)}); " +
                         $"room left {room}; {samples.Count} samples, peak usage {samples.Max(x => x.Used)} of {limit}");
    }

    // ------------------------------------------------------------------------------------------------------------
    // (c) Limits that move, and repayments that free room, while discounts run.
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Discounts of 500.00 fragments run continuously from twelve loops (two per tree, over both silos) while one
    /// controller, step by step, repays due vouchers (which frees room), raises the limit, cuts it below usage and raises
    /// it again, and reads the facility between steps. The controller's reads and limit changes are one ordered timeline
    /// of the facility grain; between two consecutive views usage can only have grown through reservations checked
    /// against the limit in force since the first, so used(next) ≤ max(used(prev), limit(prev)): usage never exceeds the
    /// limit in force, and after a cut below usage it does not grow at all. Each phase fills the room to the fen.
    /// </summary>
    [Fact]
    public async Task FacilityLimit_MovingLimitsAndRepaymentsDuringDiscounts_UsageNeverExceedsTheLimitInForce()
    {
        var s = S;
        var core = await s.Participant("core");
        var funder = await s.Participant("funder");
        var holder = await s.Participant("supplier");
        (await s.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = 1_000_000m })).Expect(HttpStatusCode.OK);
        var facility = await s.Facility(funder, core, 5_000m, rate: 0.05m);

        // Four vouchers of 1,000.00 due tomorrow, discounted whole: usage 4,000.00. Then tomorrow comes: they may be repaid.
        var due = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var root = await s.ActiveVoucher(core, holder, 1_000m, days: 1);
            (await holder.Client.Post($"/v1/vouchers/{root}/discount", new { funderId = funder.Id, amount = 1_000m })).Expect(HttpStatusCode.Created);
            due.Add(root);
        }
        (await s.Operator.Post("/v1/admin/clock/advance", new { days = 1 })).Expect(HttpStatusCode.OK);

        // Six suppliers, each with one tree of six fragments of 500.00: 18,000.00 to discount, more than any limit below.
        var loops = new List<(Party Supplier, ApiClient Client, List<(string Root, string Fragment)> Fragments)>();
        for (var i = 0; i < 6; i++)
        {
            var supplier = await s.Participant("supplier");
            var root = await s.ActiveVoucher(core, supplier, 3_000m);
            var children = (await supplier.Client.Post($"/v1/vouchers/{root}/split", new { amounts = Enumerable.Repeat(500m, 6).ToArray() }))
                .Expect(HttpStatusCode.Created).Json.GetProperty("children").EnumerateArray().Select(c => (root, c.GetProperty("id").GetString()!)).ToList();
            loops.Add((supplier, cluster.A.Client(supplier.Client.ApiKey), children.Where((_, n) => n % 2 == 0).ToList()));
            loops.Add((supplier, cluster.B.Client(supplier.Client.ApiKey), children.Where((_, n) => n % 2 == 1).ToList()));
        }

        var unexpected = new ConcurrentQueue<string>();
        var financed = new ConcurrentDictionary<string, (string Root, decimal Amount)>();
        var refusedFragments = new ConcurrentDictionary<string, (Party Supplier, string Root)>();
        long acceptedFen = 0, answered = 0, refusals = 0;
        using var stop = new CancellationTokenSource();
        var workers = loops.Select((loop, n) => Task.Run(async () =>
        {
            var pace = new Random(n);
            var queue = new Queue<(string Root, string Fragment)>(loop.Fragments);
            while (!stop.IsCancellationRequested && queue.Count > 0)
            {
                var (root, fragment) = queue.Dequeue();
                var answer = await loop.Client.Post($"/v1/vouchers/{fragment}/discount", new { funderId = funder.Id, amount = 500m });
                Interlocked.Increment(ref answered);
                if (answer.Status == HttpStatusCode.Created)
                {
                    financed[fragment] = (root, 500m);
                    refusedFragments.TryRemove(fragment, out _);
                    Interlocked.Add(ref acceptedFen, 50_000);
                    continue;
                }
                if (answer.Status == HttpStatusCode.Conflict && answer.Code == "insufficient_limit")
                {
                    Interlocked.Increment(ref refusals);
                    refusedFragments[fragment] = (loop.Supplier, root);
                    queue.Enqueue((root, fragment)); // try again later, with a new key: it is a new request
                    await Task.Delay(20 + pace.Next(40), CancellationToken.None); // pacing, not waiting for anything
                    continue;
                }
                unexpected.Enqueue($"discount of {fragment}: {(int)answer.Status} {answer.Text}");
                return;
            }
        })).ToList();

        var funderClient = cluster.B.Client(funder.Client.ApiKey);
        var timeline = new List<(string Step, decimal Limit, decimal Used)>();
        decimal Accepted() => Interlocked.Read(ref acceptedFen) / 100m;

        async Task<(decimal Limit, decimal Used)> Read(string step)
        {
            var json = (await funderClient.Get($"/v1/facilities/{facility}")).Expect(HttpStatusCode.OK).Json;
            var view = (json.GetProperty("limit").GetDecimal(), json.GetProperty("used").GetDecimal());
            timeline.Add((step, view.Item1, view.Item2));
            return view;
        }

        async Task SetLimit(decimal limit)
        {
            var json = (await funderClient.Post($"/v1/facilities/{facility}/limit", new { limit })).Expect(HttpStatusCode.OK).Json;
            timeline.Add(($"limit → {limit}", json.GetProperty("limit").GetDecimal(), json.GetProperty("used").GetDecimal()));
        }

        async Task Repay(string root)
        {
            var answer = await cluster.A.Client(core.Client.ApiKey).Post($"/v1/vouchers/{root}/repay");
            Assert.True(answer.Status == HttpStatusCode.OK, $"repay {root}: {(int)answer.Status} {answer.Text}");
        }

        // The controller reads the facility until a condition holds (every read joins the timeline).
        async Task Until(string step, Func<(decimal Limit, decimal Used), bool> condition)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected));
                if (condition(await Read(step))) return;
                if (deadline.Elapsed > TimeSpan.FromSeconds(90))
                    throw new TimeoutException($"{step}: not reached in 90 s; accepted {Accepted()}, timeline:\n{string.Join("\n", timeline.TakeLast(20))}");
            }
        }

        // 1. Limit 5,000.00, 4,000.00 used: the discounts fill the last 1,000.00.
        await Until("fill to 5,000", v => Accepted() >= 1_000m && v.Used >= 5_000m);
        Assert.Equal(1_000m, Accepted());
        // 2. Two due vouchers are repaid (their usage is closed): the discounts fill the 2,000.00 freed.
        await Repay(due[0]);
        await Repay(due[1]);
        await Until("refill to 5,000", v => Accepted() >= 3_000m && v.Used >= 5_000m);
        Assert.Equal(3_000m, Accepted());
        // 3. The limit is raised to 8,000.00: filled.
        await SetLimit(8_000m);
        await Until("fill to 8,000", v => Accepted() >= 6_000m && v.Used >= 8_000m);
        Assert.Equal(6_000m, Accepted());
        // 4. Cut to 3,000.00 (below usage), and the last two due vouchers are repaid: usage falls to 6,000.00, still above
        //    the limit, so every discount while this lasts is refused (at least a dozen more are tried).
        await SetLimit(3_000m);
        await Repay(due[2]);
        await Repay(due[3]);
        await Until("repaid under the cut", v => v.Used <= 6_000m || Accepted() > 6_000m);
        var triedBefore = Interlocked.Read(ref answered);
        await Until("discounts tried under the cut", _ => Interlocked.Read(ref answered) >= triedBefore + 12 || Accepted() > 6_000m);
        Assert.True(Accepted() == 6_000m, $"{Accepted() - 6_000m} more was discounted while a cut to 3,000.00, below usage, was in force");
        Assert.Equal(6_000m, (await Read("after the cut")).Used);
        // 5. Raised to 12,000.00: filled again.
        await SetLimit(12_000m);
        await Until("fill to 12,000", v => Accepted() >= 12_000m && v.Used >= 12_000m);
        stop.Cancel();
        await Task.WhenAll(workers);
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected));
        Assert.Equal(12_000m, Accepted());

        // The timeline: between two consecutive views usage grew only within the limit in force.
        var problems = new List<string>();
        for (var i = 1; i < timeline.Count; i++)
        {
            var (prev, next) = (timeline[i - 1], timeline[i]);
            if (next.Used > Math.Max(prev.Used, prev.Limit))
                problems.Add($"view {i} ({next.Step}): used {next.Used}, but the view before ({prev.Step}) had used {prev.Used} of limit {prev.Limit}");
        }
        Oracles.AssertNone(problems, "facility usage against the limit in force");

        // In the end: usage is what the funder holds in the trees (the repaid vouchers are settled and hold nothing),
        // every tree sums, and each fragment still refused is active with its holder.
        var final = await Read("final");
        Assert.Equal((12_000m, 12_000m), final);
        var ledger = await s.Ledger(core, due.Concat(loops.SelectMany(l => l.Fragments.Select(f => f.Root))).Distinct());
        Assert.Equal(12_000m, Scenario.Financed(ledger.Values, funder.Id));
        foreach (var (fragment, (supplier, _)) in refusedFragments)
        {
            var f = (await supplier.Client.Get($"/v1/vouchers/{fragment}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal(("active", supplier.Id, 500m), (f.GetProperty("status").GetString(), f.GetProperty("holderId").GetString(), f.GetProperty("amount").GetDecimal()));
        }

        output.WriteLine($"moving limits: {financed.Count} discounts accepted for {Accepted()}, {Interlocked.Read(ref refusals)} refusals; " +
                         $"{timeline.Count} views; peak usage {timeline.Max(v => v.Used)}; views with usage above the limit (after the cut only): " +
                         $"{timeline.Count(v => v.Used > v.Limit)}, their peak {timeline.Where(v => v.Used > v.Limit).Select(v => v.Used).DefaultIfEmpty().Max()}");
    }

    // ------------------------------------------------------------------------------------------------------------
    // (d) One key, many times at once.
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The same request with the same Idempotency-Key, ten times at once over both silos, for an issue and then for a
    /// discount that takes the facility to its limit: exactly one request runs and answers (without Idempotent-Replayed);
    /// every other answer is 409 idempotency_key_in_flight or a byte-identical replay; the effect happens once.
    /// </summary>
    [Fact]
    public async Task RetryStorm_TheSameKeyTenTimesAtOnce_RunsOnce_AndEveryOtherAnswerIsInFlightOrTheReplay()
    {
        var s = S;
        var core = await s.Participant("core");
        var supplier = await s.Participant("supplier");
        var funder = await s.Participant("funder");
        (await s.Operator.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = 20_000m })).Expect(HttpStatusCode.OK);
        var facility = await s.Facility(funder, core, 5_000m);
        var maturity = (await s.Today()).AddDays(90).ToString("yyyy-MM-dd");

        var issueKey = Guid.NewGuid().ToString("N");
        var issue = await Storm(ClientsOf(core, 10), "/v1/vouchers", new { beneficiaryId = supplier.Id, amount = 12_345.67m, maturityDate = maturity }, issueKey);
        var root = issue.Id;
        Assert.Equal(Ids.VoucherRoot(Ids.Operation(core.Id, issueKey)), root);
        Assert.Equal(12_345.67m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        (await supplier.Client.Post($"/v1/vouchers/{root}/accept")).Expect(HttpStatusCode.OK);

        var discount = await Storm(ClientsOf(supplier, 10), $"/v1/vouchers/{root}/discount", new { funderId = funder.Id, amount = 5_000m }, Guid.NewGuid().ToString("N"));
        Assert.Equal(5_000m, (await funder.Client.Get($"/v1/facilities/{facility}")).Json.GetProperty("used").GetDecimal());
        var fragments = (await s.Tree(core, root)).Json.GetProperty("fragments").EnumerateArray().ToList();
        Assert.Equal(3, fragments.Count); // the root, transferred; one financed part; one remainder
        Assert.Equal(new[] { discount.Json.GetProperty("financed").GetProperty("id").GetString() },
            fragments.Where(f => f.GetProperty("status").GetString() == "financed").Select(f => f.GetProperty("id").GetString()));
        await s.AssertTreeSums(core, root);
    }

    private async Task<ApiResult> Storm(ApiClient[] clients, string path, object body, string key)
    {
        var answers = await AllAtOnce(clients.Select(c => (Func<Task<ApiResult>>)(() => c.Post(path, body, key))).ToList());
        foreach (var a in answers)
            Assert.True(a.Status == HttpStatusCode.Created || (a.Status == HttpStatusCode.Conflict && a.Code == "idempotency_key_in_flight"),
                $"{path}: {(int)a.Status} {a.Text}");
        var created = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        var ran = created.Where(a => !a.Headers.Contains("Idempotent-Replayed")).ToList();
        Assert.True(ran.Count == 1, $"{path}: {ran.Count} of {answers.Length} requests with one key ran (answered without Idempotent-Replayed)");
        var first = ran[0];
        Assert.All(created, a => Assert.Equal(first.Bytes, a.Bytes));
        var after = (await clients[^1].Post(path, body, key)).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Bytes, after.Bytes);
        Assert.Equal("true", after.Headers.GetValues("Idempotent-Replayed").Single());
        output.WriteLine($"{path}: {answers.Length} at once → 1 ran, {created.Count - 1} replays, {answers.Length - created.Count} in flight");
        return first;
    }

    // ------------------------------------------------------------------------------------------------------------

    /// <summary>Σ accepted ≤ limit, and the room left is smaller than every refused amount (see the class summary).</summary>
    private static void AssertMaximal(decimal limit, decimal accepted, IReadOnlyList<decimal> refused, string what)
    {
        Assert.True(accepted <= limit, $"{what}: {accepted} accepted, above the limit of {limit}");
        Assert.NotEmpty(refused);
        Assert.True(limit - accepted < refused.Min(),
            $"{what}: {limit - accepted} of room left, yet {refused.Min()} was refused ({accepted} accepted of {limit})");
    }

    private static void AssertNeverShrinks(IReadOnlyList<decimal> values, string what)
    {
        for (var i = 1; i < values.Count; i++)
            Assert.True(values[i] >= values[i - 1], $"{what}: sample {i} is {values[i]}, below the sample before ({values[i - 1]})");
    }

    /// <summary>Starts every call at the same moment, each on its own task.</summary>
    private static async Task<ApiResult[]> AllAtOnce(IReadOnlyList<Func<Task<ApiResult>>> calls)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = calls.Select(call => Task.Run(async () =>
        {
            await go.Task;
            return await call();
        })).ToList();
        go.SetResult();
        return await Task.WhenAll(tasks);
    }

    /// <summary>
    /// Reads (limit, used) again and again, alternating silos, until stopped; at least once after the stop. One loop's
    /// reads are answered in order by the one grain, so within a loop they are in the grain's order.
    /// </summary>
    private static Task<List<(decimal Limit, decimal Used)>> Sample(CancellationToken stop, Func<int, Task<ApiResult>> read,
        Func<JsonElement, (decimal, decimal)> view) => Task.Run(async () =>
    {
        var samples = new List<(decimal Limit, decimal Used)>();
        for (var i = 0; ; i++)
        {
            var stopped = stop.IsCancellationRequested;
            samples.Add(view((await read(i)).Expect(HttpStatusCode.OK).Json));
            if (stopped) return samples;
        }
    });
}
