namespace SupplyChain.LoadGenerator;

/// <summary>A live fragment the split clients may take: its id, its amount in fen and the supplier that holds it.</summary>
public sealed record Fragment(string Id, long AmountFen, Party Holder);

/// <summary>
/// The participants and trees of a split run, created through the API before anything is measured: one core with
/// an operator-set issuance limit, H = min(trees, clients) holder suppliers, and one voucher per tree, issued by the
/// core to holder (tree mod H) and accepted by it. Each accepted root is the first live fragment of its tree.
/// </summary>
public sealed record SplitCast(Party Core, IReadOnlyList<Party> Holders, IReadOnlyList<Fragment> Roots, DateOnly Today)
{
    public static async Task<SplitCast> Create(HttpClient http, Options options, int trees)
    {
        var op = new Api(http, options.OperatorKey);
        var today = await Cast.PlatformToday(op);
        var maturityDate = today.AddDays(90).ToString("yyyy-MM-dd");
        var run = Guid.NewGuid().ToString("N")[..8];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.Clients, 16) };

        var core = await Cast.Participant(http, op, "core", $"split {run} core");
        // The operator-set limit covers every tree of the run (Options checks trees x amount against it).
        Cast.Id(await op.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = Cast.LargeLimit }), "issuance limit", "obligorId");

        var holders = new Party[Math.Min(trees, options.Clients)];
        await Parallel.ForEachAsync(Enumerable.Range(0, holders.Length), parallel, async (i, _) =>
            holders[i] = await Cast.Participant(http, op, "supplier", $"split {run} holder {i}"));

        var face = Fen.Of(options.VoucherAmount);
        var roots = new Fragment[trees];
        await Parallel.ForEachAsync(Enumerable.Range(0, trees), parallel, async (i, _) =>
        {
            var holder = holders[i % holders.Length];
            var id = Cast.Id(await core.Api.Post("/v1/vouchers",
                new { beneficiaryId = holder.Id, amount = Fen.Yuan(face), maturityDate }), $"voucher {i}");
            var accepted = await holder.Api.Post($"/v1/vouchers/{id}/accept");
            if (!accepted.IsSuccess) throw new SetupException($"Accepting voucher {id} answered {accepted.Status}: {accepted.Body}");
            roots[i] = new Fragment(id, face, holder);
        });
        return new SplitCast(core, holders, roots, today);
    }
}
