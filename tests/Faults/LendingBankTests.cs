using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The bank workload for lending: 8 clients place orders, borrow against them, repay part in cash and pay the
/// orders with vouchers (the closed loop), and draw on their credit lines and repay the draws in cash, through two
/// silo processes on one database, while each silo in turn is
/// killed with SIGKILL and restarted and the manual clock moves (so interest accrues and payoffs change). Every
/// request is retried with its own Idempotency-Key until it has a definite answer. Afterwards: every acknowledged
/// loan, repayment and voucher took effect exactly once and nothing else did; facility usage equals outstanding
/// principal on the lending side (loans are left outstanding, and each supplier's lending facility fills and is freed by
/// repayments), each credit line's usage equals what its draws owe and stays within its limit, and financed face on the
/// core side; streamed exposures reconcile. Every kill lands under load, and the
/// first is aimed at requests whose effect is stored and whose answer is not (<see cref="DbGate"/>).
/// SUPPLYCHAIN_BANK_SECONDS sets the run's length (default 30).
/// </summary>
public sealed class LendingBankTests(ITestOutputHelper output) : TwoSiloTest("lendbank")
{
    private const int Clients = 8;

    private sealed record Attempt(int Client, string Caller, string Path, object? Body, string Key, ApiResult Answer);

    /// <summary>Each supplier's lending facility: room for a few loans at a time, so financing runs into it and repayments free it.</summary>
    private const decimal LendingLimit = 120_000m;

    [Fact]
    public async Task LoansAndTheClosedLoop_TakeEffectExactlyOnce_WhileSilosDie()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_BANK_SECONDS") ?? "30");
        var s = new Scenario(key => Silos[0].Client(key));
        var core = await s.Participant("core");
        var bank = await s.Participant("funder");
        var coreFacility = await s.Facility(bank, core, 100_000_000m, rate: 0.03m);
        var start = await s.Today();
        var suppliers = new List<(Party Supplier, string Lending)>();
        for (var i = 0; i < Clients; i++)
        {
            var supplier = await s.Participant("supplier");
            suppliers.Add((supplier, await s.Facility(bank, supplier, LendingLimit, rate: 0.0435m)));
        }
        // Credit lines: the bank's policy lends 30% of what a supplier received, up to 60,000.00, for up to 30 days. Each
        // supplier has received one order of 100,000.00 (score 460, grade D) and is approved for a line of 30,000.00 (it may
        // grow as loans are repaid on time and orders keep coming).
        (await bank.Client.Post("/v1/credit/policies", new
        {
            funderId = bank.Id, minGrade = "D", ratesByGrade = new Dictionary<string, decimal> { ["A"] = 0.04m, ["B"] = 0.05m, ["C"] = 0.06m, ["D"] = 0.08m },
            lineShare = 0.3m, maxLimit = 60_000m, maxTermDays = 30,
        })).Expect(HttpStatusCode.Created);
        var lines = new string[Clients];
        for (var i = 0; i < Clients; i++)
        {
            var supplier = suppliers[i].Supplier;
            await s.Order(core, supplier, 100_000m, paymentInDays: 90, reference: $"SEED-{i}");
            await Eventually.True(async () => (await supplier.Client.Get($"/v1/credit/scores/{supplier.Id}")).Expect(HttpStatusCode.OK).Json
                .GetProperty("factors")[2].GetProperty("value").GetDecimal() == 100_000m, TimeSpan.FromSeconds(30), $"the seed order reaches {supplier.Id}'s score");
            var decision = (await supplier.Client.Post("/v1/credit/applications", new { funderId = bank.Id })).Expect(HttpStatusCode.Created).Json;
            Assert.Equal("approved", decision.GetProperty("decision").GetString());
            lines[i] = decision.GetProperty("line").GetProperty("id").GetString()!;
        }
        await using var gate = await DbGate.OnIdempotencyCompletionAsync(Db);

        var history = new ConcurrentQueue<Attempt>();
        var clockKeys = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var inFlight = new InFlight();
        var failedAttempts = 0;

        async Task<ApiResult> Send(int client, Party who, string path, object? body, Random random)
        {
            var key = Guid.NewGuid().ToString("N");
            var answer = await inFlight.Track(() =>
                Retrying.Definitely(Silos, who.Client.ApiKey, path, body, key, random, () => Interlocked.Increment(ref failedAttempts)));
            history.Enqueue(new Attempt(client, who.Id, path, body, key, answer));
            return answer;
        }

