using System.Globalization;
using System.Net;

namespace SupplyChain.LoadGenerator;

/// <summary>The workflows the generator can run, by their command-line names.</summary>
public static class WorkflowNames
{
    public const string Vouchers = "vouchers", Lending = "lending", Split = "split", TreeGrowth = "tree-growth", Scores = "scores";
}

/// <summary>
/// Command-line options. The run is always bounded: by duration, by operations per client, or both; tree-growth
/// by the number of fragments it grows.
/// </summary>
public sealed record Options(Uri BaseUrl, string OperatorKey, int Clients, int Cores, int? Seconds, int? OpsPerClient,
    int WarmupWorkflows, decimal VoucherAmount, string WorkflowName, int Trees, int Fragments, string? JsonPath, string? Hook, int Suppliers = 0)
{
    public const string Usage = """
        SupplyChain.LoadGenerator [--url http://127.0.0.1:5080] [--key OPERATOR_KEY] [--clients N]
                                  [--seconds S] [--ops M] [--cores K] [--warmup W] [--amount A]
                                  [--workflow vouchers|lending|split|tree-growth|scores] [--trees T] [--fragments F]
                                  [--suppliers N]
                                  [--json FILE] [--hook CMD]
          --url       base URL of a running silo or client-api; loopback addresses only (default http://127.0.0.1:5080)
          --key       operator API key (default: environment variable SupplyChain__OperatorKey)
          --clients   concurrent clients, each running the workflow in a loop (default 16; tree-growth: 1, the only choice)
          --seconds   measured duration in seconds (default 20 when --ops is not given; not for tree-growth)
          --ops       HTTP operations per client; the client stops once it has made that many (not for tree-growth)
          --cores     core enterprises shared round-robin by the clients (default: one per client; split: always one)
          --warmup    unmeasured workflows per client before the measured run (default 1; split: splits per client;
                      tree-growth: hundreds of splits on a separate tree)
          --amount    face amount of each issued voucher (lending: of each order) in yuan
                      (default 10000; split and tree-growth: 100000000)
          --workflow  vouchers: issue, accept, split, transfer, accept, discount (default);
                      lending: place an order, borrow 70% against it, pay the order with a voucher (the closed loop);
                      split: all clients split halves of live fragments taken from one shared queue;
                      tree-growth: one client grows one tree by splits and compares the first and last 100 splits;
                      scores: --suppliers suppliers with an order each, then every score read once, then random
                      score reads for --seconds (the operator reads)
          --trees     split: vouchers whose fragments the clients share (default 4 x clients; 1 = one busy tree)
          --fragments tree-growth: stop when the tree holds this many fragments, split ones included (default 4000)
          --suppliers scores: how many suppliers (default 10000), their orders spread over --cores cores (default 20)
          --json      also write a JSON summary of the run to this file
          --hook      a shell command run (and waited for) just before the measured run with the argument "start"
                      and just after it with "stop", e.g. to sample the server around the measured window only
        """;

    public bool Lending => WorkflowName == WorkflowNames.Lending;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }
        string? Take(string name) => values.Remove(name, out var v) ? v : null;

        var workflow = Take("workflow") ?? WorkflowNames.Vouchers;
        if (workflow is not (WorkflowNames.Vouchers or WorkflowNames.Lending or WorkflowNames.Split or WorkflowNames.TreeGrowth or WorkflowNames.Scores))
            throw new ArgumentException("--workflow must be vouchers, lending, split, tree-growth or scores.");
        var scores = workflow == WorkflowNames.Scores;
        var growth = workflow == WorkflowNames.TreeGrowth;
        var splits = workflow is WorkflowNames.Split or WorkflowNames.TreeGrowth;

        var url = new Uri(Take("url") ?? "http://127.0.0.1:5080", UriKind.Absolute);
        var key = Take("key") ?? Environment.GetEnvironmentVariable("SupplyChain__OperatorKey");
        var clients = Int(Take("clients"), "clients", growth ? 1 : 16, 1, growth ? 1 : 1024);
        var cores = splits ? 1 : scores ? Int(Take("cores"), "cores", 20, 1, 1000) : Int(Take("cores"), "cores", clients, 1, clients);
        var suppliers = scores ? Int(Take("suppliers"), "suppliers", 10_000, 1, 1_000_000) : 0;
        var seconds = Take("seconds") is { } s ? Int(s, "seconds", 0, 1, 86_400) : (int?)null;
        var ops = Take("ops") is { } o ? Int(o, "ops", 0, 1, int.MaxValue) : (int?)null;
        var warmup = Int(Take("warmup"), "warmup", 1, 0, 1000);
        var amount = Take("amount") is { } a ? Amount(a) : splits ? 100_000_000m : 10_000m;
        var trees = workflow == WorkflowNames.Split ? Int(Take("trees"), "trees", Math.Min(4 * clients, 100_000), 1, 100_000) : 1;
        var fragments = growth ? Int(Take("fragments"), "fragments", 4000, 3, 1_000_000) : 0;
        var json = Take("json");
        var hook = Take("hook");
        if (values.Count > 0)
            throw new ArgumentException($"Unknown option --{values.Keys.First()}{(values.Keys.First() is "trees" or "fragments" or "cores" ? $" for --workflow {workflow}" : "")}.");
        if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("No operator key: pass --key or set SupplyChain__OperatorKey.");
        if (url.Scheme is not ("http" or "https")) throw new ArgumentException("--url must be http or https.");
        if (!IsLoopback(url)) throw new ArgumentException($"Refusing to load {url.Host}: only loopback addresses are allowed.");
        if (decimal.Round(amount, 2) != amount || amount < 1m) throw new ArgumentException("--amount must be at least 1 with at most 2 decimals.");
        if (growth && (seconds is not null || ops is not null)) throw new ArgumentException("tree-growth is bounded by --fragments, not by --seconds or --ops.");
        // Every tree of a split run is issued by the one core, under its operator-set issuance limit.
        if (trees * amount > Cast.LargeLimit) throw new ArgumentException($"--trees x --amount must not exceed the core's issuance limit, {Cast.LargeLimit:N0}.");
        if (json is { Length: 0 }) throw new ArgumentException("--json needs a file name.");
        if (seconds is null && ops is null && !growth) seconds = 20;
        return new Options(url, key, clients, cores, seconds, ops, warmup, amount, workflow, trees, fragments, json, hook, suppliers);
    }

    /// <summary>Only literal loopback addresses and the name localhost: the generator never reaches another machine.</summary>
    private static bool IsLoopback(Uri url) =>
        url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            ? IPAddress.Parse(url.Host.Trim('[', ']')) is var ip && IPAddress.IsLoopback(ip)
            : string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase);

    private static int Int(string? value, string name, int fallback, int min, int max)
    {
        if (value is null) return fallback;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new ArgumentException($"--{name} must be a whole number between {min} and {max}.");
        return n;
    }

    /// <summary>Money is parsed as a decimal, exact to the fen, never as binary floating point.</summary>
    private static decimal Amount(string value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d > 0 && d <= 1_000_000_000_000m
            ? d
            : throw new ArgumentException("--amount must be a positive number of yuan.");
}
