using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// The bank workload for lending: 8 clients place orders, borrow against them, repay part in cash and pay the
/// orders with vouchers (the closed loop), through two silo processes on one database, while each silo in turn is
/// killed with SIGKILL and restarted and the manual clock moves (so interest accrues and payoffs change). Every
/// request is retried with its own Idempotency-Key until it has a definite answer. Afterwards: every acknowledged
/// loan, repayment and voucher took effect exactly once and nothing else did; facility usage equals outstanding
/// principal on the lending side and financed face on the core side; streamed exposures reconcile.
/// SUPPLYCHAIN_BANK_SECONDS sets the run's length (default 30).
/// </summary>
public sealed class LendingBankTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 8;
    private readonly TestDatabase _db = new("lendbank");
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

    private sealed record Attempt(string Caller, string Path, object? Body, ApiResult Answer);

    [Fact]
    public async Task LoansAndTheClosedLoop_TakeEffectExactlyOnce_WhileSilosDie()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("SUPPLYCHAIN_BANK_SECONDS") ?? "30");
        var s = new Scenario(key => _silos[0].Client(key));
        var core = await s.Participant("core");
        var bank = await s.Participant("funder");
        var coreFacility = await s.Facility(bank, core, 100_000_000m, rate: 0.03m);
        var start = await s.Today();
        var suppliers = new List<(Party Supplier, string Lending)>();
        for (var i = 0; i < Clients; i++)
        {
            var supplier = await s.Participant("supplier");
            suppliers.Add((supplier, await s.Facility(bank, supplier, 10_000_000m, rate: 0.0435m)));
        }

        var history = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));

        async Task<ApiResult> Send(Party who, string path, object? body, Random random)
        {
            var answer = await Retrying.Definitely(_silos, who.Client.ApiKey, path, body, Guid.NewGuid().ToString("N"), random);
            history.Enqueue(new Attempt(who.Id, path, body, answer));
            return answer;
        }

        async Task Client(int n)
        {
            var random = new Random(100 + n);
            var supplier = suppliers[n].Supplier;
            while (!stop.IsCancellationRequested)
            {
                var amount = 10_000m + random.Next(0, 90_000);
                var order = await Send(core, "/v1/orders", new
                {
                    supplierId = supplier.Id, amount, paymentDate = start.AddDays(60).ToString("yyyy-MM-dd"), reference = $"PO-{n}-{random.Next()}",
                }, random);
                if (order.Status != HttpStatusCode.Created) continue;
                var loan = await Send(supplier, $"/v1/orders/{order.Id}/financing",
                    new { funderId = bank.Id, amount = decimal.Round(amount * (0.5m + random.Next(0, 21) / 100m), 2) }, random);
                if (loan.Status == HttpStatusCode.Created && random.Next(2) == 0)
                    await Send(supplier, $"/v1/loans/{loan.Id}/repay", new { amount = decimal.Round(loan.Amount("principal") * 0.3m, 2) }, random);
                await Send(core, "/v1/vouchers", new
                {
                    beneficiaryId = supplier.Id, amount, maturityDate = start.AddDays(120).ToString("yyyy-MM-dd"), orderId = order.Id,
                }, random);
            }
        }

        // Faults: each silo in turn is killed and started again; meanwhile the clock moves a day at a time.
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
        var clock = Task.Run(async () =>
        {
            var random = new Random(7);
            var days = 0;
            while (!stop.IsCancellationRequested && days < 10)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None);
                (await Retrying.Definitely(_silos, ApiHost.OperatorKey, "/v1/admin/clock/advance", new { days = 1 }, Guid.NewGuid().ToString("N"), random))
                    .Expect(HttpStatusCode.OK);
                days++;
            }
            return days;
        });

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(Client));
        var killed = await faults;
        var moved = await clock;
        Assert.True(killed >= 2, $"only {killed} kills");

        // Checks, on a quiet cluster. A read may fail for a moment just after a kill (a grain call routed to the dead
        // incarnation until the cluster has noticed): such failures are shown, and the read is repeated for up to 60 s.
        var op = _silos[1].Client();
        var transient = 0;
        async Task<JsonElement> Read(string path)
        {
            var answer = await op.Get(path);
            if (answer.Status == HttpStatusCode.OK) return answer.Json;
            await using (var diagnose = _db.Open())
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
        var acknowledged = history.Where(h => (int)h.Answer.Status is >= 200 and < 300).ToList();
        var loans = acknowledged.Where(h => h.Path.EndsWith("/financing", StringComparison.Ordinal)).ToDictionary(h => h.Answer.Id, h => h.Answer.Json);
        var cashRepays = acknowledged.Where(h => h.Path.EndsWith("/repay", StringComparison.Ordinal))
            .GroupBy(h => h.Path.Split('/')[3]).ToDictionary(g => g.Key, g => g.Count());
        var vouchers = acknowledged.Where(h => h.Path == "/v1/vouchers").ToDictionary(h => h.Answer.Json.GetProperty("orderId").GetString()!, h => h.Answer.Json);
        var loanByOrder = loans.Values.ToDictionary(l => l.GetProperty("orderId").GetString()!, l => l.GetProperty("id").GetString()!);
        Assert.NotEmpty(loans);
        Assert.NotEmpty(vouchers);

        decimal lendingOutstanding = 0, financedOnCore = 0;
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
                Assert.Equal("active", stored.GetProperty("status").GetString());
            }
            lendingOutstanding += stored.GetProperty("outstandingPrincipal").GetDecimal();
        }

        decimal issued = 0;
        foreach (var (orderId, voucher) in vouchers)
        {
            var root = voucher.GetProperty("id").GetString()!;
            issued += voucher.GetProperty("amount").GetDecimal();
            await new Scenario(key => _silos[1].Client(key)).AssertTreeSums(core with { Client = _silos[1].Client(core.Client.ApiKey) }, root);
            var tree = (await Read($"/v1/vouchers/{root}/tree")).GetProperty("fragments").EnumerateArray().ToList();
            financedOnCore += tree.Where(f => f.GetProperty("status").GetString() == "financed").Sum(f => f.GetProperty("amount").GetDecimal());
            if (!loanByOrder.ContainsKey(orderId)) Assert.Equal("pending", tree[0].GetProperty("status").GetString());
            var order = await Read($"/v1/orders/{orderId}");
            Assert.Equal(("paid", root), (order.GetProperty("status").GetString(), order.GetProperty("voucherId").GetString()));
        }

        // Usage follows outstanding principal and financed face; issuance equals what was issued.
        async Task<decimal> LendingUsed()
        {
            var used = 0m;
            foreach (var (_, lending) in suppliers) used += (await op.Get($"/v1/facilities/{lending}")).Json.GetProperty("used").GetDecimal();
            return used;
        }
        await Eventually.True(async () => await LendingUsed() == lendingOutstanding
                                          && (await op.Get($"/v1/facilities/{coreFacility}")).Json.GetProperty("used").GetDecimal() == financedOnCore,
            TimeSpan.FromSeconds(60), "facility usage reaches the loans' outstanding principal and the financed face (notices delivered)");
        Assert.Equal(issued, (await Read($"/v1/participants/{core.Id}/issuance")).GetProperty("outstanding").GetDecimal());

        // Nothing but acknowledged loans exists.
        await using var connection = _db.Open();
        var disbursed = (await connection.QueryAsync<string>("SELECT loan_id FROM loans WHERE status NOT IN ('aborted', 'originating')")).ToHashSet();
        Assert.Equal(loans.Keys.Order().ToList(), disbursed.Order().ToList());

        await Eventually.True(async () => (await op.Get("/v1/risk/reconciliation")).Json.GetProperty("consistent").GetBoolean(),
            TimeSpan.FromSeconds(120), "streamed exposures equal a recomputation");
        Assert.Equal(financedOnCore + lendingOutstanding, (await Read($"/v1/risk/exposures/funder/{bank.Id}")).GetProperty("outstanding").GetDecimal());
        Assert.Equal(0, await LedgerChecks.GrainsWithTwoRows(connection));
        output.WriteLine($"{seconds} s, {Clients} clients, 2 silos, {killed} SIGKILLs, clock moved {moved} days: {history.Count} operations " +
                         $"({acknowledged.Count} acknowledged), {loans.Count} loans, {vouchers.Count} vouchers against orders, " +
                         $"{financedOnCore} financed on the core, {lendingOutstanding} still lent; {transient} reads failed at first and were repeated");
    }
}