        // A client: the core orders from its supplier and the supplier borrows 50-70% of it, sometimes repaying 30% in cash.
        // Until its lending facility first refuses, the client leaves its orders unpaid, so every facility fills early
        // whatever the machine's speed; from then on the core pays two orders in three with a voucher (the closed loop
        // repays the loan) and leaves the third unpaid with its loan outstanding, and each refusal is answered by repaying
        // the oldest unpaid loan in cash, in full, so financing and repayment race for the last of the room.
        var repaidInCash = new ConcurrentDictionary<string, bool>();
        async Task Client(int n)
        {
            var random = new Random(100 + n);
            var supplier = suppliers[n].Supplier;
            var unpaid = new Queue<string>();
            var draws = new Queue<string>();
            var full = false;
            while (!stop.IsCancellationRequested)
            {
                // A draw on the credit line every other round; a draw beyond the room is answered by repaying the oldest in full.
                if (random.Next(2) == 0)
                {
                    var draw = await Send(n, supplier, $"/v1/credit/lines/{lines[n]}/draws", new { amount = 1_000m + random.Next(0, 900_000) / 100m, termDays = 30 }, random);
                    if (draw.Status == HttpStatusCode.Created) draws.Enqueue(draw.Id);
                    else if (draws.TryDequeue(out var oldestDraw)) await RepayInFull(n, supplier, oldestDraw, random);
                }
                var amount = 10_000m + random.Next(0, 90_000);
                var order = await Send(n, core, "/v1/orders", new
                {
                    supplierId = supplier.Id, amount, paymentDate = start.AddDays(60).ToString("yyyy-MM-dd"), reference = $"PO-{n}-{random.Next()}",
                }, random);
                if (order.Status != HttpStatusCode.Created) continue;
                var loan = await Send(n, supplier, $"/v1/orders/{order.Id}/financing",
                    new { funderId = bank.Id, amount = decimal.Round(amount * (0.5m + random.Next(0, 21) / 100m), 2) }, random);
                if (loan.Status == HttpStatusCode.Created && random.Next(2) == 0)
                    await Send(n, supplier, $"/v1/loans/{loan.Id}/repay", new { amount = decimal.Round(loan.Amount("principal") * 0.3m, 2) }, random);
                if (loan.Status != HttpStatusCode.Created)
                {
                    full = true;
                    if (unpaid.TryDequeue(out var oldest)) await RepayInFull(n, supplier, oldest, random);
                }
                else if (!full || random.Next(3) == 0)
                {
                    unpaid.Enqueue(loan.Id);
                    continue;
                }
                // A loan answered 201 while its commit notice to the order could not reach a silo that just died is still
                // "in progress" at the order until the notice gets through: the voucher is then refused as a 409 conflict
                // ("retry shortly"), and, like any client, this one asks again with a new key until the order takes it.
                await Eventually.True(async () => (await Send(n, core, "/v1/vouchers", new
                {
                    beneficiaryId = supplier.Id, amount, maturityDate = start.AddDays(120).ToString("yyyy-MM-dd"), orderId = order.Id,
                }, random)).Status != HttpStatusCode.Conflict, TimeSpan.FromSeconds(120), $"order {order.Id} takes its voucher");
            }
        }

        // What the loan owes today (read from whichever silo answers), paid in cash. If the clock moved between the read
        // and the payment, it repays part: the loan's answer says which.
        async Task RepayInFull(int n, Party borrower, string loanId, Random random)
        {
            JsonElement? owed = null;
            await Eventually.True(async () =>
            {
                var read = await Retrying.Try(() => Silos[random.Next(Silos.Length)].Client(borrower.Client.ApiKey).Get($"/v1/loans/{loanId}"));
                if (read?.Status == HttpStatusCode.OK) owed = read.Json;
                return owed is not null;
            }, TimeSpan.FromSeconds(180), $"loan {loanId} can be read");
            var amount = owed!.Value.GetProperty("outstandingPrincipal").GetDecimal() + owed.Value.GetProperty("accruedInterest").GetDecimal();
            var repaid = await Send(n, borrower, $"/v1/loans/{loanId}/repay", new { amount }, random);
            if (repaid.Status == HttpStatusCode.OK && repaid.Json.GetProperty("status").GetString() == "repaid") repaidInCash[loanId] = true;
        }

