using System.Net;

namespace SupplyChain.Tests.Infrastructure;

public sealed record Party(string Id, string Kind, ApiClient Client);

/// <summary>Builds the cast of a test through the API itself: participants, facilities and vouchers.</summary>
public sealed class Scenario(Func<string?, ApiClient> clientFor)
{
    public Scenario(ApiHost host) : this(host.Client)
    {
    }

    public ApiClient Operator { get; } = clientFor(ApiHost.OperatorKey);

    public async Task<Party> Participant(string kind, string? name = null)
    {
        var created = (await Operator.Post("/v1/participants", new { name = name ?? $"{kind} {Guid.NewGuid():N}"[..20], kind }))
            .Expect(HttpStatusCode.Created);
        return new Party(created.Id, kind, clientFor(created.Json.GetProperty("apiKey").GetString()));
    }

    public async Task<string> Facility(Party funder, Party obligor, decimal limit, decimal rate = 0.05m, string? expiresOn = null)
    {
        var created = (await funder.Client.Post("/v1/facilities", new
        {
            funderId = funder.Id, obligorId = obligor.Id, limit, annualRate = rate, expiresOn = expiresOn ?? "2030-12-31",
        })).Expect(HttpStatusCode.Created);
        return created.Id;
    }

    /// <summary>The usual cast: a core, a supplier, a funder with a facility on the core (which is also the core's issuance limit).</summary>
    public async Task<(Party Core, Party Supplier, Party Funder, string Facility)> Cast(decimal facilityLimit, decimal rate = 0.05m)
    {
        var core = await Participant("core");
        var supplier = await Participant("supplier");
        var funder = await Participant("funder");
        return (core, supplier, funder, await Facility(funder, core, facilityLimit, rate));
    }

    public async Task<DateOnly> Today() =>
        DateOnly.Parse((await Operator.Get("/v1/admin/clock")).Expect(HttpStatusCode.OK).Json.GetProperty("today").GetString()!);

    /// <summary>Issues a voucher from core to supplier and has the supplier accept it; returns the root id.</summary>
    public async Task<string> ActiveVoucher(Party core, Party supplier, decimal amount, int days = 90)
    {
        var maturity = (await Today()).AddDays(days).ToString("yyyy-MM-dd");
        var root = (await core.Client.Post("/v1/vouchers", new { beneficiaryId = supplier.Id, amount, maturityDate = maturity }))
            .Expect(HttpStatusCode.Created).Id;
        (await supplier.Client.Post($"/v1/vouchers/{root}/accept")).Expect(HttpStatusCode.OK);
        return root;
    }

    /// <summary>The core places an order with the supplier, paid <paramref name="paymentInDays"/> from today; returns its id.</summary>
    public async Task<string> Order(Party core, Party supplier, decimal amount, int paymentInDays = 60, string reference = "PO-1") =>
        (await core.Client.Post("/v1/orders", new
        {
            supplierId = supplier.Id, amount, paymentDate = (await Today()).AddDays(paymentInDays).ToString("yyyy-MM-dd"), reference,
        })).Expect(HttpStatusCode.Created).Id;

    /// <summary>The supplier borrows against its order from the funder (which needs a lending facility on the supplier); returns the loan.</summary>
    public async Task<ApiResult> Loan(Party supplier, string orderId, Party funder, decimal amount) =>
        (await supplier.Client.Post($"/v1/orders/{orderId}/financing", new { funderId = funder.Id, amount })).Expect(HttpStatusCode.Created);

    /// <summary>
    /// The tree as its obligor reads it. A 500 is read again for up to 90 s: after a fault run a call may fail for a while
    /// (routed through a silo that has just died, or timing out behind one); any other answer is final.
    /// </summary>
    public async Task<ApiResult> Tree(Party core, string rootId)
    {
        ApiResult? read = null;
        await Eventually.True(async () => (read = await core.Client.Get($"/v1/vouchers/{rootId}/tree")).Status != HttpStatusCode.InternalServerError,
            TimeSpan.FromSeconds(90), $"GET the tree {rootId} answers other than 500");
        return read!.Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// Waits until GET /v1/risk/reconciliation says the streamed exposure aggregates equal a recomputation from the trees
    /// and loans: the exposure stream has drained (it is asynchronous, and re-sends what a dead silo lost).
    /// </summary>
    /// <remarks>A 500 is asked again (reconciliation asks every producer; after a fault run one call may fail for a while); any other answer but 200 fails.</remarks>
    public Task ExposuresReconcile(TimeSpan within, string because = "the exposure stream drains") =>
        Eventually.True(async () => await Operator.Get("/v1/risk/reconciliation") is var answer && answer.Status != HttpStatusCode.InternalServerError &&
                                    answer.Expect(HttpStatusCode.OK).Json.GetProperty("consistent").GetBoolean(),
            within, because);

    /// <summary>
    /// The ledger of <paramref name="roots"/> as their obligor reads it: each tree checked against its invariants
    /// (<see cref="Oracles.TreeViolations"/>), and every fragment by id (an id appearing twice fails).
    /// </summary>
    public async Task<Dictionary<string, System.Text.Json.JsonElement>> Ledger(Party core, IEnumerable<string> roots)
    {
        var fragments = new Dictionary<string, System.Text.Json.JsonElement>();
        foreach (var root in roots)
        {
            var tree = (await Tree(core, root)).Json;
            Oracles.AssertNone(Oracles.TreeViolations(tree), $"tree {root}");
            foreach (var f in tree.GetProperty("fragments").EnumerateArray())
                Assert.True(fragments.TryAdd(f.GetProperty("id").GetString()!, f.Clone()), $"fragment {f.GetProperty("id")} appears twice");
        }
        return fragments;
    }

    /// <summary>The face of the financed fragments among <paramref name="fragments"/> (held by <paramref name="funderId"/>, if given).</summary>
    public static decimal Financed(IEnumerable<System.Text.Json.JsonElement> fragments, string? funderId = null) =>
        fragments.Where(f => f.GetProperty("status").GetString() == "financed" && (funderId is null || f.GetProperty("holderId").GetString() == funderId))
            .Sum(f => f.GetProperty("amount").GetDecimal());

    /// <summary>The invariants of every tree (<see cref="Oracles.TreeViolations"/>): live fragments sum to the root's face, and so on.</summary>
    public async Task AssertTreeSums(Party core, string rootId) =>
        Oracles.AssertNone(Oracles.TreeViolations((await Tree(core, rootId)).Json), $"tree {rootId}");
}
