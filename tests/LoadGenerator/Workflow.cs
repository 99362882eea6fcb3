namespace SupplyChain.LoadGenerator;

/// <summary>
/// One client's loop: issue (core) → accept (supplier) → split in two → transfer one part to another supplier →
/// that supplier accepts → it discounts the fragment with the funder. A failed step ends the round; the next starts afresh.
/// </summary>
public sealed class Workflow(ClientCast cast, Party funder, DateOnly maturity, decimal amount) : IWorkflow
{
    public const string Issue = "issue", Accept = "accept", Split = "split", Transfer = "transfer",
        AcceptTransfer = "accept-transfer", Discount = "discount";

    public static readonly string[] Operations = [Issue, Accept, Split, Transfer, AcceptTransfer, Discount];

    private readonly decimal _first = decimal.Round(amount * 0.6m, 2, MidpointRounding.AwayFromZero);

    /// <summary>Face issued and discounted that the system confirmed, for the checks after the run.</summary>
    public decimal Issued { get; private set; }

    public decimal Discounted { get; private set; }

    /// <summary>Set when an issue or discount got no answer or a 5xx: whether it applied is unknown, so sums cannot be checked.</summary>
    public bool Uncertain { get; private set; }

    public string? LastRoot { get; private set; }

    public int Completed { get; private set; }

    public decimal Lent => 0m;

    public async Task Round(Recorder recorder, Func<bool> mayContinue)
    {
        var core = cast.Core.Api;
        var holder = cast.Holder.Api;
        var next = cast.Next.Api;
        var maturityDate = maturity.ToString("yyyy-MM-dd");

        var issued = await Step(recorder, mayContinue, core, Issue,
            a => a.Post("/v1/vouchers", new { beneficiaryId = cast.Holder.Id, amount, maturityDate }));
        if (issued is null) return;
        Issued += amount;
        var root = LastRoot = issued.Json.GetProperty("id").GetString()!;

        if (await Step(recorder, mayContinue, holder, Accept, a => a.Post($"/v1/vouchers/{root}/accept")) is null) return;

        var split = await Step(recorder, mayContinue, holder, Split,
            a => a.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { _first, amount - _first } }));
        if (split is null) return;
        var part = split.Json.GetProperty("children")[0].GetProperty("id").GetString()!;

        var transfer = await Step(recorder, mayContinue, holder, Transfer,
            a => a.Post($"/v1/vouchers/{part}/transfer", new { toId = cast.Next.Id, amount = _first }));
        if (transfer is null) return;
        var received = transfer.Json.GetProperty("transferred").GetProperty("id").GetString()!;

        if (await Step(recorder, mayContinue, next, AcceptTransfer, a => a.Post($"/v1/vouchers/{received}/accept")) is null) return;

        if (await Step(recorder, mayContinue, next, Discount,
                a => a.Post($"/v1/vouchers/{received}/discount", new { funderId = funder.Id, amount = _first })) is null) return;
        Discounted += _first;
        Completed++;
    }

    private async Task<Reply?> Step(Recorder recorder, Func<bool> mayContinue, Api api, string operation, Func<Api, Task<Reply>> call)
    {
        if (!mayContinue()) return null;
        var reply = await api.Timed(recorder, operation, call);
        if (reply.Status is 0 or >= 500 && (operation is Issue or Discount)) Uncertain = true;
        return reply.IsSuccess ? reply : null;
    }
}

/// <summary>What the runner and the checks need of a client's loop.</summary>
public interface IWorkflow
{
    /// <summary>Face issued that the system confirmed.</summary>
    decimal Issued { get; }

    /// <summary>Face the funder holds on the core that the system confirmed (discounted, or financed by the closed loop).</summary>
    decimal Discounted { get; }

    /// <summary>Principal lent and not yet repaid, as confirmed.</summary>
    decimal Lent { get; }

    bool Uncertain { get; }

    string? LastRoot { get; }

    int Completed { get; }

    Task Round(Recorder recorder, Func<bool> mayContinue);
}