        // Faults: each silo in turn is killed and started again, at least twice, always while the clients run, the first
        // kill aimed at requests whose effect is stored and whose answer is not; meanwhile the clock moves a day at a time.
        var faults = Kills.WhileLoadRuns(Silos, seconds, gate, heldAtLeast: 3, inFlight, stop);
        var clock = Task.Run(async () =>
        {
            var random = new Random(7);
            var days = 0;
            while (!stop.IsCancellationRequested && days < 10)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None);
                var key = Guid.NewGuid().ToString("N");
                clockKeys.Add(key);
                (await Retrying.Definitely(Silos, ApiHost.OperatorKey, "/v1/admin/clock/advance", new { days = 1 }, key, random))
                    .Expect(HttpStatusCode.OK);
                days++;
            }
            return days;
        });

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(Client));
        var kills = await faults;
        var moved = await clock;
        var held = kills.SelectMany(k => k.Held).ToList();
        var acknowledged = history.Where(h => (int)h.Answer.Status is >= 200 and < 300).ToList();
        var refused = history.Where(h => (int)h.Answer.Status >= 400).ToList();
        var summary = $"{seconds} s, {Clients} clients, 2 silos, {Kills.Describe(kills)}, {failedAttempts} attempts lost and retried, clock moved {moved} days: " +
                      $"{history.Count} operations ({acknowledged.Count} acknowledged, {refused.Count} refused: " +
                      string.Join(", ", refused.GroupBy(r => $"{r.Path.Split('/').Last()} {r.Answer.Code}").Select(g => $"{g.Count()} {g.Key}")) + ")";
        output.WriteLine(summary);

        // The run did what it claims: kills under load, requests lost in flight (some after their effect was stored),
        // every client through at least one order, loan and payment, the lending facilities full at times, and no refusal
        // but theirs.
        Assert.True(kills.Count >= 2 && kills.All(k => k.InFlight > 0), summary);
        Assert.True(held.Count(h => h.TookEffect) >= 3 && failedAttempts >= held.Count, summary);
        // (The clock's own requests may be held too; each was retried until it answered 200.)
        foreach (var h in held.Where(h => h.TookEffect && !clockKeys.Any(h.IsFor)))
        {
            var answer = history.Single(a => h.IsFor(a.Key)).Answer;
            Assert.True((int)answer.Status == h.Status, $"a request that took effect ({h.Status}) before the kill answered {answer.Text} on retry");
        }
        for (var n = 0; n < Clients; n++)
            Assert.True(acknowledged.Count(h => h.Client == n) >= 3, $"client {n}: {acknowledged.Count(h => h.Client == n)} acknowledged; {summary}");
        var unexpected = refused.Where(r => !((r.Path.EndsWith("/financing", StringComparison.Ordinal) || r.Path.EndsWith("/draws", StringComparison.Ordinal))
                                              && r.Answer.Code == "insufficient_limit")
                                            && !(r.Path == "/v1/vouchers" && r.Answer.Code == "conflict")).ToList();
        Assert.True(unexpected.Count == 0, "unexpected refusals:\n" + string.Join("\n", unexpected.Take(10).Select(r => $"{r.Path}: {r.Answer.Text}")));
        Assert.Contains(refused, r => r.Answer.Code == "insufficient_limit" && r.Path.EndsWith("/financing", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Answer.Code == "insufficient_limit" && r.Path.EndsWith("/draws", StringComparison.Ordinal));
        Assert.False(repaidInCash.IsEmpty, "no loan was repaid in full in cash after a refusal");

        await Cluster.QuietAsync(Db, Silos.Length);
        // Checks, on a quiet cluster. A read may fail for a moment just after a kill (a grain call routed to the dead
        // incarnation until the cluster has noticed): such failures are shown, and the read is repeated for up to 60 s.
        var op = Silos[1].Client();
        var transient = 0;
        async Task<JsonElement> Read(string path)
        {
            var answer = await op.Get(path);
            if (answer.Status == HttpStatusCode.OK) return answer.Json;
            await using (var diagnose = Db.Open())
            {
                var id = path.Split('/')[3];
                var rows = await diagnose.QueryAsync<string>(
                    "SELECT graintypestring || ' v' || version || ' ' || coalesce(convert_from(payloadbinary, 'UTF8'), '') FROM orleansstorage WHERE grainidextensionstring = @id",
                    new { id });
                output.WriteLine($"GET {path}: {answer.Status} {answer.Text}\nstored: {string.Join("\n", rows)}");
            }
            transient++;
            await Eventually.True(async () => (answer = await op.Get(path)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"GET {path} answers 200");
            return answer.Json;
        }
        var loans = acknowledged.Where(h => h.Path.EndsWith("/financing", StringComparison.Ordinal)).ToDictionary(h => h.Answer.Id, h => h.Answer.Json);
        var cashRepays = acknowledged.Where(h => h.Path.EndsWith("/repay", StringComparison.Ordinal))
            .GroupBy(h => h.Path.Split('/')[3]).ToDictionary(g => g.Key, g => g.Count());
        var vouchers = acknowledged.Where(h => h.Path == "/v1/vouchers").ToDictionary(h => h.Answer.Json.GetProperty("orderId").GetString()!, h => h.Answer.Json);
        var loanByOrder = loans.Values.ToDictionary(l => l.GetProperty("orderId").GetString()!, l => l.GetProperty("id").GetString()!);
        Assert.NotEmpty(loans);
        Assert.NotEmpty(vouchers);

        decimal lendingOutstanding = 0, financedOnCore = 0;
        var outstandingBy = new Dictionary<string, decimal>();
        foreach (var (id, answer) in loans)
        {
            var orderId = answer.GetProperty("orderId").GetString()!;
            var paidByVoucher = vouchers.ContainsKey(orderId);
            // The voucher's notice to the loan is stored with the voucher and delivered at least once, right after the
            // write or, if a silo died first, by the retry timer: wait for it rather than read a moment too early.
            var read = await op.Get($"/v1/loans/{id}");
            await Eventually.True(async () =>
            {
                read = await op.Get($"/v1/loans/{id}");
                return read.Status == HttpStatusCode.OK && (!paidByVoucher || read.Json.GetProperty("status").GetString() == "repaid");
            }, TimeSpan.FromSeconds(60), $"loan {id} is readable and, if its order was paid, repaid: {read.Status} {read.Text}");
            var stored = read.Json;
            Assert.Equal(answer.GetProperty("principal").GetDecimal(), stored.GetProperty("principal").GetDecimal());
            var repayments = stored.GetProperty("repayments").EnumerateArray().ToList();
            Assert.Equal(cashRepays.GetValueOrDefault(id), repayments.Count(r => r.GetProperty("source").GetString() == "cash"));
            var paidBy = repayments.Where(r => r.GetProperty("source").GetString() == "voucher").ToList();
            if (vouchers.TryGetValue(orderId, out var voucher))
            {
                // The closed loop repaid the loan once, and the funder holds exactly that much of the voucher.
                var root = voucher.GetProperty("id").GetString()!;
                Assert.Equal(("repaid", root), (stored.GetProperty("status").GetString(), Assert.Single(paidBy).GetProperty("voucherId").GetString()));
                var tree = (await Read($"/v1/vouchers/{root}/tree")).GetProperty("fragments").EnumerateArray().ToList();
                var financed = tree.Where(f => f.GetProperty("status").GetString() == "financed").ToList();
                Assert.Equal(paidBy[0].GetProperty("amount").GetDecimal(), Assert.Single(financed).GetProperty("amount").GetDecimal());
                Assert.Equal(bank.Id, financed[0].GetProperty("holderId").GetString());
            }
            else
            {
                Assert.Empty(paidBy);
                Assert.Equal(repaidInCash.ContainsKey(id) ? "repaid" : "active", stored.GetProperty("status").GetString());
            }
            lendingOutstanding += stored.GetProperty("outstandingPrincipal").GetDecimal();
            var borrower = stored.GetProperty("borrowerId").GetString()!;
            outstandingBy[borrower] = outstandingBy.GetValueOrDefault(borrower) + stored.GetProperty("outstandingPrincipal").GetDecimal();
        }

        // Credit-line draws: each acknowledged draw exists once, with its cash repayments; each line's usage is what its draws
        // owe, within its limit.
        var drawn = acknowledged.Where(h => h.Path.EndsWith("/draws", StringComparison.Ordinal)).ToDictionary(h => h.Answer.Id, h => h);
        Assert.NotEmpty(drawn);
        decimal drawsOutstanding = 0;
        var owedOnLine = lines.ToDictionary(l => l, _ => 0m);
        foreach (var (id, draw) in drawn)
        {
            var stored = await Read($"/v1/loans/{id}");
            Assert.Equal((draw.Answer.Amount("principal"), draw.Path.Split('/')[4]), (stored.GetProperty("principal").GetDecimal(), stored.GetProperty("creditLineId").GetString()));
            var repayments = stored.GetProperty("repayments").EnumerateArray().ToList();
            Assert.Equal(cashRepays.GetValueOrDefault(id), repayments.Count(r => r.GetProperty("source").GetString() == "cash"));
            Assert.Equal(repaidInCash.ContainsKey(id) ? "repaid" : "active", stored.GetProperty("status").GetString());
            drawsOutstanding += stored.GetProperty("outstandingPrincipal").GetDecimal();
            owedOnLine[draw.Path.Split('/')[4]] += stored.GetProperty("outstandingPrincipal").GetDecimal();
        }
        foreach (var (line, owed) in owedOnLine)
        {
            JsonElement read = default;
            await Eventually.True(async () => (read = await Read($"/v1/credit/lines/{line}")).GetProperty("used").GetDecimal() == owed,
                TimeSpan.FromSeconds(60), $"credit line {line}'s usage reaches what its draws owe, {owed} (notices delivered)");
            Assert.True(owed <= read.GetProperty("limit").GetDecimal(), $"credit line {line} has {owed} drawn, above its limit {read.GetProperty("limit")}");
        }

        // An order paid without a loan (its financing was refused) gets an ordinary pending root; left unanswered for
        // PendingExpiryDays (7) while the clock moved, the root is cancelled, frees its issuance, and the order is
        // confirmed again.
        decimal issued = 0;
        var today = DateOnly.Parse((await Read("/v1/admin/clock")).GetProperty("today").GetString()!);
        var expired = 0;
        foreach (var (orderId, voucher) in vouchers)
        {
            var root = voucher.GetProperty("id").GetString()!;
            await new Scenario(key => Silos[1].Client(key)).AssertTreeSums(core with { Client = Silos[1].Client(core.Client.ApiKey) }, root);
            var tree = (await Read($"/v1/vouchers/{root}/tree")).GetProperty("fragments").EnumerateArray().ToList();
            financedOnCore += Scenario.Financed(tree);
            var order = await Read($"/v1/orders/{orderId}");
            var lapsed = !loanByOrder.ContainsKey(orderId) && DateOnly.Parse(voucher.GetProperty("issueDate").GetString()!).AddDays(7) <= today;
            if (!loanByOrder.ContainsKey(orderId)) Assert.Equal(lapsed ? "cancelled" : "pending", tree[0].GetProperty("status").GetString());
            if (lapsed)
            {
                expired++;
                Assert.Equal("confirmed", order.GetProperty("status").GetString());
                continue;
            }
            issued += voucher.GetProperty("amount").GetDecimal();
            Assert.Equal(("paid", root), (order.GetProperty("status").GetString(), order.GetProperty("voucherId").GetString()));
        }

        // Usage follows outstanding principal, supplier by supplier, within each lending limit, and the financed face on the
        // core; issuance equals what was issued. Loans are still outstanding at the end (a third of the orders are unpaid).
        Assert.True(lendingOutstanding > 0, "no loan is outstanding at the end: the lending usage check would compare 0 with 0");
        foreach (var (supplier, lending) in suppliers)
        {
            var owed = outstandingBy.GetValueOrDefault(supplier.Id);
            Assert.True(owed <= LendingLimit, $"{supplier.Id} owes {owed}, above its lending limit {LendingLimit}");
            await Eventually.True(async () => (await op.Get($"/v1/facilities/{lending}")).Amount("used") == owed,
                TimeSpan.FromSeconds(60), $"lending facility {lending} usage reaches its loans' outstanding principal {owed} (notices delivered)");
        }
        await Eventually.True(async () => (await op.Get($"/v1/facilities/{coreFacility}")).Amount("used") == financedOnCore,
            TimeSpan.FromSeconds(60), $"the core facility's usage reaches the financed face {financedOnCore} (notices delivered)");
        Assert.Equal(issued, (await Read($"/v1/participants/{core.Id}/issuance")).GetProperty("outstanding").GetDecimal());

        // Nothing but acknowledged loans exists.
        await using var connection = Db.Open();
        var disbursed = (await connection.QueryAsync<string>("SELECT loan_id FROM loans WHERE status NOT IN ('aborted', 'originating')")).ToHashSet();
        Assert.Equal(loans.Keys.Concat(drawn.Keys).Order().ToList(), disbursed.Order().ToList());

        await new Scenario(key => Silos[1].Client(key)).ExposuresReconcile(TimeSpan.FromSeconds(120), "streamed exposures equal a recomputation");
        Assert.Equal(financedOnCore + lendingOutstanding + drawsOutstanding,
            (await Read($"/v1/risk/exposures/funder/{bank.Id}")).GetProperty("outstanding").GetDecimal());
        Assert.Equal(0, await Oracles.GrainsWithTwoRows(connection));
        output.WriteLine($"{drawn.Count} credit-line draws ({drawsOutstanding} still drawn), {loans.Count} loans, {vouchers.Count} vouchers against orders ({expired} unanswered past 7 days and cancelled), {repaidInCash.Count} loans repaid in full in cash, " +
                         $"{financedOnCore} financed on the core, {lendingOutstanding} still lent; {transient} reads failed at first and were repeated");
    }
}
